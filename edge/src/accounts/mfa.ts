/** Checking a second factor for a user: a TOTP code (with replay refusal) or a recovery code. */
import type { Kms } from '../kms/kms.ts';
import { openField } from '../kms/envelope.ts';
import { useRecoveryCode } from './recovery.ts';
import type { User } from './store.ts';
import { verifyTotp } from './totp.ts';

export async function checkSecondFactor(db: D1Database, kms: Kms, user: User, code: string, now = Date.now()): Promise<'totp' | 'recovery' | null> {
  if (!user.mfaSecretSealed) return null;
  if (/^[0-9]{6}$/.test(code)) {
    const secret = await openField(db, kms, 'totp', user.mfaSecretSealed);
    const step = await verifyTotp(secret, code, now, user.mfaLastStep);
    if (step === null) return null;
    // Conditional update: two requests racing with the same code cannot both win.
    const r = await db.prepare('UPDATE users SET mfa_last_step = ? WHERE id = ? AND mfa_last_step < ?').bind(step, user.id, step).run();
    return r.meta.changes === 1 ? 'totp' : null;
  }
  return (await useRecoveryCode(db, user.id, code, now)) ? 'recovery' : null;
}
