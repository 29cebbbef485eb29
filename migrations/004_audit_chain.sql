-- 004: audit log chain and append-only guard (docs/audit.md).
-- The seed's action_logs columns are kept as they are; three columns chain
-- the rows: seq (position, unique), prev_hash and row_hash (BLAKE2b-256 over
-- the canonical encoding computed by the library).

ALTER TABLE action_logs
    ADD COLUMN seq BIGINT,
    ADD COLUMN prev_hash BYTEA,
    ADD COLUMN row_hash BYTEA;

ALTER TABLE action_logs
    ADD CONSTRAINT action_logs_seq_positive CHECK (seq > 0),
    ADD CONSTRAINT action_logs_hash_length
        CHECK ((prev_hash IS NULL OR length(prev_hash) = 32) AND (row_hash IS NULL OR length(row_hash) = 32));

-- Rows written before this migration are numbered in time order and stay
-- unhashed ("legacy"); the chain starts after them. The boundary is kept in
-- action_log_chain so that verify knows which unhashed rows are legitimate.
UPDATE action_logs a SET seq = n.seq
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS seq FROM action_logs) n
WHERE a.id = n.id;

CREATE TABLE action_log_chain (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    legacy_through_seq BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
INSERT INTO action_log_chain (legacy_through_seq) SELECT COALESCE(max(seq), 0) FROM action_logs;

CREATE UNIQUE INDEX idx_action_logs_seq ON action_logs (seq);
-- Keyset paging of queries, newest first.
CREATE INDEX idx_action_logs_created_id ON action_logs (created_at DESC, id DESC);
CREATE INDEX idx_action_logs_target ON action_logs (target);

-- Append-only: UPDATE, DELETE and TRUNCATE are refused with SQLSTATE MA001
-- (the library maps it to MON_EFORBIDDEN). The only exception is a DELETE by
-- mon_audit_retention_apply(), which sets monitorage.audit_retention for its
-- own transaction and records what it removed in the chain. Anyone able to
-- set that variable or to disable the trigger can still remove rows: the
-- hash chain, not this trigger, is what makes that detectable.
CREATE FUNCTION mon_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'action_logs'
       AND current_setting('monitorage.audit_retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'MA001',
              HINT = 'audit rows are never changed; old rows are removed only by mon_audit_retention_apply()';
END;
$$;

CREATE TRIGGER action_logs_append_only
    BEFORE UPDATE OR DELETE ON action_logs
    FOR EACH ROW EXECUTE FUNCTION mon_audit_guard();
CREATE TRIGGER action_logs_no_truncate
    BEFORE TRUNCATE ON action_logs
    FOR EACH STATEMENT EXECUTE FUNCTION mon_audit_guard();
CREATE TRIGGER action_log_chain_append_only
    BEFORE UPDATE OR DELETE ON action_log_chain
    FOR EACH ROW EXECUTE FUNCTION mon_audit_guard();
CREATE TRIGGER action_log_chain_no_truncate
    BEFORE TRUNCATE ON action_log_chain
    FOR EACH STATEMENT EXECUTE FUNCTION mon_audit_guard();
