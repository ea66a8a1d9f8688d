-- Nonces of accepted edge ↔ origin requests (protocol internal-auth), kept until their timestamp
-- leaves the skew window so a replay within it is refused.
CREATE TABLE internal_nonces (
  nonce TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
CREATE INDEX internal_nonces_expiry ON internal_nonces (expires_at);
