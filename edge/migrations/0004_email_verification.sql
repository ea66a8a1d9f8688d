-- Verified email: rights granted by an email address (alternative host) need proof that the
-- account holder reads that address. Accounts created before this migration stay unverified
-- until they verify, except SSO accounts, whose IdP vouches for its own domain.

ALTER TABLE users ADD COLUMN email_verified_at INTEGER;
UPDATE users SET email_verified_at = created_at WHERE saml_name_id IS NOT NULL;

-- One row per link mailed: SHA-256 of a 256-bit random token (the token itself is only in the
-- mail), the address it was sent to (a link proves that address, not a later one), and its
-- lifetime. A row is deleted when used, so a link works once.
CREATE TABLE email_verifications (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX email_verifications_user ON email_verifications (user_id, created_at);
