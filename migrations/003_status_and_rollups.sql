-- migrations/003_status_and_rollups.sql
--
-- Store: what the checker needs on endpoints, phase timings on history, and
-- summaries kept right by triggers on health_history, whoever inserts:
--   endpoint_status        latest check of every endpoint (the seed's
--                          current_endpoint_status view now reads it)
--   health_rollup_hourly   per endpoint and hour: the running totals of the
--                          counts per status and of a latency histogram
--                          before the hour (b_*) and at its end (c_*), so
--                          that any window is "newest total - total before
--                          the window's first hour".
-- See docs/store.md for the design, precision, deletes and retention.

ALTER TABLE endpoints
  ADD COLUMN method VARCHAR(10) NOT NULL DEFAULT 'GET',
  ADD COLUMN degraded_ms INTEGER NOT NULL DEFAULT 2000,
  ADD COLUMN retries INTEGER NOT NULL DEFAULT 1,
  ADD COLUMN conditions JSONB NOT NULL DEFAULT '[]',
  ADD COLUMN cert_warn_days INTEGER NOT NULL DEFAULT 14,
  ADD COLUMN follow_redirects BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE health_history
  ADD COLUMN dns_ms REAL,
  ADD COLUMN connect_ms REAL,
  ADD COLUMN tls_ms REAL,
  ADD COLUMN ttfb_ms REAL;

-- History of one endpoint over a time range, newest first.
CREATE INDEX idx_health_history_endpoint_checked_at ON health_history(endpoint_id, checked_at DESC);

-- One row per endpoint that has ever been checked. status is NULL when its
-- history rows were all deleted. rollup_first_hour is the oldest hour in
-- health_rollup_hourly and rollup_trimmed says whether retention removed
-- older hours (then the running totals do not start at zero).
CREATE TABLE endpoint_status (
  endpoint_id UUID PRIMARY KEY REFERENCES endpoints(id) ON DELETE CASCADE,
  history_id UUID,
  status health_status,
  status_code INTEGER,
  latency_ms INTEGER,
  error_message TEXT,
  checked_at TIMESTAMP WITH TIME ZONE,
  rollup_first_hour TIMESTAMP WITH TIME ZONE NOT NULL,
  rollup_trimmed BOOLEAN NOT NULL DEFAULT false
) WITH (fillfactor = 70);

-- Latency histogram bucket: 0 for < 1 ms, then log-spaced by a factor 1.1
-- (bucket b >= 1 holds [1.1^(b-1), 1.1^b) ms), the last one (127) open-ended
-- from about 162 s. NULL latency is not counted. 0.0953101798043249 = ln(1.1).
CREATE FUNCTION mon_latency_bucket(ms INTEGER) RETURNS INTEGER
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN ms IS NULL OR ms < 0 THEN NULL WHEN ms < 1 THEN 0
              ELSE least(127, 1 + floor(ln(ms::double precision) / 0.0953101798043249::double precision)::integer)
         END
$$;

-- A latency histogram, sparse: a 16-byte bitmap of the buckets counted so
-- far (bucket b is bit b, as get_bit numbers them), then one 4-byte counter
-- (big-endian, as int4send) per bucket set, in bucket order. Running totals
-- only ever touch the few buckets an endpoint's latencies fall in, so a
-- histogram is 16 + 4 x (buckets used) bytes instead of 512. Adding to a
-- bucket counted so far overwrites its counter, a new bucket inserts one.
CREATE FUNCTION mon_hist_zero() RETURNS BYTEA
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT decode(repeat('00', 16), 'hex') $$;

-- Byte offset of bucket's counter: 16 + 4 x (buckets set below it).
CREATE FUNCTION mon_hist_offset(h BYTEA, bucket INTEGER) RETURNS INTEGER
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (16 + 4 * (bit_count(substring(h FROM 1 FOR bucket >> 3))
                    + bit_count(int4send(get_byte(h, bucket >> 3) & ((1 << (bucket & 7)) - 1)))))::integer
$$;

