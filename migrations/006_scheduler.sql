-- migrations/006_scheduler.sql
-- Scheduling state shared by the scheduler replicas (lib/scheduler.c,
-- docs/scheduler.md). One row per ENABLED endpoint, kept in sync with
-- endpoints by a trigger, so that edits made by any client (the library, the
-- REST API, plain SQL) are picked up without restarting a scheduler.
--
-- next_check_at  the start of the endpoint's next slot. Slots are
--                check_interval apart and shifted by a per-endpoint offset
--                (mon_schedule_offset) so that endpoints sharing an interval
--                are spread over it instead of firing in the same second.
-- lease_owner,   the replica that claimed the endpoint and until when no other
-- lease_until    replica may claim it: timeout x (retries + 1) + a margin, so a
--                dead replica's endpoints are taken over when it expires.
CREATE TABLE endpoint_schedule (
  endpoint_id UUID PRIMARY KEY REFERENCES endpoints(id) ON DELETE CASCADE,
  next_check_at TIMESTAMP WITH TIME ZONE NOT NULL,
  lease_owner TEXT,
  lease_until TIMESTAMP WITH TIME ZONE
) WITH (fillfactor = 70);

CREATE INDEX idx_endpoint_schedule_next_check_at ON endpoint_schedule(next_check_at);

-- Offset in seconds (millisecond steps) of an endpoint's slots within its
-- interval: derived from its id, so it is the same on every replica and
-- stable across restarts.
CREATE FUNCTION mon_schedule_offset(id UUID, iv INTEGER) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (('x' || substr(md5(id::text), 1, 7))::bit(28)::int % (iv::bigint * 1000)) / 1000.0::double precision
$$;

-- The first slot of endpoint id (interval iv seconds) strictly after `after`.
-- Computing the next slot from the current time rather than adding the
-- interval to the previous slot keeps the slots aligned (no drift) and, when
-- a check ran late, skips the missed slots instead of firing them in a burst.
CREATE FUNCTION mon_schedule_next(id UUID, iv INTEGER, after TIMESTAMP WITH TIME ZONE)
RETURNS TIMESTAMP WITH TIME ZONE
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_timestamp((floor((extract(epoch FROM after)::double precision - o) / iv) + 1) * iv + o)
  FROM (SELECT mon_schedule_offset(id, iv) AS o) s
$$;

-- Enabled endpoints have a schedule row, disabled ones none (so they are
-- never claimed). A new interval moves the next check to the next slot of the
-- new interval, so the edit takes effect within one (new) interval. A new URL
-- or any other field needs nothing: a claim reads the endpoint as it is.
CREATE FUNCTION mon_endpoint_schedule_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT NEW.enabled THEN
    DELETE FROM endpoint_schedule WHERE endpoint_id = NEW.id;
  ELSIF TG_OP = 'INSERT' OR NOT OLD.enabled OR OLD.check_interval <> NEW.check_interval THEN
    INSERT INTO endpoint_schedule (endpoint_id, next_check_at)
    VALUES (NEW.id, mon_schedule_next(NEW.id, NEW.check_interval, now()))
    ON CONFLICT (endpoint_id) DO UPDATE SET next_check_at = EXCLUDED.next_check_at;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER endpoints_schedule_sync
  AFTER INSERT OR UPDATE OF enabled, check_interval ON endpoints
  FOR EACH ROW EXECUTE FUNCTION mon_endpoint_schedule_sync();

INSERT INTO endpoint_schedule (endpoint_id, next_check_at)
SELECT id, mon_schedule_next(id, check_interval, now()) FROM endpoints WHERE enabled;
