/** D1 access for recordings, their parts, share links and the retention setting. */
import type { RecordingView, ShareView } from '@sealroom/protocol';

export interface RecordingRow {
  id: string;
  owner_id: string;
  org_id: string;
  meeting_id: string | null;
  title: string;
  mime_type: string;
  key_wrap: string;
  status: 'uploading' | 'complete';
  r2_key: string;
  upload_id: string | null;
  data_key_id: string;
  part_size: number;
  size_bytes: number;
  stored_bytes: number;
  duration_ms: number | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

export const view = (r: RecordingRow): RecordingView => ({
  id: r.id,
  title: r.title,
  meetingId: r.meeting_id,
  mimeType: r.mime_type,
  status: r.status,
  createdAt: r.created_at,
  completedAt: r.completed_at,
  durationMs: r.duration_ms,
  size: r.size_bytes,
  partSize: r.part_size,
  keyWrap: r.key_wrap,
});

export async function insertRecording(
  db: D1Database,
  r: Omit<RecordingRow, 'size_bytes' | 'stored_bytes' | 'duration_ms' | 'completed_at' | 'updated_at'>,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO recordings (id, owner_id, org_id, meeting_id, title, mime_type, key_wrap, status, r2_key, upload_id, data_key_id, part_size, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      r.id,
      r.owner_id,
      r.org_id,
      r.meeting_id,
      r.title,
      r.mime_type,
      r.key_wrap,
      r.status,
      r.r2_key,
      r.upload_id,
      r.data_key_id,
      r.part_size,
      r.created_at,
      r.created_at,
    )
    .run();
}

export function getRecording(db: D1Database, id: string): Promise<RecordingRow | null> {
  return db.prepare('SELECT * FROM recordings WHERE id = ?').bind(id).first<RecordingRow>();
}

export async function listOwned(db: D1Database, ownerId: string): Promise<RecordingRow[]> {
  return (await db.prepare('SELECT * FROM recordings WHERE owner_id = ? ORDER BY created_at DESC').bind(ownerId).all<RecordingRow>()).results;
}

export interface PartRow {
  part_number: number;
  etag: string;
  size: number;
  stored_size: number;
}

export async function listParts(db: D1Database, recordingId: string): Promise<PartRow[]> {
  return (
    await db
      .prepare('SELECT part_number, etag, size, stored_size FROM recording_parts WHERE recording_id = ? ORDER BY part_number')
      .bind(recordingId)
      .all<PartRow>()
  ).results;
}

/** Records an arrived part (a re-sent part replaces the earlier one) and keeps the running sizes. */
export async function putPart(db: D1Database, recordingId: string, p: PartRow, now = Date.now()): Promise<void> {
  await db.batch([
    db
      .prepare(
        `INSERT INTO recording_parts (recording_id, part_number, etag, size, stored_size) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (recording_id, part_number) DO UPDATE SET etag = excluded.etag, size = excluded.size, stored_size = excluded.stored_size`,
      )
      .bind(recordingId, p.part_number, p.etag, p.size, p.stored_size),
    db
      .prepare(
        `UPDATE recordings SET updated_at = ?,
           size_bytes = (SELECT COALESCE(SUM(size), 0) FROM recording_parts WHERE recording_id = ?),
           stored_bytes = (SELECT COALESCE(SUM(stored_size), 0) FROM recording_parts WHERE recording_id = ?)
         WHERE id = ?`,
      )
      .bind(now, recordingId, recordingId, recordingId),
  ]);
}

/** Marks completion; false when another request completed or deleted it first. */
export async function markComplete(db: D1Database, id: string, durationMs: number | null, now = Date.now()): Promise<boolean> {
  const r = await db
    .prepare(
      "UPDATE recordings SET status = 'complete', upload_id = NULL, duration_ms = ?, completed_at = ?, updated_at = ? WHERE id = ? AND status = 'uploading'",
    )
    .bind(durationMs, now, now, id)
    .run();
  return r.meta.changes === 1;
}

/** Every row of a recording except its data key (that goes in the same batch, see data-key.ts). */
export function deleteStatements(db: D1Database, id: string): D1PreparedStatement[] {
  return [
    db.prepare('DELETE FROM recording_shares WHERE recording_id = ?').bind(id),
    db.prepare('DELETE FROM recording_parts WHERE recording_id = ?').bind(id),
    db.prepare('DELETE FROM recordings WHERE id = ?').bind(id),
  ];
}

export async function usage(db: D1Database, userId: string, orgId: string) {
  const q = (col: 'owner_id' | 'org_id', v: string) =>
    db.prepare(`SELECT COALESCE(SUM(stored_bytes), 0) AS bytes, COUNT(*) AS n FROM recordings WHERE ${col} = ?`).bind(v).first<{ bytes: number; n: number }>();
  const [u, o] = await Promise.all([q('owner_id', userId), q('org_id', orgId)]);
  return { user: { bytes: u?.bytes ?? 0, recordings: u?.n ?? 0 }, org: { bytes: o?.bytes ?? 0, recordings: o?.n ?? 0 } };
}

// ── share links ──

export interface ShareRow {
  id: string;
  recording_id: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export const shareView = (s: ShareRow): ShareView => ({
  id: s.id,
  recordingId: s.recording_id,
  createdAt: s.created_at,
  expiresAt: s.expires_at,
  revokedAt: s.revoked_at,
});

export async function insertShare(db: D1Database, s: ShareRow): Promise<void> {
  await db
    .prepare('INSERT INTO recording_shares (id, recording_id, created_by, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL)')
    .bind(s.id, s.recording_id, s.created_by, s.created_at, s.expires_at)
    .run();
}

export async function listShares(db: D1Database, recordingId: string): Promise<ShareRow[]> {
  return (await db.prepare('SELECT * FROM recording_shares WHERE recording_id = ? ORDER BY created_at DESC').bind(recordingId).all<ShareRow>()).results;
}

export function getShare(db: D1Database, id: string): Promise<ShareRow | null> {
  return db.prepare('SELECT * FROM recording_shares WHERE id = ?').bind(id).first<ShareRow>();
}

export async function revokeShare(db: D1Database, recordingId: string, id: string, now = Date.now()): Promise<boolean> {
  const r = await db
    .prepare('UPDATE recording_shares SET revoked_at = ? WHERE id = ? AND recording_id = ? AND revoked_at IS NULL')
    .bind(now, id, recordingId)
    .run();
  return r.meta.changes === 1;
}

// ── retention ──

export async function getRetention(db: D1Database, orgId: string): Promise<number | null> {
  const r = await db.prepare('SELECT days FROM recording_retention WHERE org_id = ?').bind(orgId).first<{ days: number | null }>();
  return r?.days ?? null;
}

export async function setRetention(db: D1Database, orgId: string, days: number | null, by: string, now = Date.now()): Promise<void> {
  await db
    .prepare(
      `INSERT INTO recording_retention (org_id, days, updated_at, updated_by) VALUES (?, ?, ?, ?)
       ON CONFLICT (org_id) DO UPDATE SET days = excluded.days, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    )
    .bind(orgId, days, now, by)
    .run();
}

/** Recordings past their organization's retention, oldest first, a page at a time. */
export async function expired(db: D1Database, now: number, limit: number): Promise<Array<RecordingRow & { days: number }>> {
  return (
    await db
      .prepare(
        `SELECT r.*, t.days AS days FROM recordings r JOIN recording_retention t ON t.org_id = r.org_id
         WHERE t.days IS NOT NULL AND r.created_at < ? - t.days * 86400000 ORDER BY r.created_at LIMIT ?`,
      )
      .bind(now, limit)
      .all<RecordingRow & { days: number }>()
  ).results;
}

/** Uploads nobody has touched for `idleMs`: the recording browser crashed or left. */
export async function abandoned(db: D1Database, now: number, idleMs: number, limit: number): Promise<RecordingRow[]> {
  return (
    await db
      .prepare("SELECT * FROM recordings WHERE status = 'uploading' AND updated_at < ? ORDER BY updated_at LIMIT ?")
      .bind(now - idleMs, limit)
      .all<RecordingRow>()
  ).results;
}
