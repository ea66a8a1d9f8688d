/** The audit hash chain: canonical encoding of an entry, sealing, and verification. */
import { sha256HexOf } from '../digest.ts';

export const GENESIS = '0'.repeat(64);

export interface ChainRow {
  seq: number;
  at: number;
  orgId: string | null;
  meetingId: string | null;
  actor: string | null;
  role: string | null;
  action: string;
  target: string | null;
  result: string;
  ip: string | null;
  detail: string | null;
}

/** A JSON array in a fixed field order: unambiguous, unlike joining fields with a separator. */
export function canonicalEntry(r: ChainRow): string {
  return JSON.stringify([r.seq, r.at, r.orgId, r.meetingId, r.actor, r.role, r.action, r.target, r.result, r.ip, r.detail]);
}

export const chainHash = (prev: string, canonical: string): Promise<string> => sha256HexOf(`${prev}\n${canonical}`);

export interface DbRow {
  seq: number;
  at: number;
  org_id: string | null;
  meeting_id: string | null;
  actor: string | null;
  actor_role: string | null;
  action: string;
  target: string | null;
  result: string;
  ip: string | null;
  detail: string | null;
  prev_hash: string | null;
  hash: string | null;
}

const toChain = (r: DbRow): ChainRow => ({
  seq: r.seq,
  at: r.at,
  orgId: r.org_id,
  meetingId: r.meeting_id,
  actor: r.actor,
  role: r.actor_role,
  action: r.action,
  target: r.target,
  result: r.result,
  ip: r.ip,
  detail: r.detail,
});

/** Seals every row that has no hash yet, oldest first. Deterministic, so concurrent sealers agree. */
export async function sealPending(db: D1Database, batch = 200): Promise<number> {
  let sealed = 0;
  for (;;) {
    const { results } = await db.prepare('SELECT * FROM audit WHERE hash IS NULL ORDER BY seq LIMIT ?').bind(batch).all<DbRow>();
    if (results.length === 0) return sealed;
    const first = results[0]!;
    const before = await db.prepare('SELECT hash FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT 1').bind(first.seq).first<{ hash: string | null }>();
    let prev = before?.hash ?? GENESIS;
    const updates: D1PreparedStatement[] = [];
    for (const r of results) {
      const hash = await chainHash(prev, canonicalEntry(toChain(r)));
      updates.push(db.prepare('UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ? AND hash IS NULL').bind(prev, hash, r.seq));
      prev = hash;
    }
    await db.batch(updates);
    sealed += results.length;
    if (results.length < batch) return sealed;
  }
}

export type BreakReason = 'gap' | 'prev_mismatch' | 'hash_mismatch' | 'missing_hash';

export interface VerifyResult {
  ok: boolean;
  checked: number;
  /** The last entry checked: an auditor who records it can later detect truncation of the tail. */
  head: { seq: number; hash: string } | null;
  /** Where the chain first breaks, and why. */
  breaksAt: { seq: number; reason: BreakReason } | null;
}

/**
 * Walks the whole chain in seq order, in pages. Detects a changed field (hash_mismatch), a
 * deleted row (gap: the next row's prev_hash names a row that is gone), a row rewritten together
 * with its own hash (prev_mismatch on the row after it), and a blanked hash (missing_hash).
 * Only rows already sealed are judged: sealing runs first so a just-written tail is not a break.
 */
export async function verifyChain(db: D1Database, expectedHead?: { seq: number; hash: string }, pageSize = 500): Promise<VerifyResult> {
  await sealPending(db);
  let prev: { seq: number; hash: string } | null = null;
  let checked = 0;
  let after = 0;
  const broken = (seq: number, reason: BreakReason): VerifyResult => ({ ok: false, checked, head: prev, breaksAt: { seq, reason } });
  for (;;) {
    const { results } = await db.prepare('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?').bind(after, pageSize).all<DbRow>();
    if (results.length === 0) break;
    for (const r of results) {
      after = r.seq;
      if (r.hash === null) return broken(r.seq, 'missing_hash');
      const expectedPrev = prev?.hash ?? GENESIS;
      if (r.prev_hash !== expectedPrev)
        return broken(prev !== null && r.seq !== prev.seq + 1 ? prev.seq + 1 : r.seq, prev !== null && r.seq !== prev.seq + 1 ? 'gap' : 'prev_mismatch');
      if ((await chainHash(expectedPrev, canonicalEntry(toChain(r)))) !== r.hash) return broken(r.seq, 'hash_mismatch');
      prev = { seq: r.seq, hash: r.hash };
      checked++;
    }
  }
  if (expectedHead) {
    // Truncation of the tail leaves a valid shorter chain; only a head recorded earlier reveals it.
    const row = await db.prepare('SELECT hash FROM audit WHERE seq = ?').bind(expectedHead.seq).first<{ hash: string | null }>();
    if (!row) return broken(expectedHead.seq, 'gap');
    if (row.hash !== expectedHead.hash) return broken(expectedHead.seq, 'hash_mismatch');
  }
  return { ok: true, checked, head: prev, breaksAt: null };
}
