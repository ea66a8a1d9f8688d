/**
 * HMAC authentication of edge ↔ origin HTTP calls, and derivation of the ticket key,
 * both from the one secret the two share. WebCrypto and @sealroom/crypto's byte helpers only: runs in workerd, Node and browsers.
 *
 * signature = base64url(HMAC-SHA-256(macKey, METHOD \n path \n timestamp-ms \n nonce \n body))
 *
 * The timestamp bounds how long a captured request stays valid (±MAX_SKEW_MS); the random nonce,
 * remembered by the verifier for exactly that window (a NonceLedger), makes it valid once.
 */
import { equalText, toB64url } from '@sealroom/crypto/bytes';

export const SIGNATURE_HEADER = 'x-sealroom-signature';
export const TIME_HEADER = 'x-sealroom-time';
export const NONCE_HEADER = 'x-sealroom-nonce';
/** Accepted clock skew between edge and origin. */
export const MAX_SKEW_MS = 60_000;
/** 16 random bytes (128 bits, 22 base64url characters): no two requests ever share one by chance. */
const NONCE_BYTES = 16;
const NONCE_RE = /^[A-Za-z0-9_-]{22}$/;

/**
 * Remembers the nonces of accepted requests until their timestamp leaves the skew window (after
 * that the timestamp check alone refuses them). `claim` must be atomic: of concurrent claims of
 * one nonce exactly one is true.
 */
export interface NonceLedger {
  /** @returns true the first time `nonce` is claimed, false for every repeat before `expiresAt`. */
  claim(nonce: string, expiresAt: number, now: number): Promise<boolean>;
}

/** A ledger for one process: a map from nonce to expiry, swept of expired entries as it is used. */
export class MemoryNonceLedger implements NonceLedger {
  readonly #seen = new Map<string, number>();
  #nextSweep = 0;

  async claim(nonce: string, expiresAt: number, now: number): Promise<boolean> {
    if (now >= this.#nextSweep) {
      for (const [n, exp] of this.#seen) if (exp < now) this.#seen.delete(n);
      this.#nextSweep = now + MAX_SKEW_MS / 4;
    }
    if (this.#seen.has(nonce)) return false;
    this.#seen.set(nonce, expiresAt);
    return true;
  }

  /** Nonces currently remembered. */
  get size(): number {
    return this.#seen.size;
  }
}

export type VerifyResult = { ok: true } | { ok: false; reason: 'unsigned' | 'stale' | 'bad_signature' | 'replayed' };

const enc = new TextEncoder();

const hmacKey = (raw: Uint8Array, usage: ('sign' | 'verify')[]) =>
  crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, usage);

/**
 * Separate keys for separate jobs: the request MAC and the ticket signature never share a key.
 * key = HMAC-SHA-256(secret, "sealroom/" ‖ label)
 */
export async function deriveInternalKey(secret: string, label: 'request-mac' | 'ticket'): Promise<Uint8Array> {
  if (secret.length < 32) throw new RangeError('shared secret must be at least 32 characters');
  const k = await hmacKey(enc.encode(secret), ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, enc.encode(`sealroom/${label}`)));
}

// Time and nonce are checked to hold no newline before they are signed or verified, so the
// fields cannot run into each other.
async function mac(secret: string, method: string, path: string, time: string, nonce: string, body: string): Promise<Uint8Array> {
  const k = await hmacKey(await deriveInternalKey(secret, 'request-mac'), ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, enc.encode(`${method.toUpperCase()}\n${path}\n${time}\n${nonce}\n${body}`)));
}

/** Headers to add to an internal request: a fresh nonce every call, so each signed request is unique. */
export async function signRequest(secret: string, method: string, path: string, body: string, now = Date.now()): Promise<Record<string, string>> {
  const time = String(now);
  const nonce = toB64url(crypto.getRandomValues(new Uint8Array(NONCE_BYTES)));
  return { [TIME_HEADER]: time, [NONCE_HEADER]: nonce, [SIGNATURE_HEADER]: toB64url(await mac(secret, method, path, time, nonce, body)) };
}

/**
 * Accepts a request once: the signature must be valid for exactly this request, its time within
 * the skew, and its nonce unclaimed in `nonces`. The nonce is claimed only after the signature
 * checks out, so nobody without the secret can fill the ledger or burn a nonce ahead of its use.
 */
export async function verifyRequest(
  secret: string,
  method: string,
  path: string,
  body: string,
  headers: { get(name: string): string | null },
  nonces: NonceLedger,
  now = Date.now(),
): Promise<VerifyResult> {
  const time = headers.get(TIME_HEADER);
  const nonce = headers.get(NONCE_HEADER);
  const sig = headers.get(SIGNATURE_HEADER);
  if (!time || !nonce || !sig || !/^[0-9]{1,16}$/.test(time) || !NONCE_RE.test(nonce)) return { ok: false, reason: 'unsigned' };
  if (Math.abs(now - Number(time)) > MAX_SKEW_MS) return { ok: false, reason: 'stale' };
  const expected = toB64url(await mac(secret, method, path, time, nonce, body));
  if (!equalText(expected, sig)) return { ok: false, reason: 'bad_signature' };
  if (!(await nonces.claim(nonce, Number(time) + MAX_SKEW_MS, now))) return { ok: false, reason: 'replayed' };
  return { ok: true };
}
