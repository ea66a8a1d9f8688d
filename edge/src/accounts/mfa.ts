/**
 * Checking a second factor for a user: a TOTP code (with replay refusal) or a recovery code.
 *
 * Six digits are guessable, so every code is counted before it is checked, on the same account
 * lockout as passwords (lockout.ts): however many codes arrive at once, only the free budget of
 * them is ever compared before the lock holds, and the right code sent after that is refused too.
 */
import type { Kms } from '../kms/kms.ts';
import { openField } from '../kms/envelope.ts';
import { useRecoveryCode } from './recovery.ts';
import { type User, clearLockState, refundAttempt, reserveAttempt } from './store.ts';
import { verifyTotp } from './totp.ts';

export type SecondFactorOutcome =
  | { ok: true; kind: 'totp' | 'recovery'; user: User }
  | { ok: false; reason: 'mfa_invalid' | 'mfa_not_enrolled' }
  | { ok: false; reason: 'account_locked'; retryAfterMs: number };

/** Reserves the attempt, checks the code, and resets the lockout when it is right. */
export async function verifySecondFactor(db: D1Database, kms: Kms, userId: string, code: string, now = Date.now()): Promise<SecondFactorOutcome> {
  const { reserved, user } = await reserveAttempt(db, 'id', userId, now);
  if (!user) return { ok: false, reason: 'mfa_invalid' };
  if (!reserved) return { ok: false, reason: 'account_locked', retryAfterMs: user.lockedUntil - now };
  if (!user.mfaEnabled) {
    await refundAttempt(db, user.id, user);
    return { ok: false, reason: 'mfa_not_enrolled' };
  }
  const kind = await checkSecondFactor(db, kms, user, code, now);
  // A wrong code keeps its reservation: it was the failure.
  if (!kind) return { ok: false, reason: 'mfa_invalid' };
  await clearLockState(db, user.id);
  return { ok: true, kind, user };
}

export async function checkSecondFactor(db: D1Database, kms: Kms, user: User, code: string, now = Date.now()): Promise<'totp' | 'recovery' | null> {
  if (!user.mfaSecretSealed) return null;
  if (/^[0-9]{6}$/.test(code)) {
    const secret = await openField(db, kms, { userId: user.id }, 'totp', user.mfaSecretSealed);
    const step = await verifyTotp(secret, code, now, user.mfaLastStep);
    if (step === null) return null;
    // Conditional update: two requests racing with the same code cannot both win.
    const r = await db.prepare('UPDATE users SET mfa_last_step = ? WHERE id = ? AND mfa_last_step < ?').bind(step, user.id, step).run();
    return r.meta.changes === 1 ? 'totp' : null;
  }
  return (await useRecoveryCode(db, user.id, code, now)) ? 'recovery' : null;
}
