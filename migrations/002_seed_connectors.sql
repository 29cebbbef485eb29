-- migrations/002_seed_connectors.sql

-- Insertion des connectors avec configuration par défaut
INSERT INTO connectors (type, base_url, enabled) VALUES
  ('TALEND', NULL, false),
  ('APIM', NULL, false),
  ('GITHUB', 'https://api.github.com', false),
  ('KEYCLOAK', NULL, false),
  ('DOMAIN_HEALTH', NULL, true),
  ('CLOUDFLARE', 'https://api.cloudflare.com/client/v4', false),
  ('GLPI', NULL, false),
  ('JIRA', NULL, false);
