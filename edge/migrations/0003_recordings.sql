-- Cloud recordings: client-sealed byte streams in R2, sealed again at rest.
--
-- What the database holds cannot open a recording: the per-recording data key sits in
-- data_keys wrapped by the master key (kms/), and the recording key the browser sealed with is
-- only here as `key_wrap`, wrapped under a key that never leaves the owner's browser.
-- Deleting a recording deletes its data_keys row: any leftover copy of the object is noise.

CREATE TABLE recordings (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  meeting_id TEXT,
  title TEXT NOT NULL,
  mime_type TEXT NOT NULL,
  key_wrap TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('uploading', 'complete')),
  -- R2: object key and multipart upload id (null once completed)
  r2_key TEXT NOT NULL,
  upload_id TEXT,
  data_key_id TEXT NOT NULL,
  part_size INTEGER NOT NULL,
  -- client-sealed bytes received, and what R2 stores (client bytes + at-rest overhead)
  size_bytes INTEGER NOT NULL DEFAULT 0,
  stored_bytes INTEGER NOT NULL DEFAULT 0,
  duration_ms INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  completed_at INTEGER
);
CREATE INDEX recordings_owner ON recordings (owner_id, created_at);
CREATE INDEX recordings_org ON recordings (org_id, created_at);
CREATE INDEX recordings_status ON recordings (status, updated_at);

-- Parts that arrived, so a resuming uploader can ask what to send next (R2's binding cannot list parts).
CREATE TABLE recording_parts (
  recording_id TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  etag TEXT NOT NULL,
  size INTEGER NOT NULL,
  stored_size INTEGER NOT NULL,
  PRIMARY KEY (recording_id, part_number)
);

-- Share links: the id is a bearer secret for the sealed bytes; the key is in the link's fragment.
CREATE TABLE recording_shares (
  id TEXT PRIMARY KEY,
  recording_id TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX recording_shares_recording ON recording_shares (recording_id);

-- Retention per organization: recordings older than `days` are deleted by the scheduled job.
CREATE TABLE recording_retention (
  org_id TEXT PRIMARY KEY,
  days INTEGER,
  updated_at INTEGER NOT NULL,
  updated_by TEXT
);
