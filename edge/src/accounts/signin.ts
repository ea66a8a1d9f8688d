/**
 * The password check with its defences: constant work for unknown emails, progressive lockout
 * per account and per source address, transparent upgrade of old hashes.
 */
import { afterFailure, isLocked, type LockState } from './lockout.ts';
import { hashAccountPassword, needsRehash, verifyAccountPassword } from './password-hash.ts';
import { type User, getUserByEmail, setLockState, setPassword } from './store.ts';

export type SignInOutcome =
  | { ok: true; user: User }
  | { ok: false; reason: 'bad_credentials' | 'account_locked' | 'account_disabled'; retryAfterMs?: number; user: User | null };

/**
 * What an unknown email is checked against, so the answer takes the same time as a wrong password.
 * The hash bytes never need to match anything: only the scrypt work (same N) matters.
 */
const dummy = (logN: number) => `scrypt$${2 ** logN}$8$1$${'A'.repeat(22)}$${'A'.repeat(43)}`;

async function ipLock(db: D1Database, ip: string | null): Promise<LockState> {
  if (!ip) return { failedCount: 0, lockedUntil: 0 };
  const r = await db.prepare('SELECT failed_count, locked_until FROM signin_failures WHERE ip = ?').bind(ip).first<{ failed_count: number; locked_until: number }>();
  return r ? { failedCount: r.failed_count, lockedUntil: r.locked_until } : { failedCount: 0, lockedUntil: 0 };
}

/** An address gets IP_SLACK more free failures than an account: several people may share one NAT. */
export const IP_SLACK = 16;

async function recordIpFailure(db: D1Database, ip: string | null, s: LockState, now: number): Promise<void> {
  if (!ip) return;
  const next = afterFailure({ failedCount: Math.max(0, s.failedCount - IP_SLACK), lockedUntil: s.lockedUntil }, now);
  await db
    .prepare(
      `INSERT INTO signin_failures (ip, failed_count, locked_until, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(ip) DO UPDATE SET failed_count = excluded.failed_count, locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
    )
    .bind(ip, s.failedCount + 1, next.lockedUntil, now)
    .run();
}

export async function checkPassword(db: D1Database, email: string, password: string, ip: string | null, logN: number, now = Date.now()): Promise<SignInOutcome> {
  const ipState = await ipLock(db, ip);
  if (isLocked(ipState, now)) return { ok: false, reason: 'account_locked', retryAfterMs: ipState.lockedUntil - now, user: null };
  const user = await getUserByEmail(db, email);
  if (user && isLocked(user, now)) return { ok: false, reason: 'account_locked', retryAfterMs: user.lockedUntil - now, user };
  const stored = user?.passwordHash ?? dummy(logN);
  const good = (await verifyAccountPassword(password, stored)) && user !== null && user.passwordHash !== null;
  if (!good) {
    await recordIpFailure(db, ip, ipState, now);
    if (user) {
      const next = afterFailure(user, now);
      await setLockState(db, user.id, next.failedCount, next.lockedUntil);
    }
    return { ok: false, reason: 'bad_credentials', user };
  }
  if (user.disabled) return { ok: false, reason: 'account_disabled', user };
  if (user.failedCount > 0) await setLockState(db, user.id, 0, 0);
  if (ip && ipState.failedCount > 0) await db.prepare('DELETE FROM signin_failures WHERE ip = ?').bind(ip).run();
  if (needsRehash(user.passwordHash!, logN)) await setPassword(db, user.id, await hashAccountPassword(password, logN), user.passwordChangedAt ?? now);
  return { ok: true, user };
}
