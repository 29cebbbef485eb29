-- migrations/007_incidents.sql
--
-- Incidents and maintenance windows (lib/incident*.c, docs/incidents.md).
--
--   incidents              a status change that held: an endpoint DOWN for
--                          down_threshold results in a row ('down'), or one
--                          that changes too often ('flapping'); at most one
--                          open (resolved_at IS NULL) per endpoint.
--   incident_events        one row per transition (opened, resolved), written
--                          in the transaction that changes the incident; the
--                          notification outbox is fed from it.
--   incident_policies      thresholds: one global row (endpoint_id NULL) and
--                          optional per-endpoint rows (NULL field = global).
--   incident_state         per-endpoint counters of the engine.
--   maintenance_windows    one-off or weekly windows, per endpoint or type.
--   health_history_maintenance  the checks recorded during a window.
--
-- The engine is a statement-level trigger on health_history, so rows
-- written by any client (scheduler COPY batches, check-now, plain SQL) are
-- counted, and concurrent writers of one endpoint are serialised on its
-- incident_state row.

CREATE TABLE incidents (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  endpoint_id UUID NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('down', 'flapping')),
  started_at TIMESTAMP WITH TIME ZONE NOT NULL,
  resolved_at TIMESTAMP WITH TIME ZONE,
  first_error TEXT,
  failed_checks INTEGER NOT NULL DEFAULT 0,
  last_status TEXT,
  -- Tickets opened for the incident, appended by the notifier:
  -- [{"system": "jira", "key": "OPS-12", "rule_id": "..."}].
  ticket_refs JSONB NOT NULL DEFAULT '[]'::jsonb
);

-- At most one open incident per endpoint.
CREATE UNIQUE INDEX incidents_one_open ON incidents(endpoint_id) WHERE resolved_at IS NULL;
-- Lists: newest first, per endpoint or all.
CREATE INDEX idx_incidents_endpoint_started ON incidents(endpoint_id, started_at DESC, id DESC);
CREATE INDEX idx_incidents_started ON incidents(started_at DESC, id DESC);

CREATE TABLE incident_events (
  id BIGSERIAL PRIMARY KEY,
  incident_id UUID NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  endpoint_id UUID NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('opened', 'resolved')),
  occurred_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
  -- {"endpoint": {id, name, url, type},
  --  "incident": {id, kind, started_at, resolved_at, first_error, failed_checks, last_status}}
  payload JSONB NOT NULL
);

CREATE INDEX idx_incident_events_incident ON incident_events(incident_id);

-- Thresholds. The global row has endpoint_id NULL and every field set; an
-- endpoint's row overrides the fields it sets.
--   down_threshold    consecutive DOWN results that open a 'down' incident
--   up_threshold      consecutive UP (or DEGRADED) results that resolve it
--   flap_transitions  changes between failing and not failing within
--   flap_window_s     seconds that make the endpoint flapping
CREATE TABLE incident_policies (
  endpoint_id UUID UNIQUE REFERENCES endpoints(id) ON DELETE CASCADE,
  down_threshold INTEGER CHECK (down_threshold BETWEEN 1 AND 100),
  up_threshold INTEGER CHECK (up_threshold BETWEEN 1 AND 100),
  flap_transitions INTEGER CHECK (flap_transitions BETWEEN 2 AND 1000),
  flap_window_s INTEGER CHECK (flap_window_s BETWEEN 60 AND 86400),
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
  CHECK (endpoint_id IS NOT NULL OR (down_threshold IS NOT NULL AND up_threshold IS NOT NULL
                                     AND flap_transitions IS NOT NULL AND flap_window_s IS NOT NULL))
);
CREATE UNIQUE INDEX incident_policies_one_global ON incident_policies((endpoint_id IS NULL)) WHERE endpoint_id IS NULL;
INSERT INTO incident_policies (endpoint_id, down_threshold, up_threshold, flap_transitions, flap_window_s)
VALUES (NULL, 1, 2, 6, 600);