CREATE FUNCTION mon_hist_add(h BYTEA, bucket INTEGER, n INTEGER) RETURNS BYTEA
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN bucket IS NULL OR n = 0 THEN h
    WHEN get_bit(h, bucket) = 1 THEN
      overlay(h PLACING int4send(('x' || encode(substring(h FROM mon_hist_offset(h, bucket) + 1 FOR 4),
                                                'hex'))::bit(32)::integer + n)
              FROM mon_hist_offset(h, bucket) + 1 FOR 4)
    ELSE overlay(set_bit(h, bucket, 1) PLACING int4send(n) FROM mon_hist_offset(h, bucket) + 1 FOR 0) END
$$;

CREATE TABLE health_rollup_hourly (
  endpoint_id UUID NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
  hour TIMESTAMP WITH TIME ZONE NOT NULL,
  b_up BIGINT NOT NULL, b_down BIGINT NOT NULL, b_degraded BIGINT NOT NULL, b_unknown BIGINT NOT NULL,
  c_up BIGINT NOT NULL, c_down BIGINT NOT NULL, c_degraded BIGINT NOT NULL, c_unknown BIGINT NOT NULL,
  b_hist BYTEA NOT NULL,
  c_hist BYTEA NOT NULL,
  PRIMARY KEY (endpoint_id, hour)
) WITH (fillfactor = 70);
-- Small histograms: stored as they are, never compressed.
ALTER TABLE health_rollup_hourly ALTER COLUMN b_hist SET STORAGE PLAIN, ALTER COLUMN c_hist SET STORAGE PLAIN;
CREATE INDEX idx_health_rollup_hourly_hour ON health_rollup_hourly(hour);

