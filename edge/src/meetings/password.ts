/**
 * Meeting passwords, stored as scrypt hashes: `scrypt$N$r$p$salt$hash` (base64url parts).
 *
 * Why these parameters: a Worker has 128 MiB and a CPU budget per request; N=2^14, r=8
 * (16 MiB, measured in docs/BENCHMARKS.md) keeps a check well inside both while costing an
 * offline guesser 16 MiB and the same time per guess. Online guessing is stopped separately by
 * the Room's password budget (edge/src/room/password-gate.ts).
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { b64urlDecode as unb64, b64urlEncode as b64 } from '../kms/bytes.ts';

const PARAMS = { N: 2 ** 14, r: 8, p: 1, dkLen: 32 } as const;


/** `logN` other than the default is for tests that check hundreds of guesses (the verifier reads N from the hash). */
export async function hashPassword(password: string, logN = Math.log2(PARAMS.N)): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const params = { ...PARAMS, N: 2 ** logN };
  const hash = await scryptAsync(new TextEncoder().encode(password.normalize('NFC')), salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${b64(salt)}$${b64(hash)}`;
}

/** Constant-time check against a stored hash; parameters come from the stored string so they can be raised later. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = unb64(hash);
  const got = await scryptAsync(new TextEncoder().encode(password.normalize('NFC')), unb64(salt), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    dkLen: expected.length,
  });
  let diff = got.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) diff |= (got[i] ?? 0) ^ (expected[i] ?? 0);
  return diff === 0;
}
