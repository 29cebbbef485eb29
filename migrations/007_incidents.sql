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

-- The engine's state of each endpoint that has results.
--   checked_at, history_id  the newest result counted (older ones arriving
--                           later are not counted)
--   failing                 whether that result was DOWN
--   fail_streak, up_streak  consecutive DOWN / not-DOWN results
--   streak_started_at,      time and error of the first DOWN result of the
--   streak_error            current fail streak
--   flaps                   times of the changes within the flap window
--   incident_id             the open incident, if any
CREATE TABLE incident_state (
  endpoint_id UUID PRIMARY KEY REFERENCES endpoints(id) ON DELETE CASCADE,
  checked_at TIMESTAMP WITH TIME ZONE,
  history_id UUID,
  failing BOOLEAN,
  fail_streak INTEGER NOT NULL DEFAULT 0,
  up_streak INTEGER NOT NULL DEFAULT 0,
  streak_started_at TIMESTAMP WITH TIME ZONE,
  streak_error TEXT,
  flaps TIMESTAMP WITH TIME ZONE[] NOT NULL DEFAULT '{}',
  incident_id UUID REFERENCES incidents(id) ON DELETE SET NULL
) WITH (fillfactor = 70);

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
                              AND time_zone IS NOT NULL))
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
