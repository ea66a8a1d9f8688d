/**
 * Password hashes for meetings and accounts: scrypt (RFC 7914) stored as a PHC string,
 * `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>` with salt and hash in standard base64 without
 * padding (PHC string format, "B64"). The cost lives in the string, so it can be raised later:
 * `needsRehash` tells a caller holding the plaintext that the stored form is weaker or older.
 *
 * Hashes stored before the PHC form, `scrypt$<N>$<r>$<p>$<salt>$<hash>` with base64url parts,
 * remain in D1 (accounts, meetings) and in Room storage; `verifyPassword` still accepts them.
 * Accounts replace them at the next good sign-in; meeting hashes stay until the password is set again.
 *
 * Costs: meetings take N=2^14, r=8 (16 MiB, well inside a Worker's 128 MiB and CPU budget;
 * online guessing is held back by the Room's password budget); accounts take N=2^15
 * (edge/src/accounts/password-cost.ts). Each check holds 128·r·N bytes, which is why callers run
 * it through the scrypt gate (edge/src/scrypt-gate.ts).
 * @module
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { equalBytes, fromB64url, fromBase64, toBase64, utf8 } from '@sealroom/crypto/bytes';

/** log2 N for meeting passwords: 16 MiB per check (docs/BENCHMARKS.md). */
export const MEETING_LOG_N = 14;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Above this a stored cost is not ours: 2^20 · 128 · 8 bytes would be a 1 GiB check. */
const MAX_LOG_N = 20;

const PHC = /^\$scrypt\$ln=([1-9][0-9]?),r=([1-9][0-9]{0,2}),p=([1-9][0-9]{0,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

interface Parsed {
  N: number;
  r: number;
  p: number;
  salt: Uint8Array;
  hash: Uint8Array;
  legacy: boolean;
}

const b64nopad = (bytes: Uint8Array) => toBase64(bytes).replace(/=+$/, '');
const fromB64nopad = (s: string) => fromBase64(s + '='.repeat((4 - (s.length % 4)) % 4));
/** Passwords are compared as NFC, so the same password typed on two keyboards matches. */
const passwordBytes = (password: string) => utf8(password.normalize('NFC'));

function parse(stored: string): Parsed | null {
  try {
    const m = PHC.exec(stored);
    if (m) {
      const logN = Number(m[1]);
      if (logN > MAX_LOG_N) return null;
      return { N: 2 ** logN, r: Number(m[2]), p: Number(m[3]), salt: fromB64nopad(m[4]!), hash: fromB64nopad(m[5]!), legacy: false };
    }
    const [scheme, n, r, p, salt, hash] = stored.split('$');
    if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return null;
    return { N: Number(n), r: Number(r), p: Number(p), salt: fromB64url(salt), hash: fromB64url(hash), legacy: true };
  } catch {
    return null; // a salt or hash that is not base64 of either kind
  }
}

/**
 * Hashes a password with a fresh 128-bit salt.
 * @param password - the plaintext (NFC-normalised before hashing)
 * @param logN - log2 of scrypt's N; {@link MEETING_LOG_N} for meetings, lower only in tests
 * @returns a PHC string, e.g. `$scrypt$ln=14,r=8,p=1$…$…`
 */
export async function hashPassword(password: string, logN: number): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await scryptAsync(passwordBytes(password), salt, { N: 2 ** logN, r: R, p: P, dkLen: HASH_BYTES });
  return `$scrypt$ln=${logN},r=${R},p=${P}$${b64nopad(salt)}$${b64nopad(hash)}`;
}

/**
 * Checks a password against a stored hash, PHC or legacy, with the stored cost; the final
 * comparison takes the same time wherever the first differing byte is.
 * @returns false for a wrong password or a string that is not a hash of either form
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h) return false;
  const got = await scryptAsync(passwordBytes(password), h.salt, { N: h.N, r: h.r, p: h.p, dkLen: h.hash.length });
  return equalBytes(got, h.hash);
}

/** True when `stored` is in the legacy form or costs less than `logN` (or is unreadable): hash again after a good check. */
export function needsRehash(stored: string, logN: number): boolean {
  const h = parse(stored);
  return !h || h.legacy || h.N < 2 ** logN || h.r < R;
}

/**
 * A well-formed hash that matches no password, with the cost of `logN`: checked against when
 * there is no stored hash, so an unknown name costs the same time as a wrong password.
 */
export const unmatchableHash = (logN: number): string => `$scrypt$ln=${logN},r=${R},p=${P}$${'A'.repeat(22)}$${'A'.repeat(43)}`;
