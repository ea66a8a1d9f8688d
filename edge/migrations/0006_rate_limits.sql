-- Counters for request rate limits (edge/src/policy/rate-limit.ts): one row per limited key
-- (an address or a user, prefixed by what is limited), counting hits since `window_start` (ms).
-- One upsert both counts and reads, so concurrent requests never over-admit.
CREATE TABLE rate_limits (
  key TEXT PRIMARY KEY,
  window_start INTEGER NOT NULL,
  count INTEGER NOT NULL
) WITHOUT ROWID;

-- Expired windows are swept by age.
CREATE INDEX rate_limits_window ON rate_limits (window_start);
