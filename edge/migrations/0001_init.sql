-- Meetings, media origins and the audit trail.
--
-- Host keys are random 256-bit secrets, so a plain SHA-256 is enough to store them;
-- meeting passwords are chosen by people, so they get a memory-hard hash (scrypt, see
-- edge/src/meetings/password.ts).
CREATE TABLE meetings (
  id TEXT PRIMARY KEY,
  topic TEXT NOT NULL DEFAULT '',
  owner_id TEXT,
  host_key_hash TEXT NOT NULL,
  password_hash TEXT,
  settings_json TEXT NOT NULL,
  start_at INTEGER,
  duration_min INTEGER NOT NULL DEFAULT 60,
  time_zone TEXT NOT NULL DEFAULT 'UTC',
  recurrence_json TEXT,
  alt_hosts_json TEXT NOT NULL DEFAULT '[]',
  personal INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  ended_at INTEGER
);
CREATE INDEX meetings_owner_start ON meetings (owner_id, start_at);

-- Origins register and heartbeat themselves; a row older than the liveness window is ignored.
CREATE TABLE origins (
  id TEXT PRIMARY KEY,
  region TEXT NOT NULL,
  url TEXT NOT NULL,
  control_url TEXT NOT NULL,
  draining INTEGER NOT NULL DEFAULT 0,
  load_json TEXT NOT NULL,
  score REAL NOT NULL,
  last_seen INTEGER NOT NULL
);
CREATE INDEX origins_pick ON origins (draining, last_seen, score);

-- Every host action and every refusal: who, what, when, from where, result.
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  meeting_id TEXT,
  actor TEXT,
  actor_role TEXT,
  action TEXT NOT NULL,
  target TEXT,
  result TEXT NOT NULL,
  ip TEXT,
  detail TEXT
);
CREATE INDEX audit_meeting ON audit (meeting_id, seq);
