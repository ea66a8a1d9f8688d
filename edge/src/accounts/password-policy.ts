/** The admin's password policy, as pure checks: length, character classes, age, reuse. */
import type { PasswordPolicy } from '@sealroom/protocol';

export type PolicyViolation = 'too_short' | 'too_few_classes' | 'reused' | 'contains_email';

export function characterClasses(password: string): number {
  let n = 0;
  if (/\p{Ll}/u.test(password)) n++;
  if (/\p{Lu}/u.test(password)) n++;
  if (/\p{Nd}/u.test(password)) n++;
  if (/[^\p{L}\p{Nd}]/u.test(password)) n++;
  return n;
}

/** Checks that need no stored hashes; reuse is checked separately because it costs one scrypt per remembered password. */
export function checkPasswordShape(password: string, policy: PasswordPolicy, email: string): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  // Length in code points, not UTF-16 units, so an emoji counts once.
  if ([...password.normalize('NFC')].length < policy.minLength) out.push('too_short');
  if (characterClasses(password) < policy.minClasses) out.push('too_few_classes');
  const local = email.split('@')[0] ?? '';
  if (local.length >= 4 && password.toLowerCase().includes(local.toLowerCase())) out.push('contains_email');
  return out;
}

export function passwordExpired(changedAt: number | null, policy: PasswordPolicy, now: number): boolean {
  if (policy.maxAgeDays === 0 || changedAt === null) return false;
  return now - changedAt > policy.maxAgeDays * 86_400_000;
}
