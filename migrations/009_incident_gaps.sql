-- migrations/009_incident_gaps.sql
--
-- Disabling an endpoint closes its open incident (docs/incidents.md).
--
-- A disabled endpoint is no longer checked, so nothing would ever resolve
-- its open incident and the ticket opened for it would stay open forever.
-- Whoever disables it (the library, the REST API, plain SQL), this trigger
-- resolves the open incident at that moment with a 'resolved' event whose
-- payload says "resolution": "endpoint_disabled", so notifications (and
-- their tickets) are closed too, and restarts the engine's counters at the
-- disabling time: a check already in flight (checked before it) is stored
-- but not counted, and after re-enabling the endpoint starts from calm.
-- The state row is locked before the incident, in the order the engine
-- uses, so a concurrent writer of the endpoint never deadlocks with it.
CREATE FUNCTION mon_incidents_endpoint_disabled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO incident_state AS s (endpoint_id, checked_at)
  VALUES (NEW.id, now())
  ON CONFLICT (endpoint_id) DO UPDATE
    SET checked_at = greatest(s.checked_at, now()), history_id = NULL, failing = NULL, fail_streak = 0,
        up_streak = 0, streak_started_at = NULL, streak_error = NULL, flaps = '{}';

  WITH closed AS (
    UPDATE incidents i SET resolved_at = now()
    WHERE i.endpoint_id = NEW.id AND i.resolved_at IS NULL
    RETURNING i.*
  )
  INSERT INTO incident_events (incident_id, endpoint_id, kind, payload)
  SELECT c.id, c.endpoint_id, 'resolved',
         jsonb_build_object(
           'endpoint', jsonb_build_object('id', NEW.id, 'name', NEW.name, 'url', NEW.url, 'type', NEW.type),
           'incident', jsonb_build_object('id', c.id, 'kind', c.kind, 'started_at', c.started_at,
                                          'resolved_at', c.resolved_at, 'first_error', c.first_error,
                                          'failed_checks', c.failed_checks, 'last_status', c.last_status,
                                          'resolution', 'endpoint_disabled'))
  FROM closed c;
  RETURN NULL;
END
$$;

CREATE TRIGGER endpoints_disabled_resolve_incident
  AFTER UPDATE OF enabled ON endpoints
  FOR EACH ROW WHEN (OLD.enabled AND NOT NEW.enabled)
  EXECUTE FUNCTION mon_incidents_endpoint_disabled();
