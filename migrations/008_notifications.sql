-- 008: notification rules and the notification outbox (docs/notifications.md).
-- A rule says which incident events (opened / resolved) of which endpoints (all, one, or one
-- endpoint type) go to which channel (a signed webhook, a Jira issue, a GLPI ticket). Every
-- incident event is fanned out to the matching rules in the transaction that records the event
-- (trigger below), one outbox row per (event, rule): a notification exists exactly once, and
-- survives any restart because it is a row. Dispatchers (mon_notify_dispatch) claim due rows
-- with FOR UPDATE SKIP LOCKED and a lease, deliver them, and record the outcome guarded by the
-- claim number, so two replicas never deliver the same row under a live lease.
CREATE TABLE notification_rules (
  id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
  name VARCHAR(100) NOT NULL UNIQUE,
  enabled BOOLEAN NOT NULL DEFAULT true,
  endpoint_id UUID REFERENCES endpoints(id) ON DELETE CASCADE, -- NULL: not scoped to one endpoint
  endpoint_type endpoint_type,                                 -- NULL: not scoped to one type
  channel TEXT NOT NULL CHECK (channel IN ('webhook', 'jira', 'glpi')),
  config JSONB NOT NULL DEFAULT '{}',  -- the channel's settings, never a secret
  secret TEXT,                         -- webhook secret: mon1:<alg>:<keyid>:<nonce>:<ciphertext>
  on_opened BOOLEAN NOT NULL DEFAULT true,
  on_resolved BOOLEAN NOT NULL DEFAULT true,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  CHECK (endpoint_id IS NULL OR endpoint_type IS NULL),
  CHECK (on_opened OR on_resolved)
);

CREATE TRIGGER update_notification_rules_updated_at
  BEFORE UPDATE ON notification_rules
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TABLE notification_outbox (
  id BIGSERIAL PRIMARY KEY,
  event_id BIGINT NOT NULL REFERENCES incident_events(id) ON DELETE CASCADE,
  rule_id UUID NOT NULL REFERENCES notification_rules(id) ON DELETE CASCADE,
  incident_id UUID NOT NULL,
  endpoint_id UUID,
  event_kind TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  steps_done INTEGER NOT NULL DEFAULT 0,  -- resolve steps already done (comment, then close)
  next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  claims INTEGER NOT NULL DEFAULT 0,      -- bumped by every claim; outcomes are recorded against it
  claimed_by TEXT,
  claimed_until TIMESTAMP WITH TIME ZONE,
  sent_at TIMESTAMP WITH TIME ZONE,
  response_status INTEGER,
  ticket_key TEXT,
  last_error TEXT,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  UNIQUE (event_id, rule_id)
);

CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX notification_outbox_incident ON notification_outbox (incident_id, rule_id);
CREATE INDEX notification_outbox_created ON notification_outbox (created_at DESC, id DESC);

-- Statement-level: the engine records a round of events in one INSERT, fanned out here in one
-- INSERT ... SELECT (a row-level trigger cost about 3x more per event).
CREATE FUNCTION notification_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO notification_outbox (event_id, rule_id, incident_id, endpoint_id, event_kind)
  SELECT n.id, r.id, n.incident_id, n.endpoint_id, n.kind
    FROM new_events n
    LEFT JOIN endpoints e ON e.id = n.endpoint_id
    JOIN notification_rules r
      ON r.enabled
     AND CASE n.kind WHEN 'opened' THEN r.on_opened WHEN 'resolved' THEN r.on_resolved ELSE false END
     AND (r.endpoint_id IS NULL OR r.endpoint_id = n.endpoint_id)
     AND (r.endpoint_type IS NULL OR r.endpoint_type = e.type)
   ORDER BY n.id, r.id
  ON CONFLICT (event_id, rule_id) DO NOTHING;
  RETURN NULL;
END;
$$;

CREATE TRIGGER incident_events_notify
  AFTER INSERT ON incident_events REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION notification_fan_out();
