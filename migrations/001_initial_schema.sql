-- migrations/001_initial_schema.sql

-- Extension pour UUID
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";

-- Enum pour les types d'endpoints
CREATE TYPE endpoint_type AS ENUM ('APIM', 'DOMAIN', 'TALEND');

-- Enum pour les types de connectors
CREATE TYPE connector_type AS ENUM (
  'TALEND', 'APIM', 'GITHUB', 'KEYCLOAK',
  'DOMAIN_HEALTH', 'CLOUDFLARE', 'GLPI', 'JIRA'
);

-- Enum pour les statuts de santé
CREATE TYPE health_status AS ENUM ('UP', 'DOWN', 'DEGRADED', 'UNKNOWN');

-- Enum pour les résultats d'actions
CREATE TYPE action_result AS ENUM ('SUCCESS', 'FAILURE');

-- Table des endpoints monitorés
CREATE TABLE endpoints (
  id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
  name VARCHAR(100) NOT NULL,
  type endpoint_type NOT NULL,
  url VARCHAR(500) NOT NULL,
  check_interval INTEGER NOT NULL DEFAULT 60,
  timeout INTEGER NOT NULL DEFAULT 5000,
  expected_status INTEGER NOT NULL DEFAULT 200,
  headers JSONB DEFAULT '{}',
  enabled BOOLEAN NOT NULL DEFAULT true,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);

-- Index sur les endpoints
CREATE INDEX idx_endpoints_type ON endpoints(type);
CREATE INDEX idx_endpoints_enabled ON endpoints(enabled);

-- Table des connectors
CREATE TABLE connectors (
  id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
  type connector_type NOT NULL UNIQUE,
  base_url VARCHAR(500),
  credentials TEXT, -- Chiffré (AES-256)
  options JSONB DEFAULT '{}',
  enabled BOOLEAN NOT NULL DEFAULT true,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);

-- Index sur les connectors
CREATE INDEX idx_connectors_type ON connectors(type);
CREATE INDEX idx_connectors_enabled ON connectors(enabled);

-- Table de l'historique des checks
CREATE TABLE health_history (
  id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
  endpoint_id UUID NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
  status health_status NOT NULL,
  status_code INTEGER,
  latency_ms INTEGER,
  error_message TEXT,
  checked_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);

-- Index sur l'historique
CREATE INDEX idx_health_history_endpoint_id ON health_history(endpoint_id);
CREATE INDEX idx_health_history_checked_at ON health_history(checked_at DESC);

-- Partition par mois pour l'historique (optionnel, pour gros volumes)
-- CREATE TABLE health_history_2024_01 PARTITION OF health_history
--   FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');

-- Table des logs d'actions
CREATE TABLE action_logs (
  id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
  action VARCHAR(50) NOT NULL,
  target VARCHAR(100) NOT NULL,
  user_id VARCHAR(100) NOT NULL,
  user_email VARCHAR(255) NOT NULL,
  user_roles JSONB DEFAULT '[]',
  ip_address VARCHAR(45),
  user_agent TEXT,
  parameters JSONB DEFAULT '{}',
  result action_result NOT NULL,
  error_message TEXT,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);

-- Index sur les logs
CREATE INDEX idx_action_logs_user_id ON action_logs(user_id);
CREATE INDEX idx_action_logs_action ON action_logs(action);
CREATE INDEX idx_action_logs_created_at ON action_logs(created_at DESC);

-- Trigger pour mise à jour automatique de updated_at
CREATE OR REPLACE FUNCTION update_updated_at_column()
RETURNS TRIGGER AS $$
BEGIN
  NEW.updated_at = NOW();
  RETURN NEW;
END;
$$ language 'plpgsql';

CREATE TRIGGER update_endpoints_updated_at
  BEFORE UPDATE ON endpoints
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TRIGGER update_connectors_updated_at
  BEFORE UPDATE ON connectors
  FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- Vue pour le statut actuel des endpoints
CREATE VIEW current_endpoint_status AS
SELECT DISTINCT ON (e.id)
  e.id,
  e.name,
  e.type,
  e.url,
  e.enabled,
  h.status,
  h.status_code,
  h.latency_ms,
  h.checked_at AS last_check
FROM endpoints e
LEFT JOIN health_history h ON e.id = h.endpoint_id
ORDER BY e.id, h.checked_at DESC;