-- The thresholds in force for endpoint e (NULL: the global ones).
CREATE FUNCTION mon_incident_policy(e UUID)
RETURNS TABLE (down_threshold INTEGER, up_threshold INTEGER, flap_transitions INTEGER, flap_window_s INTEGER)
LANGUAGE sql STABLE AS $$
  SELECT coalesce(ep.down_threshold, g.down_threshold, 1), coalesce(ep.up_threshold, g.up_threshold, 2),
         coalesce(ep.flap_transitions, g.flap_transitions, 6), coalesce(ep.flap_window_s, g.flap_window_s, 600)
  FROM (SELECT 1) one
  LEFT JOIN incident_policies g ON g.endpoint_id IS NULL
  LEFT JOIN incident_policies ep ON ep.endpoint_id = e
$$;

-- The engine's state of each endpoint that has results (the open incident
-- itself is found through incidents_one_open).
--   checked_at, history_id  the newest result counted (older ones arriving
--                           later are not counted)
--   failing                 whether that result was DOWN
--   fail_streak, up_streak  consecutive DOWN / not-DOWN results
--   streak_started_at,      time and error of the first DOWN result of the
--   streak_error            current fail streak (NULL when not failing)
--   last_error              error of the newest DOWN result
--   flaps                   times of the changes within the flap window
CREATE TABLE incident_state (
  endpoint_id UUID PRIMARY KEY REFERENCES endpoints(id) ON DELETE CASCADE,
  checked_at TIMESTAMP WITH TIME ZONE,
  history_id UUID,
  failing BOOLEAN,
  fail_streak INTEGER NOT NULL DEFAULT 0,
  up_streak INTEGER NOT NULL DEFAULT 0,
  streak_started_at TIMESTAMP WITH TIME ZONE,
  streak_error TEXT,
  last_error TEXT,
  flaps TIMESTAMP WITH TIME ZONE[] NOT NULL DEFAULT '{}'
) WITH (fillfactor = 70);

-- Whether PostgreSQL knows time zone tz. A window's zone is used by the
-- trigger on every batch of results: one it cannot read (written by plain
-- SQL, not through the library, which also requires an IANA name) would make
-- every check fail to record, so the table refuses it.
CREATE FUNCTION mon_time_zone_valid(tz TEXT) RETURNS BOOLEAN LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM now() AT TIME ZONE tz;
  RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
  RETURN false;
END
$$;

-- Maintenance windows, for one endpoint or every endpoint of a type.
--   once    from starts_at to ends_at
--   weekly  on each ISO weekday in weekdays (1 = Monday .. 7 = Sunday), from
--           start_time local time in time_zone (IANA name), for duration_s
CREATE TABLE maintenance_windows (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name VARCHAR(100) NOT NULL CHECK (length(name) > 0),
  endpoint_id UUID REFERENCES endpoints(id) ON DELETE CASCADE,
  endpoint_type endpoint_type,
  kind TEXT NOT NULL CHECK (kind IN ('once', 'weekly')),
  starts_at TIMESTAMP WITH TIME ZONE,
  ends_at TIMESTAMP WITH TIME ZONE,
  weekdays SMALLINT[],
  start_time TIME,
  duration_s INTEGER,
  time_zone TEXT,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
  CHECK ((endpoint_id IS NULL) <> (endpoint_type IS NULL)),
  CHECK (kind <> 'once' OR (starts_at IS NOT NULL AND ends_at > starts_at)),
  CHECK (kind <> 'weekly' OR (cardinality(weekdays) BETWEEN 1 AND 7 AND weekdays <@ '{1,2,3,4,5,6,7}'
                              AND start_time IS NOT NULL AND duration_s BETWEEN 60 AND 604800
                              AND time_zone IS NOT NULL)),
  CHECK (time_zone IS NULL OR mon_time_zone_valid(time_zone))
);

CREATE INDEX idx_maintenance_windows_endpoint ON maintenance_windows(endpoint_id);

