/** Setting a password under the organization's policy: shape first (cheap), then reuse (one scrypt per remembered hash). */
import type { PasswordPolicy } from '@sealroom/protocol';
import { fail } from '../http/errors.ts';
import { hashAccountPassword, verifyAccountPassword } from './password-cost.ts';
import { checkPasswordShape } from './password-policy.ts';
import { recentPasswordHashes, setPassword } from './store.ts';

export function assertShape(password: string, policy: PasswordPolicy, email: string): void {
  const problems = checkPasswordShape(password, policy, email);
  if (problems.length)
    fail(400, 'password_policy', `password: ${problems.join(', ')} (minimum ${policy.minLength} characters, ${policy.minClasses} of lower/upper/digit/symbol)`);
}

export async function changePassword(db: D1Database, userId: string, email: string, password: string, policy: PasswordPolicy, logN: number): Promise<void> {
  assertShape(password, policy, email);
  for (const old of await recentPasswordHashes(db, userId, policy.historyCount)) {
    if (await verifyAccountPassword(password, old))
      fail(400, 'password_policy', `password: reused (the last ${policy.historyCount} passwords may not be used again)`);
  }
  await setPassword(db, userId, await hashAccountPassword(password, logN));
}
