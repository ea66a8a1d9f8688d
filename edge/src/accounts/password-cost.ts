/**
 * Account password hashes: scrypt in the same `scrypt$N$r$p$salt$hash` format as meeting
 * passwords (verification is shared with meetings/password.ts and reads N from the string, so
 * the cost can be raised later and old hashes are upgraded at the next sign-in).
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
 * Every hash and verify goes through the isolate's scrypt gate, so concurrent sign-ins cannot
 * hold more than a few 32 MiB blocks at once; past its queue both throw `ScryptBusy`, which
 * callers answer with 503 `busy` and `retry-after`.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { verifyPassword as verifyScrypt } from '../meetings/password.ts';
import { b64urlEncode } from '../kms/bytes.ts';
import { runScrypt } from '../scrypt-gate.ts';

export const DEFAULT_LOG_N = 15;

export function scryptLogN(binding: string | undefined): number {
  const n = Number(binding);
  return Number.isInteger(n) && n >= 10 && n <= 16 ? n : DEFAULT_LOG_N;
}

export async function hashAccountPassword(password: string, logN: number): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const params = { N: 2 ** logN, r: 8, p: 1, dkLen: 32 };
  const hash = await runScrypt(() => scryptAsync(new TextEncoder().encode(password.normalize('NFC')), salt, params));
  return `scrypt$${params.N}$${params.r}$${params.p}$${b64urlEncode(salt)}$${b64urlEncode(hash)}`;
}

/** Constant-time check of a password against a stored hash (the format's N, r, p apply). */
export const verifyAccountPassword = (password: string, stored: string): Promise<boolean> => runScrypt(() => verifyScrypt(password, stored));

/** True when a stored hash is weaker than the current cost and should be replaced after a good sign-in. */
export function needsRehash(stored: string, logN: number): boolean {
  const n = Number(stored.split('$')[1]);
  return !(n >= 2 ** logN);
}
