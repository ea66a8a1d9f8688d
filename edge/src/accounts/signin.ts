/**
 * The password check with its defences: constant work for unknown emails, progressive lockout
 * per account and per source address (counted before the check, lockout.ts), a bound on
 * concurrent scrypt work, transparent upgrade of old hashes.
 */
import { addressKey } from '../http/client-address.ts';
import { ScryptBusy } from '../scrypt-gate.ts';
import { ADDRESS_FREE, type LockState, armedBy, refundSetSql, reserveSetSql } from './lockout.ts';
import { hashAccountPassword, needsRehash, unmatchableHash, verifyAccountPassword } from './password-cost.ts';
import { type User, clearLockState, refundAttempt, reserveAttempt, setPassword } from './store.ts';

export type SignInOutcome =
  | { ok: true; user: User }
  | { ok: false; reason: 'bad_credentials' | 'account_disabled'; user: User | null }
  | { ok: false; reason: 'account_locked' | 'busy'; retryAfterMs: number; user: User | null };

/** One reserved attempt on an address key, or null when the address is locked. */
interface AddressHold {
  key: string;
  state: LockState;
}

/**
 * Reserves an attempt for the address (an IPv6 address counts as its /64). Every attempt that
 * gets past the address lock counts against it until it succeeds, including attempts on unknown
 * or locked accounts: those are what spraying looks like.
 */
async function reserveAddress(db: D1Database, ip: string, now: number): Promise<{ hold: AddressHold | null; lockedUntil: number }> {
  const key = addressKey(ip);
  const [reserved, current] = await db.batch([
    db
      .prepare(
        `INSERT INTO signin_failures (ip, failed_count, locked_until, updated_at) VALUES (?1, 1, 0, ?2)
         ON CONFLICT(ip) DO UPDATE SET ${reserveSetSql(ADDRESS_FREE, '?2')}, updated_at = ?2 WHERE signin_failures.locked_until <= ?2
         RETURNING failed_count, locked_until`,
      )
      .bind(key, now),
    db.prepare('SELECT locked_until FROM signin_failures WHERE ip = ?1').bind(key),
  ]);
  const row = (reserved!.results as Array<{ failed_count: number; locked_until: number }>)[0];
  if (row) return { hold: { key, state: { failedCount: row.failed_count, lockedUntil: row.locked_until } }, lockedUntil: row.locked_until };
  return { hold: null, lockedUntil: (current!.results as Array<{ locked_until: number }>)[0]?.locked_until ?? 0 };
}

async function refundAddress(db: D1Database, hold: AddressHold | null): Promise<void> {
  if (!hold) return;
  await db
    .prepare(`UPDATE signin_failures SET ${refundSetSql(ADDRESS_FREE, '?2')} WHERE ip = ?1`)
    .bind(hold.key, armedBy(hold.state, ADDRESS_FREE))
    .run();
}

/**
 * @param ip the caller's address, or null when unknown (then only the account limit applies)
 * @returns `busy` when the scrypt gate is full: the attempt was not checked and is refunded
 */
export async function checkPassword(
  db: D1Database,
  email: string,
  password: string,
  ip: string | null,
  logN: number,
  now = Date.now(),
): Promise<SignInOutcome> {
  let address: AddressHold | null = null;
  if (ip) {
    const r = await reserveAddress(db, ip, now);
    if (!r.hold) return { ok: false, reason: 'account_locked', retryAfterMs: r.lockedUntil - now, user: null };
    address = r.hold;
  }
  const { reserved, user } = await reserveAttempt(db, 'email', email, now);
  if (user && !reserved) return { ok: false, reason: 'account_locked', retryAfterMs: user.lockedUntil - now, user };

  let good: boolean;
  try {
    good = await verifyAccountPassword(password, user?.passwordHash ?? unmatchableHash(logN));
  } catch (e) {
    if (!(e instanceof ScryptBusy)) throw e;
    await refundAddress(db, address);
    if (user) await refundAttempt(db, user.id, user);
    return { ok: false, reason: 'busy', retryAfterMs: e.retryAfterSeconds * 1000, user };
  }
  // A wrong password keeps both reservations: they were the failures.
  if (!good || !user?.passwordHash) return { ok: false, reason: 'bad_credentials', user };

  // A right password clears the address (a crowd behind one NAT should not lock itself out by typos over a week).
  if (address) await db.prepare('DELETE FROM signin_failures WHERE ip = ?1').bind(address.key).run();
  // With MFA the sign-in is not complete: only this attempt is refunded, so signing in again with a
  // known password cannot wipe the count of wrong codes. The MFA step resets it once a code is right.
  if (user.mfaEnabled || user.disabled) await refundAttempt(db, user.id, user);
  else await clearLockState(db, user.id);
  if (user.disabled) return { ok: false, reason: 'account_disabled', user };
  if (needsRehash(user.passwordHash, logN)) await upgradeHash(db, user, password, logN, now);
  return { ok: true, user };
}

/** Replaces a weaker stored hash; when the gate is full it waits for the next sign-in instead of failing this one. */
async function upgradeHash(db: D1Database, user: User, password: string, logN: number, now: number): Promise<void> {
  let hash: string;
  try {
    hash = await hashAccountPassword(password, logN);
  } catch (e) {
    if (e instanceof ScryptBusy) return;
    throw e;
  }
  await setPassword(db, user.id, hash, user.passwordChangedAt ?? now);
}