CREATE TRIGGER update_maintenance_windows_updated_at
  BEFORE UPDATE ON maintenance_windows
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- Checks recorded during a maintenance window (window_id: the first one
-- found; NULL once that window is deleted). A side table rather than a
-- column of health_history: the seed's table keeps its shape for every
-- writer, and only checks in a window cost a row.
CREATE TABLE health_history_maintenance (
  history_id UUID PRIMARY KEY,
  endpoint_id UUID NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
  window_id UUID REFERENCES maintenance_windows(id) ON DELETE SET NULL,
  checked_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX idx_health_history_maintenance_endpoint ON health_history_maintenance(endpoint_id, checked_at DESC);

-- Occurrences of the maintenance windows that overlap [since, until]: a
-- weekly window's occurrence starts at start_time, local time of time_zone,
-- on each of its weekdays (so it follows daylight saving time) and lasts
-- duration_s; the days looked at reach back far enough for the longest one.
-- (PL/pgSQL: a UNION is not inlined, and a SQL function would be planned at
-- every call, that is at every batch of results while a window exists.)
CREATE FUNCTION mon_maintenance_occurrences(since TIMESTAMP WITH TIME ZONE, until TIMESTAMP WITH TIME ZONE)
RETURNS TABLE (window_id UUID, endpoint_id UUID, endpoint_type endpoint_type,
               starts_at TIMESTAMP WITH TIME ZONE, ends_at TIMESTAMP WITH TIME ZONE)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
  SELECT w.id, w.endpoint_id, w.endpoint_type, w.starts_at, w.ends_at FROM maintenance_windows w
  WHERE w.kind = 'once' AND w.starts_at <= until AND w.ends_at > since
  UNION ALL
  SELECT w.id, w.endpoint_id, w.endpoint_type, o.s, o.s + w.duration_s * interval '1 second'
  FROM maintenance_windows w
  CROSS JOIN LATERAL generate_series(((since AT TIME ZONE w.time_zone)::date - (w.duration_s / 86400 + 1))::timestamp,
                                     (until AT TIME ZONE w.time_zone)::date::timestamp, interval '1 day') d(day)
  CROSS JOIN LATERAL (SELECT (d.day + w.start_time) AT TIME ZONE w.time_zone AS s) o
  WHERE w.kind = 'weekly' AND extract(isodow FROM d.day)::smallint = ANY (w.weekdays)
    AND o.s <= until AND o.s + w.duration_s * interval '1 second' > since;
END
$$;

-- One result as the engine reads it; round k holds each endpoint's k-th
-- newest-to-be-counted result, in time order.
CREATE TYPE mon_incident_result AS (endpoint_id UUID, history_id UUID, status health_status,
                                    error_message TEXT, checked_at TIMESTAMP WITH TIME ZONE, round BIGINT);

-- Count one round of results: every endpoint's counters step once, and the
-- incidents and events that follow are written in the same statement.
--   a DOWN result is failing; UP and DEGRADED are not (the endpoint answers);
--   a change between failing and not failing is a flap;
--   no open incident: flaps in the window >= flap_transitions opens a
--     'flapping' incident, else fail_streak >= down_threshold a 'down' one;
--   open 'down': flapping turns it into 'flapping' (no event), else
--     up_streak >= up_threshold resolves it;
--   open 'flapping': resolved once up_streak >= up_threshold and no flap in
--     the last window.
-- PL/pgSQL, not SQL: its statement is planned once per session, not at every call.
CREATE FUNCTION mon_incident_step(batch mon_incident_result[], k BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  WITH c AS MATERIALIZED (
    SELECT r.endpoint_id, r.history_id, r.status, r.checked_at, f.fail, x.fail_streak, x.up_streak,
           x.streak_started_at, x.streak_error, x.last_error, fl.flaps, o.id AS open_id, a.action, a.kind,
           o.kind IS DISTINCT FROM a.kind OR o.last_status IS DISTINCT FROM r.status::text AS changes,
           CASE WHEN a.action = 'open' THEN gen_random_uuid() END AS new_id, p.window_s
    FROM unnest(batch) r
    JOIN incident_state s ON s.endpoint_id = r.endpoint_id
    CROSS JOIN LATERAL (SELECT q.down_threshold AS down_n, q.up_threshold AS up_n, q.flap_transitions AS flap_n,
                               q.flap_window_s AS window_s FROM mon_incident_policy(r.endpoint_id) q) p
    CROSS JOIN LATERAL (SELECT r.status = 'DOWN' AS fail) f
    CROSS JOIN LATERAL (
      SELECT CASE WHEN f.fail THEN s.fail_streak + 1 ELSE 0 END AS fail_streak,
             CASE WHEN f.fail THEN 0 ELSE least(s.up_streak + 1, 1000000) END AS up_streak,
             CASE WHEN NOT f.fail THEN NULL WHEN s.fail_streak = 0 THEN r.checked_at ELSE s.streak_started_at END
               AS streak_started_at,
             CASE WHEN NOT f.fail THEN NULL WHEN s.fail_streak = 0 THEN r.error_message ELSE s.streak_error END
               AS streak_error,
             CASE WHEN f.fail THEN r.error_message ELSE s.last_error END AS last_error) x
    -- Computed once per row (OFFSET 0 keeps it from being copied into every use), and only
    -- when there is a flap to keep or to add.
    CROSS JOIN LATERAL (
      SELECT CASE WHEN cardinality(s.flaps) = 0 AND s.failing IS NOT DISTINCT FROM f.fail THEN s.flaps
                  ELSE ARRAY(SELECT t FROM unnest(s.flaps) t WHERE t > r.checked_at - p.window_s * interval '1 second'
                             UNION ALL SELECT r.checked_at WHERE s.failing <> f.fail ORDER BY 1) END AS flaps
      OFFSET 0) fl
    LEFT JOIN LATERAL (SELECT i.id, i.kind, i.last_status FROM incidents i
                       WHERE i.endpoint_id = r.endpoint_id AND i.resolved_at IS NULL) o ON true
    CROSS JOIN LATERAL (SELECT cardinality(fl.flaps) >= p.flap_n AS flapping) y
    CROSS JOIN LATERAL (
      SELECT CASE
               WHEN o.id IS NULL THEN CASE WHEN y.flapping OR x.fail_streak >= p.down_n THEN 'open' END
               WHEN o.kind = 'down' AND NOT y.flapping AND x.up_streak >= p.up_n THEN 'resolve'
               WHEN o.kind = 'flapping' AND cardinality(fl.flaps) = 0 AND x.up_streak >= p.up_n THEN 'resolve'
               ELSE 'keep' END AS action,
             CASE WHEN y.flapping OR o.kind = 'flapping' THEN 'flapping' ELSE 'down' END AS kind) a
    WHERE r.round = k
  ), st AS (
    UPDATE incident_state s SET checked_at = c.checked_at, history_id = c.history_id, failing = c.fail,
      fail_streak = c.fail_streak, up_streak = c.up_streak, streak_started_at = c.streak_started_at,
      streak_error = c.streak_error, last_error = c.last_error, flaps = c.flaps
    FROM c WHERE s.endpoint_id = c.endpoint_id
  ), opened AS (
    INSERT INTO incidents (id, endpoint_id, kind, started_at, first_error, failed_checks, last_status)
    SELECT c.new_id, c.endpoint_id, c.kind,
           CASE WHEN c.kind = 'down' THEN c.streak_started_at ELSE c.flaps[1] END,
           coalesce(c.streak_error, c.last_error),
           CASE WHEN c.kind = 'down' THEN c.fail_streak
                ELSE (SELECT count(*) FROM health_history h WHERE h.endpoint_id = c.endpoint_id AND h.status = 'DOWN'
                      AND h.checked_at > c.checked_at - c.window_s * interval '1 second'
                      AND h.checked_at <= c.checked_at) END,
           c.status::text
    FROM c WHERE c.action = 'open'
    RETURNING *
  ), changed AS (
    UPDATE incidents i SET kind = c.kind, failed_checks = i.failed_checks + c.fail::integer,
      last_status = c.status::text, resolved_at = CASE WHEN c.action = 'resolve' THEN c.checked_at END
    -- An open incident is written only when something in it changes.
    FROM c WHERE (c.action = 'resolve' OR (c.action = 'keep' AND (c.fail OR c.changes))) AND i.id = c.open_id
    RETURNING i.*
  )
  INSERT INTO incident_events (incident_id, endpoint_id, kind, payload)
  SELECT v.id, v.endpoint_id, v.event,
         jsonb_build_object(
           'endpoint', jsonb_build_object('id', e.id, 'name', e.name, 'url', e.url, 'type', e.type),
           'incident', jsonb_build_object('id', v.id, 'kind', v.kind, 'started_at', v.started_at,
                                          'resolved_at', v.resolved_at, 'first_error', v.first_error,
                                          'failed_checks', v.failed_checks, 'last_status', v.last_status))
  FROM (SELECT o.*, 'opened' AS event FROM opened o
        UNION ALL SELECT ch.*, 'resolved' FROM changed ch WHERE ch.resolved_at IS NOT NULL) v
  JOIN endpoints e ON e.id = v.endpoint_id
  ORDER BY v.endpoint_id;
END
$$;

-- A statement's new rows (transition table new_rows): mark those inside a
-- maintenance window, then count the others in time order, skipping UNKNOWN
-- results and results older than the newest one counted. The state rows
-- are locked first, in endpoint order, so writers of the same endpoints
-- (scheduler replicas, check-now) count one after the other and each sees
-- the counters the other committed (READ COMMITTED: every statement below
-- takes a new snapshot).
CREATE FUNCTION mon_incidents_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  batch mon_incident_result[];
  rounds BIGINT;
  marked BIGINT := 0;
  lo TIMESTAMP WITH TIME ZONE;
  hi TIMESTAMP WITH TIME ZONE;
BEGIN
  INSERT INTO incident_state (endpoint_id)
  SELECT DISTINCT n.endpoint_id FROM new_rows n
  WHERE NOT EXISTS (SELECT 1 FROM incident_state s WHERE s.endpoint_id = n.endpoint_id)
  ORDER BY 1
  ON CONFLICT (endpoint_id) DO NOTHING;
  PERFORM 1 FROM incident_state s WHERE s.endpoint_id IN (SELECT n.endpoint_id FROM new_rows n)
  ORDER BY s.endpoint_id FOR UPDATE;

  IF EXISTS (SELECT 1 FROM maintenance_windows) THEN
    SELECT min(n.checked_at), max(n.checked_at) INTO lo, hi FROM new_rows n;
    INSERT INTO health_history_maintenance (history_id, endpoint_id, window_id, checked_at)
    SELECT DISTINCT ON (n.id) n.id, n.endpoint_id, o.window_id, n.checked_at
    FROM mon_maintenance_occurrences(lo, hi) o
    JOIN endpoints e ON e.id = o.endpoint_id OR e.type = o.endpoint_type
    JOIN new_rows n ON n.endpoint_id = e.id AND n.checked_at >= o.starts_at AND n.checked_at < o.ends_at
    ORDER BY n.id, o.window_id
    ON CONFLICT (history_id) DO NOTHING;
    GET DIAGNOSTICS marked = ROW_COUNT;
  END IF;

  batch := ARRAY(
    SELECT ROW(n.endpoint_id, n.id, n.status, n.error_message, n.checked_at,
               row_number() OVER (PARTITION BY n.endpoint_id ORDER BY n.checked_at, n.id))::mon_incident_result
    FROM new_rows n JOIN incident_state s ON s.endpoint_id = n.endpoint_id
    WHERE n.status <> 'UNKNOWN'
      AND (s.checked_at IS NULL OR n.checked_at > s.checked_at
           OR (n.checked_at = s.checked_at AND n.id > s.history_id))
      AND (marked = 0 OR NOT EXISTS (SELECT 1 FROM health_history_maintenance m WHERE m.history_id = n.id)));
  SELECT max(b.round) INTO rounds FROM unnest(batch) b;
  FOR k IN 1 .. coalesce(rounds, 0) LOOP
    PERFORM mon_incident_step(batch, k);
  END LOOP;
  RETURN NULL;
END
$$;

-- Marks of deleted history rows go with them.
CREATE FUNCTION mon_incidents_history_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM health_history_maintenance) THEN
    DELETE FROM health_history_maintenance m USING old_rows o WHERE m.history_id = o.id;
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION mon_incidents_history_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE health_history_maintenance;
  RETURN NULL;
END
$$;

-- Named to fire after health_history_summaries_* (triggers fire in name order).
CREATE TRIGGER health_history_transitions_insert
  AFTER INSERT ON health_history REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mon_incidents_inserted();

CREATE TRIGGER health_history_transitions_delete
  AFTER DELETE ON health_history REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mon_incidents_history_deleted();

CREATE TRIGGER health_history_transitions_truncate
  AFTER TRUNCATE ON health_history
  FOR EACH STATEMENT EXECUTE FUNCTION mon_incidents_history_truncated();
