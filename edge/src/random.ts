/** Server-side random identifiers and secrets. */
import { toB64url } from '@sealroom/crypto/bytes';

/** n random base64url characters (6 bits each). */
export function randomToken(n: number): string {
  return toB64url(crypto.getRandomValues(new Uint8Array(Math.ceil((n * 3) / 4)))).slice(0, n);
}

/**
 * A meeting id people can read aloud: 10 digits, first digit non-zero. Rejection sampling
 * keeps digits uniform (bytes ≥ 250 would bias 0–5).
 */
export function randomMeetingId(digits = 10): string {
  let s = '';
  while (s.length < digits) {
    for (const b of crypto.getRandomValues(new Uint8Array(digits * 2))) {
      if (b >= 250 || s.length >= digits) continue;
      const d = b % 10;
      if (s.length === 0 && d === 0) continue;
      s += String(d);
    }
  }
  return s;
}
