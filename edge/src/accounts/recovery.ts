/**
 * MFA recovery codes: ten single-use codes `xxxxx-xxxxx` (50 random bits each), shown once.
 * Stored as SHA-256: with 50 bits of entropy and the sign-in lockout in front, a fast hash is
 * enough; a memory-hard hash would add seconds to every MFA sign-in for no real gain.
 */
import { sha256HexOf } from '../digest.ts';

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789'; // 32 symbols, no 0/o/1/l to misread
export const RECOVERY_CODE_COUNT = 10;

export function newRecoveryCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  const s = Array.from(bytes, (b) => ALPHABET[b & 31]).join('');
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}

const hashCode = (userId: string, code: string) => sha256HexOf(`sealroom/recovery\n${userId}\n${code.toLowerCase()}`);

/** Replaces the user's codes; returns the new plaintext codes to show once. */
export async function issueRecoveryCodes(db: D1Database, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const stmts = [db.prepare('DELETE FROM recovery_codes WHERE user_id = ?').bind(userId)];
  for (const code of codes) stmts.push(db.prepare('INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)').bind(userId, await hashCode(userId, code)));
  await db.batch(stmts);
  return codes;
}

/** Consumes a code: true only the first time a valid code is used. */
export async function useRecoveryCode(db: D1Database, userId: string, code: string, now = Date.now()): Promise<boolean> {
  const r = await db
    .prepare('UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL')
    .bind(now, userId, await hashCode(userId, code))
    .run();
  return r.meta.changes === 1;
}

export async function remainingRecoveryCodes(db: D1Database, userId: string): Promise<number> {
  const r = await db.prepare('SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL').bind(userId).first<{ n: number }>();
  return r?.n ?? 0;
}