-- Add history rows to the hourly rollups. The rows are grouped into items
-- (endpoint, hour, status, bucket, count); each round adds at most one item
-- per endpoint to every rollup row of that endpoint from the item's hour on
-- (the item's own hour gets it in c_*, later hours in b_* and c_*), so late
-- rows keep the running totals exact. Checks arriving in order make one
-- item per endpoint and statement: one round, one row updated per endpoint.
-- A missing hour starts from the totals of the hour before.
CREATE TYPE mon_rollup_item AS (endpoint_id UUID, hour TIMESTAMP WITH TIME ZONE, status health_status,
                                bucket INTEGER, n INTEGER, round BIGINT);

CREATE FUNCTION mon_rollup_apply(batch health_history[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  items mon_rollup_item[];
  rounds BIGINT;
BEGIN
  items := ARRAY(
    SELECT ROW(endpoint_id, hour, status, bucket, n,
               row_number() OVER (PARTITION BY endpoint_id ORDER BY hour, status, bucket))::mon_rollup_item
    FROM (SELECT endpoint_id, date_trunc('hour', checked_at) AS hour, status,
                 mon_latency_bucket(latency_ms) AS bucket, count(*)::integer AS n
          FROM unnest(batch) GROUP BY 1, 2, 3, 4) g);
  SELECT max(i.round) INTO rounds FROM unnest(items) i;

  INSERT INTO health_rollup_hourly (endpoint_id, hour, b_up, b_down, b_degraded, b_unknown,
                                    c_up, c_down, c_degraded, c_unknown, b_hist, c_hist)
  SELECT g.endpoint_id, g.hour,
         coalesce(p.c_up, 0), coalesce(p.c_down, 0), coalesce(p.c_degraded, 0), coalesce(p.c_unknown, 0),
         coalesce(p.c_up, 0), coalesce(p.c_down, 0), coalesce(p.c_degraded, 0), coalesce(p.c_unknown, 0),
         coalesce(p.c_hist, mon_hist_zero()), coalesce(p.c_hist, mon_hist_zero())
  FROM (SELECT DISTINCT i.endpoint_id, i.hour FROM unnest(items) i) g
  LEFT JOIN LATERAL (
    SELECT q.c_up, q.c_down, q.c_degraded, q.c_unknown, q.c_hist FROM health_rollup_hourly q
    WHERE q.endpoint_id = g.endpoint_id AND q.hour < g.hour ORDER BY q.hour DESC LIMIT 1) p ON true
  WHERE NOT EXISTS (SELECT 1 FROM health_rollup_hourly x WHERE x.endpoint_id = g.endpoint_id AND x.hour = g.hour)
  ON CONFLICT (endpoint_id, hour) DO NOTHING;

  FOR k IN 1 .. coalesce(rounds, 0) LOOP
    UPDATE health_rollup_hourly r SET
      b_up = r.b_up + CASE WHEN r.hour > i.hour AND i.status = 'UP' THEN i.n ELSE 0 END,
      b_down = r.b_down + CASE WHEN r.hour > i.hour AND i.status = 'DOWN' THEN i.n ELSE 0 END,
      b_degraded = r.b_degraded + CASE WHEN r.hour > i.hour AND i.status = 'DEGRADED' THEN i.n ELSE 0 END,
      b_unknown = r.b_unknown + CASE WHEN r.hour > i.hour AND i.status = 'UNKNOWN' THEN i.n ELSE 0 END,
      c_up = r.c_up + CASE WHEN i.status = 'UP' THEN i.n ELSE 0 END,
      c_down = r.c_down + CASE WHEN i.status = 'DOWN' THEN i.n ELSE 0 END,
      c_degraded = r.c_degraded + CASE WHEN i.status = 'DEGRADED' THEN i.n ELSE 0 END,
      c_unknown = r.c_unknown + CASE WHEN i.status = 'UNKNOWN' THEN i.n ELSE 0 END,
      b_hist = CASE WHEN r.hour > i.hour THEN mon_hist_add(r.b_hist, i.bucket, i.n) ELSE r.b_hist END,
      c_hist = mon_hist_add(r.c_hist, i.bucket, i.n)
    FROM unnest(items) i
    WHERE i.round = k AND r.endpoint_id = i.endpoint_id AND r.hour >= i.hour;
  END LOOP;
END
$$;

-- One statement's new rows (transition table new_rows) update the latest
-- status (only where they are newer), then the hourly rollups. The status
-- upsert comes first: it locks each endpoint's status row, so concurrent
-- writers of one endpoint update its rollups one after the other.
CREATE FUNCTION mon_health_history_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO endpoint_status AS s (endpoint_id, history_id, status, status_code, latency_ms,
                                    error_message, checked_at, rollup_first_hour)
  SELECT DISTINCT ON (endpoint_id) endpoint_id, id, status, status_code, latency_ms, error_message, checked_at,
    min(date_trunc('hour', checked_at)) OVER (PARTITION BY endpoint_id)
  FROM new_rows ORDER BY endpoint_id, checked_at DESC, id DESC
  ON CONFLICT (endpoint_id) DO UPDATE SET
    history_id = CASE WHEN s.checked_at IS NULL OR (excluded.checked_at, excluded.history_id) > (s.checked_at, s.history_id) THEN excluded.history_id ELSE s.history_id END,
    status = CASE WHEN s.checked_at IS NULL OR (excluded.checked_at, excluded.history_id) > (s.checked_at, s.history_id) THEN excluded.status ELSE s.status END,
    status_code = CASE WHEN s.checked_at IS NULL OR (excluded.checked_at, excluded.history_id) > (s.checked_at, s.history_id) THEN excluded.status_code ELSE s.status_code END,
    latency_ms = CASE WHEN s.checked_at IS NULL OR (excluded.checked_at, excluded.history_id) > (s.checked_at, s.history_id) THEN excluded.latency_ms ELSE s.latency_ms END,
    error_message = CASE WHEN s.checked_at IS NULL OR (excluded.checked_at, excluded.history_id) > (s.checked_at, s.history_id) THEN excluded.error_message ELSE s.error_message END,
    checked_at = CASE WHEN s.checked_at IS NULL OR (excluded.checked_at, excluded.history_id) > (s.checked_at, s.history_id) THEN excluded.checked_at ELSE s.checked_at END,
    rollup_first_hour = least(s.rollup_first_hour, excluded.rollup_first_hour);
  PERFORM mon_rollup_apply(ARRAY(SELECT ROW(h.*)::health_history FROM new_rows h));
  RETURN NULL;
END
$$;

-- Recompute endpoint_status and health_rollup_hourly from health_history:
-- used by this migration, and after loading history with triggers disabled
-- (pg_restore --disable-triggers, bulk loads). The rollups are replayed a
-- minute of history at a time, in time order.
CREATE FUNCTION mon_health_summaries_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  minute TIMESTAMP WITH TIME ZONE;
BEGIN
  TRUNCATE endpoint_status, health_rollup_hourly;
  INSERT INTO endpoint_status (endpoint_id, history_id, status, status_code, latency_ms, error_message, checked_at,
                               rollup_first_hour)
  SELECT DISTINCT ON (endpoint_id) endpoint_id, id, status, status_code, latency_ms, error_message, checked_at,
    min(date_trunc('hour', checked_at)) OVER (PARTITION BY endpoint_id)
  FROM health_history ORDER BY endpoint_id, checked_at DESC, id DESC;
  FOR minute IN SELECT DISTINCT date_trunc('minute', checked_at) FROM health_history ORDER BY 1 LOOP
    PERFORM mon_rollup_apply(ARRAY(SELECT h FROM health_history h
                                   WHERE h.checked_at >= minute AND h.checked_at < minute + interval '1 minute'));
  END LOOP;
END
$$;

-- Counts per status and the latency histograms (newest total, total before
-- the window; NULL = zero) of every endpoint, or only `one`, over the whole
-- hours from date_trunc('hour', since) to now; the library subtracts them
-- and finds the percentiles. The newest total is the current hour's row,
-- the total before the window comes from the row of the window's first hour
-- (both read for all endpoints through the hour index), or is zero when the
-- window starts before the endpoint's first hour and nothing was trimmed;
-- an index probe per endpoint is made only where those rows are missing.
-- No SET clause: PostgreSQL then inlines the function into the calling query
-- instead of running it apart and copying its rows (~20 ms at 10,000
-- endpoints). Those probes make the planner's cost estimate large enough to
-- turn JIT on, whose compilation would cost more (~40 ms) than the whole
-- query: the library turns JIT off around its call (mon_store_uptime).
CREATE FUNCTION mon_rollup_window(since TIMESTAMP WITH TIME ZONE, one UUID DEFAULT NULL)
RETURNS TABLE (endpoint_id UUID, up BIGINT, down BIGINT, degraded BIGINT, unknown BIGINT,
               newest_hist BYTEA, before_hist BYTEA)
LANGUAGE sql STABLE AS $$
  WITH cur AS (
    SELECT r.endpoint_id, r.c_up, r.c_down, r.c_degraded, r.c_unknown, r.c_hist FROM health_rollup_hourly r
    WHERE r.hour = date_trunc('hour', now()) AND (one IS NULL OR r.endpoint_id = one)
  ), first AS (
    SELECT r.endpoint_id, r.b_up, r.b_down, r.b_degraded, r.b_unknown, r.b_hist FROM health_rollup_hourly r
    WHERE r.hour = date_trunc('hour', since) AND (one IS NULL OR r.endpoint_id = one)
  )
  SELECT e.id,
    CASE WHEN v.ok THEN coalesce(cur.c_up, lp.c_up) - coalesce(bb.b_up, bp.b_up, 0) ELSE 0 END,
    CASE WHEN v.ok THEN coalesce(cur.c_down, lp.c_down) - coalesce(bb.b_down, bp.b_down, 0) ELSE 0 END,
    CASE WHEN v.ok THEN coalesce(cur.c_degraded, lp.c_degraded) - coalesce(bb.b_degraded, bp.b_degraded, 0) ELSE 0 END,
    CASE WHEN v.ok THEN coalesce(cur.c_unknown, lp.c_unknown) - coalesce(bb.b_unknown, bp.b_unknown, 0) ELSE 0 END,
    CASE WHEN v.ok THEN coalesce(cur.c_hist, lp.c_hist) END,
    CASE WHEN v.ok THEN coalesce(bb.b_hist, bp.b_hist) END
  FROM (SELECT id, name FROM endpoints WHERE one IS NULL OR id = one) e
  LEFT JOIN endpoint_status s ON s.endpoint_id = e.id
  CROSS JOIN LATERAL (SELECT s.rollup_first_hour IS NOT NULL AND date_trunc('hour', since) <= s.rollup_first_hour
                             AND NOT s.rollup_trimmed AS from_start) z
  LEFT JOIN cur ON cur.endpoint_id = e.id
  LEFT JOIN first bb ON bb.endpoint_id = e.id
  LEFT JOIN LATERAL (
    SELECT r.c_up, r.c_down, r.c_degraded, r.c_unknown, r.c_hist FROM health_rollup_hourly r
    WHERE cur.endpoint_id IS NULL AND s.endpoint_id IS NOT NULL AND r.endpoint_id = e.id AND r.hour <= now()
    ORDER BY r.hour DESC LIMIT 1) lp ON true
  LEFT JOIN LATERAL (
    SELECT r.b_up, r.b_down, r.b_degraded, r.b_unknown, r.b_hist FROM health_rollup_hourly r
    WHERE bb.endpoint_id IS NULL AND NOT z.from_start AND s.endpoint_id IS NOT NULL
      AND r.endpoint_id = e.id AND r.hour >= date_trunc('hour', since)
    ORDER BY r.hour LIMIT 1) bp ON true
  CROSS JOIN LATERAL (SELECT (z.from_start OR bb.endpoint_id IS NOT NULL OR bp.b_up IS NOT NULL)
                             AND (cur.endpoint_id IS NOT NULL OR lp.c_up IS NOT NULL) AS ok) v
  ORDER BY e.name, e.id
$$;

-- Deleting the row that is an endpoint's latest status falls back to the
-- newest remaining row (or to NULL: "never checked"). Rollups are not
-- changed by deletes: they are the record of checks made, trimmed by whole
-- hours by retention (mon_store_retention_apply), see docs/store.md.
CREATE FUNCTION mon_health_history_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE endpoint_status s SET
    (history_id, status, status_code, latency_ms, error_message, checked_at) =
      (SELECT h.id, h.status, h.status_code, h.latency_ms, h.error_message, h.checked_at
       FROM (SELECT 1) one
       LEFT JOIN LATERAL (SELECT * FROM health_history h WHERE h.endpoint_id = s.endpoint_id
                          ORDER BY h.checked_at DESC, h.id DESC LIMIT 1) h ON true)
  FROM old_rows o WHERE o.id = s.history_id;
  RETURN NULL;
END
$$;

CREATE FUNCTION mon_health_history_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE endpoint_status, health_rollup_hourly;
  RETURN NULL;
END
$$;

CREATE TRIGGER health_history_summaries_insert
  AFTER INSERT ON health_history REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mon_health_history_inserted();

CREATE TRIGGER health_history_summaries_delete
  AFTER DELETE ON health_history REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mon_health_history_deleted();

CREATE TRIGGER health_history_summaries_truncate
  AFTER TRUNCATE ON health_history
  FOR EACH STATEMENT EXECUTE FUNCTION mon_health_history_truncated();

-- Summaries of the rows recorded before this migration.
SELECT mon_health_summaries_rebuild();

-- The seed's view, same name, columns and meaning (endpoints never checked
-- have NULL status), now one row of endpoint_status per endpoint instead of
-- a sort of all history.
CREATE OR REPLACE VIEW current_endpoint_status AS
SELECT
  e.id,
  e.name,
  e.type,
  e.url,
  e.enabled,
  s.status,
  s.status_code,
  s.latency_ms,
  s.checked_at AS last_check
FROM endpoints e
LEFT JOIN endpoint_status s ON s.endpoint_id = e.id
ORDER BY e.id;
