-- SSO email domains are routed to an organization only once it has proven it controls them
-- (edge/src/accounts/saml/domain-proof.ts). A claim holds the challenge the admin is shown;
-- verified_at is set when the proof succeeded.
CREATE TABLE sso_domains (
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  domain TEXT NOT NULL,
  token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- The challenge token an operator approved (SSO_DOMAIN_PROOF=operator); compared with token.
  operator_approved_token TEXT,
  verified_at INTEGER,
  -- 'dns' or 'operator': how the proof was made.
  verified_by TEXT,
  PRIMARY KEY (org_id, domain)
);
-- Any number of organizations may claim a domain; only one may have proven it.
CREATE UNIQUE INDEX sso_domains_verified ON sso_domains (domain) WHERE verified_at IS NOT NULL;

-- saml_configs.email_domain was UNIQUE, so the first organization to name a domain held it with no
-- proof and blocked its real owner. Rebuilt without the constraint: sso_domains decides routing now.
CREATE TABLE saml_configs_next (
  org_id TEXT PRIMARY KEY,
  idp_entity_id TEXT NOT NULL,
  idp_sso_url TEXT NOT NULL,
  idp_cert_sealed TEXT NOT NULL,
  email_domain TEXT NOT NULL,
  default_role TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
INSERT INTO saml_configs_next (org_id, idp_entity_id, idp_sso_url, idp_cert_sealed, email_domain, default_role, updated_at)
  SELECT org_id, idp_entity_id, idp_sso_url, idp_cert_sealed, email_domain, default_role, updated_at FROM saml_configs;
DROP TABLE saml_configs;
ALTER TABLE saml_configs_next RENAME TO saml_configs;
CREATE INDEX saml_configs_domain ON saml_configs (email_domain);

-- Domains configured before this migration were never proven: they start pending, with a fresh challenge.
INSERT INTO sso_domains (org_id, domain, token, created_at)
  SELECT c.org_id, c.email_domain, lower(hex(randomblob(16))), CAST(strftime('%s', 'now') AS INTEGER) * 1000
  FROM saml_configs c JOIN orgs o ON o.id = c.org_id;
