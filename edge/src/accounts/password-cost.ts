/**
 * Account password hashes: the shared PHC scrypt hashes (edge/src/password-hash.ts) at the
 * account cost, every hash and check run through the isolate's scrypt gate.
 *
 * Cost, measured in workerd under `wrangler dev` on this machine (client-side timing, one
 * hash per request, docs/accounts.md): N=2^14 ≈ 0.16–0.18 s, N=2^15 ≈ 0.28–0.38 s,
 * N=2^16 ≈ 0.64–0.73 s, N=2^17 ≈ 1.7–2.1 s (128 MiB, the whole isolate budget). We take
 * N=2^15, r=8, p=1: 32 MiB per hash leaves room for concurrent sign-ins in one 128 MiB isolate,
 * and about a third of a second is acceptable once per sign-in (re-measure: `tsx bench/accounts/run.ts`).
 *
 * `SCRYPT_LOG_N` (a binding) lowers N for the test pool only, where scrypt runs ~20× slower;
 * it is clamped to ≥ 10 and never set in wrangler.jsonc.
 *
 * Concurrent sign-ins cannot hold more than a few 32 MiB blocks at once; past the gate's queue
 * both throw `ScryptBusy`, which callers answer with 503 `busy` and `retry-after`. A hash stored
 * before the PHC form, or at a lower cost, is replaced after the next good sign-in (`needsRehash`).
 */
import { hashPassword, verifyPassword } from '../password-hash.ts';
import { runScrypt } from '../scrypt-gate.ts';

export { needsRehash, unmatchableHash } from '../password-hash.ts';

export const DEFAULT_LOG_N = 15;

export function scryptLogN(binding: string | undefined): number {
  const n = Number(binding);
  return Number.isInteger(n) && n >= 10 && n <= 16 ? n : DEFAULT_LOG_N;
}

export const hashAccountPassword = (password: string, logN: number): Promise<string> => runScrypt(() => hashPassword(password, logN));

/** Constant-time check of a password against a stored hash (the stored cost applies). */
export const verifyAccountPassword = (password: string, stored: string): Promise<boolean> => runScrypt(() => verifyPassword(password, stored));
