-- 005: connector types registered by an embedding program (mon_connectors_register).
-- The seed's `connectors` table keeps one row per built-in type (its `type` column is
-- the connector_type enum, so it cannot hold other names); custom types keep their
-- configuration here, with the same columns and the same encrypted credentials format.
CREATE TABLE custom_connectors (
  id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
  name VARCHAR(50) NOT NULL UNIQUE CHECK (name ~ '^[A-Z][A-Z0-9_]*$'),
  base_url VARCHAR(500),
  credentials TEXT, -- mon1:<alg>:<keyid>:<nonce>:<ciphertext> (see docs/security.md)
  options JSONB NOT NULL DEFAULT '{}',
  enabled BOOLEAN NOT NULL DEFAULT false,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);

CREATE TRIGGER update_custom_connectors_updated_at
  BEFORE UPDATE ON custom_connectors
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
