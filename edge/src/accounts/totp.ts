/**
 * TOTP, RFC 6238 over HOTP (RFC 4226): HMAC-SHA-1, 30-second steps, 6 digits, the parameters
 * every authenticator app understands. The codes and base32 come from `otpauth`; what stays here
 * is the acceptance rule: the window, refusal of a step already used, and a check that does not
 * stop at the first match.
 */
import { HOTP, Secret } from 'otpauth';
import { equalText } from '@sealroom/crypto/bytes';

export const STEP_SECONDS = 30;
export const DIGITS = 6;
/** Codes from one step before or after are accepted: clocks drift and people type slowly (RFC 6238 §5.2). */
export const WINDOW = 1;
/** 160-bit secret, the HMAC-SHA-1 block-friendly size RFC 4226 §4 recommends. */
const SECRET_BYTES = 20;

export const base32Encode = (bytes: Uint8Array): string => new Secret({ buffer: bytes.slice().buffer }).base32;

/** @throws TypeError on a character outside the RFC 4648 base32 alphabet */
export const base32Decode = (text: string): Uint8Array => Secret.fromBase32(text).bytes;

export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** HOTP value for one counter (RFC 4226 §5.3, dynamic truncation). */
export async function hotp(secret: Uint8Array, counter: number): Promise<string> {
  return hotpOf(new Secret({ buffer: secret.slice().buffer }), counter);
}

const hotpOf = (secret: Secret, counter: number): string => HOTP.generate({ secret, algorithm: 'SHA1', digits: DIGITS, counter });

export const timeStep = (nowMs: number): number => Math.floor(nowMs / 1000 / STEP_SECONDS);

export async function totpAt(secretB32: string, nowMs: number): Promise<string> {
  return hotpOf(Secret.fromBase32(secretB32), timeStep(nowMs));
}

/**
 * @param lastStep the last step accepted for this user: a code for it or an earlier step is refused,
 *   so an observed code cannot be replayed inside its window.
 * @returns the matched step, or null.
 */
export async function verifyTotp(secretB32: string, code: string, nowMs: number, lastStep: number): Promise<number | null> {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const secret = Secret.fromBase32(secretB32);
  const now = timeStep(nowMs);
  let matched: number | null = null;
  // Check every candidate (no early exit, unlike otpauth's validate) so timing does not reveal
  // which step matched, and a code that also matches an already used step is still found.
  for (let step = now - WINDOW; step <= now + WINDOW; step++) {
    const ok = equalText(hotpOf(secret, step), code);
    if (ok && step > lastStep && matched === null) matched = step;
  }
  return matched;
}

/** The otpauth:// URI authenticator apps scan (Key Uri Format, google-authenticator wiki). */
export function otpauthUri(secretB32: string, account: string, issuer = 'Sealroom'): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  return `otpauth://totp/${label}?secret=${secretB32}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=${DIGITS}&period=${STEP_SECONDS}`;
}
