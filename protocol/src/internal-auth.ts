/**
 * HMAC authentication of edge ↔ origin HTTP calls, and derivation of the ticket key,
 * both from the one secret the two share. WebCrypto only: runs in workerd, Node and browsers.
 *
 * signature = base64url(HMAC-SHA-256(macKey, METHOD \n path \n timestamp-ms \n body))
 */
export const SIGNATURE_HEADER = 'x-sealroom-signature';
export const TIME_HEADER = 'x-sealroom-time';
/** Accepted clock skew between edge and origin. */
export const MAX_SKEW_MS = 60_000;

const enc = new TextEncoder();

const b64url = (bytes: Uint8Array): string => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

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

async function mac(secret: string, method: string, path: string, time: string, body: string): Promise<Uint8Array> {
  const k = await hmacKey(await deriveInternalKey(secret, 'request-mac'), ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, enc.encode(`${method.toUpperCase()}\n${path}\n${time}\n${body}`)));
}

/** Headers to add to an internal request. */
export async function signRequest(secret: string, method: string, path: string, body: string, now = Date.now()): Promise<Record<string, string>> {
  const time = String(now);
  return { [TIME_HEADER]: time, [SIGNATURE_HEADER]: b64url(await mac(secret, method, path, time, body)) };
}

/** True when the headers carry a fresh, valid signature for exactly this request. */
export async function verifyRequest(
  secret: string,
  method: string,
  path: string,
  body: string,
  headers: { get(name: string): string | null },
  now = Date.now(),
): Promise<boolean> {
  const time = headers.get(TIME_HEADER);
  const sig = headers.get(SIGNATURE_HEADER);
  if (!time || !sig || !/^[0-9]{1,16}$/.test(time)) return false;
  if (Math.abs(now - Number(time)) > MAX_SKEW_MS) return false;
  const expected = b64url(await mac(secret, method, path, time, body));
  // Constant-time compare: both are 43-char strings when well formed.
  if (expected.length !== sig.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ sig.charCodeAt(i);
  return diff === 0;
}
