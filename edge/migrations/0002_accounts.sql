-- Accounts and administration: organizations, users, sessions, MFA, API keys,
-- scoped tokens, SAML, envelope-encryption data keys, and the audit hash chain.
--
-- Secrets are never stored in a form the database alone can open:
--   passwords, recovery codes      → scrypt / SHA-256 hashes (recovery codes are 50-bit random)
--   session ids, token ids         → SHA-256 of a 256-bit random value
--   TOTP secrets, API key secrets,
--   contact details                → sealed with a per-record data key (data_keys), itself
--                                    wrapped by the master key that lives outside D1.

CREATE TABLE orgs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  tier INTEGER NOT NULL CHECK (tier IN (100, 300, 500, 1000)),
  policy_json TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  disabled INTEGER NOT NULL DEFAULT 0,
  password_hash TEXT,
  password_changed_at INTEGER,
  failed_count INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0,
  -- sealed (kms/envelope.ts): the TOTP secret, and contact details
  mfa_secret_sealed TEXT,
  mfa_enabled INTEGER NOT NULL DEFAULT 0,
  -- the last TOTP time step accepted, so one code cannot be used twice (RFC 6238 §5.2)
  mfa_last_step INTEGER NOT NULL DEFAULT 0,
  phone_sealed TEXT,
  saml_name_id TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX users_org ON users (org_id, email);

CREATE TABLE password_history (
  user_id TEXT NOT NULL,
  hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, created_at);

CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  csrf TEXT NOT NULL,
  mfa INTEGER NOT NULL DEFAULT 0,
  -- a session that passed the password but still owes an MFA code
  pending_mfa INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ip TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE recovery_codes (
  user_id TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  used_at INTEGER,
  PRIMARY KEY (user_id, code_hash)
);

-- Envelope encryption: one random data key per sealed record, wrapped by a master key.
-- Deleting a row here crypto-shreds whatever it sealed.
CREATE TABLE data_keys (
  id TEXT PRIMARY KEY,
  org_id TEXT,
  user_id TEXT,
  purpose TEXT NOT NULL,
  kek_id TEXT NOT NULL,
  wrapped TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  rewrapped_at INTEGER
);
CREATE INDEX data_keys_user ON data_keys (user_id);
CREATE INDEX data_keys_org ON data_keys (org_id);
CREATE INDEX data_keys_kek ON data_keys (kek_id);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  label TEXT NOT NULL,
  secret_sealed TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- Nonces seen on signed requests, kept for the skew window so a replay is refused.
CREATE TABLE api_nonces (
  key_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (key_id, nonce)
);

CREATE TABLE tokens (
  id_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  scopes_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE saml_configs (
  org_id TEXT PRIMARY KEY,
  idp_entity_id TEXT NOT NULL,
  idp_sso_url TEXT NOT NULL,
  idp_cert_sealed TEXT NOT NULL,
  email_domain TEXT NOT NULL UNIQUE,
  default_role TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Assertion ids already consumed, kept until the assertion would have expired anyway.
CREATE TABLE saml_assertions (
  id TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);

-- SAML AuthnRequest ids we issued (RelayState binding): a response must answer one of them.
CREATE TABLE saml_requests (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);

-- Progressive lockout per source address too, so one address cannot spray many accounts.
CREATE TABLE signin_failures (
  ip TEXT PRIMARY KEY,
  failed_count INTEGER NOT NULL,
  locked_until INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Participant usage for reports: one row per participant stay in a meeting.
CREATE TABLE usage_sessions (
  meeting_id TEXT NOT NULL,
  org_id TEXT,
  participant TEXT NOT NULL,
  joined_at INTEGER NOT NULL,
  left_at INTEGER
);
CREATE INDEX usage_org_time ON usage_sessions (org_id, joined_at);

-- The audit trail becomes a hash chain: hash = SHA-256(prev_hash ‖ canonical entry).
-- seq is assigned by the writer (prev seq + 1); the primary key makes two appends with the same
-- predecessor impossible, so the chain stays linear without a lock (see edge/src/audit.ts).
ALTER TABLE audit ADD COLUMN org_id TEXT;
ALTER TABLE audit ADD COLUMN prev_hash TEXT;
ALTER TABLE audit ADD COLUMN hash TEXT;
CREATE INDEX audit_org ON audit (org_id, seq);
