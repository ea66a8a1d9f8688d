/**
 * The audit trail in D1: every sign-in, admin action, host action and refusal, with who, what,
 * when, from where and the result, kept as a hash chain so an edit or a deletion is detectable.
 *
 *   hash(n) = SHA-256( hash(n-1) ‖ "\n" ‖ canonical(entry n) )      hash(first) uses 64 × "0"
 *
 * Appending is two steps, and neither needs a lock or a single-writer object:
 *  1. INSERT the entry. `seq` is AUTOINCREMENT, so SQLite (D1 serializes writes) gives every entry
 *     its place in one total order; the row is visible at once, as before the chain existed.
 *  2. Seal: give every unsealed row, in seq order, its prev_hash and hash. Hashes are a pure
 *     function of the rows, so two writers sealing at once compute the same values, and the
 *     conditional UPDATE (`hash IS NULL`) makes the second a no-op.
 * A singleton Durable Object would give the same order at the cost of a hop on every Room event.
 *
 * `audit(db, entry)` keeps the signature the Room already calls. `orgId`, when not given, is
 * found from the meeting's owner inside the INSERT, so org admins see their meetings' events.
 */
import { sealPending } from './audit/chain.ts';

export interface AuditEntry {
  meetingId: string | null;
  actor: string | null;
  role: string | null;
  action: string;
  target: string | null;
  result: string;
  ip: string | null;
  detail: string | null;
  orgId?: string | null;
}

/** Appends one entry and seals the chain; returns its seq, or null when the write failed (and was logged). */
export async function appendAudit(db: D1Database, e: AuditEntry, now = Date.now()): Promise<number | null> {
  let seq: number | null;
  try {
    const row = await db
      .prepare(
        `INSERT INTO audit (at, org_id, meeting_id, actor, actor_role, action, target, result, ip, detail)
         VALUES (?, COALESCE(?, (SELECT u.org_id FROM meetings m JOIN users u ON u.id = m.owner_id WHERE m.id = ?)), ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING seq`,
      )
      .bind(now, e.orgId ?? null, e.meetingId, e.meetingId, e.actor, e.role, e.action, e.target, e.result, e.ip, e.detail)
      .first<{ seq: number }>();
    seq = row?.seq ?? null;
  } catch (err) {
    // An audit write that fails must be seen: it is logged with the entry itself.
    console.error(JSON.stringify({ event: 'audit_write_failed', entry: e, error: String(err) }));
    return null;
  }
  try {
    await sealPending(db);
  } catch (err) {
    // The row is stored; the next append (or verify) seals it.
    console.error(JSON.stringify({ event: 'audit_seal_failed', seq, error: String(err) }));
  }
  return seq;
}

/** The Room's call: same signature as before the chain existed. */
export async function audit(db: D1Database, e: AuditEntry, now = Date.now()): Promise<void> {
  await appendAudit(db, e, now);
}
