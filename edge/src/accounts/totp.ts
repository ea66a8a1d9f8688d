/**
 * TOTP, RFC 6238 over HOTP (RFC 4226): HMAC-SHA-1, 30-second steps, 6 digits, the parameters
 * every authenticator app understands. Written here on WebCrypto rather than taken from a
 * library so the tests can check it against an independent implementation (`otpauth`).
 */
import { timingSafeEqual } from '../kms/bytes.ts';

export const STEP_SECONDS = 30;
export const DIGITS = 6;
/** Codes from one step before or after are accepted: clocks drift and people type slowly (RFC 6238 §5.2). */
export const WINDOW = 1;

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const i = B32.indexOf(ch);
    if (i < 0) throw new TypeError('not base32');
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

/** 160-bit secret, the HMAC-SHA-1 block-friendly size RFC 4226 §4 recommends. */
export function newTotpSecret(): string {
  return base32Encode(crypto.getRandomValues(new Uint8Array(20)));
}

/** HOTP value for one counter (RFC 4226 §5.3, dynamic truncation). */
export async function hotp(secret: Uint8Array, counter: number): Promise<string> {
  const msg = new Uint8Array(8);
  new DataView(msg.buffer).setBigUint64(0, BigInt(counter));
  const key = await crypto.subtle.importKey('raw', secret as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, msg));
  const off = mac[19]! & 0x0f;
  const bin = ((mac[off]! & 0x7f) << 24) | (mac[off + 1]! << 16) | (mac[off + 2]! << 8) | mac[off + 3]!;
  return String(bin % 10 ** DIGITS).padStart(DIGITS, '0');
}

export const timeStep = (nowMs: number): number => Math.floor(nowMs / 1000 / STEP_SECONDS);

export async function totpAt(secretB32: string, nowMs: number): Promise<string> {
  return hotp(base32Decode(secretB32), timeStep(nowMs));
}

/**
 * @param lastStep the last step accepted for this user: a code for it or an earlier step is refused,
 *   so an observed code cannot be replayed inside its window.
 * @returns the matched step, or null.
 */
export async function verifyTotp(secretB32: string, code: string, nowMs: number, lastStep: number): Promise<number | null> {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const secret = base32Decode(secretB32);
  const now = timeStep(nowMs);
  let matched: number | null = null;
  // Check every candidate (no early exit) so timing does not reveal which step matched.
  for (let step = now - WINDOW; step <= now + WINDOW; step++) {
    const ok = timingSafeEqual(await hotp(secret, step), code);
    if (ok && step > lastStep && matched === null) matched = step;
  }
  return matched;
}

/** The otpauth:// URI authenticator apps scan (Key Uri Format, google-authenticator wiki). */
export function otpauthUri(secretB32: string, account: string, issuer = 'Sealroom'): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  return `otpauth://totp/${label}?secret=${secretB32}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=${DIGITS}&period=${STEP_SECONDS}`;
}
