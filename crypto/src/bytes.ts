/**
 * Byte-string helpers used across crypto/ and by its callers: base64url (RFC 4648 §5, no
 * padding, the form every key and blob takes on the wire), hex, concatenation, constant-time
 * comparison and the length-prefixed encoding that keeps multi-field AAD and HKDF inputs
 * unambiguous.
 * @module
 */
import { abytes, aint, astring } from './_assert.ts';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_TEXT = /^[A-Za-z0-9_-]*$/;

/**
 * The platform's own base64 (TC39 Uint8Array base64, in Chromium and workerd) where present:
 * about 15× faster than the loops below, which matters for sealed file chunks. Looked up per
 * call so a runtime that gains it later (or a test that provides it) is honoured.
 */
type NativeBase64 = {
  toBase64?: (this: Uint8Array, o: { alphabet: 'base64url'; omitPadding: boolean }) => string;
};
type NativeFromBase64 = { fromBase64?: (s: string, o: { alphabet: 'base64url'; lastChunkHandling: 'strict' }) => Uint8Array };
const B64URL_DEC = new Int8Array(128).fill(-1);
for (let i = 0; i < B64URL.length; i++) B64URL_DEC[B64URL.charCodeAt(i)] = i;

/**
 * Encodes bytes as base64url without padding (RFC 4648 §5).
 * @param bytes - data to encode
 * @returns base64url text, `Math.ceil(4 * len / 3)` characters
 * @throws TypeError if `bytes` is not a Uint8Array
 * @example toB64url(new Uint8Array([251, 255])) // '-_8'
 */
export function toB64url(bytes: Uint8Array): string {
  abytes(bytes, 'bytes');
  const native = (Uint8Array.prototype as NativeBase64).toBase64;
  if (native) return native.call(bytes, { alphabet: 'base64url', omitPadding: true });
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Decodes unpadded base64url (RFC 4648 §5). Strict: padding, whitespace, the `+/` alphabet,
 * an impossible length (4k+1) and non-zero trailing bits are all rejected, so every byte
 * string has exactly one accepted encoding.
 * @param s - base64url text
 * @returns decoded bytes
 * @throws TypeError if `s` is not a string or is not canonical base64url
 * @example fromB64url('-_8') // Uint8Array [251, 255]
 */
export function fromB64url(s: string): Uint8Array {
  if (typeof s !== 'string') throw new TypeError(`s: expected string, got ${s === null ? 'null' : typeof s}`);
  if (s.length % 4 === 1) throw new TypeError('s: invalid base64url length');
  const native = (Uint8Array as NativeFromBase64).fromBase64;
  // Only the exact unpadded alphabet goes native (it would also take padding and whitespace),
  // padded so that 'strict' refuses non-zero trailing bits as the loop below does.
  if (native && B64URL_TEXT.test(s)) {
    try {
      return native(s + '='.repeat((4 - (s.length % 4)) % 4), { alphabet: 'base64url', lastChunkHandling: 'strict' });
    } catch {
      // Falls through: the loop names what is wrong.
    }
  }
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64URL_DEC[c]! : -1;
    if (v < 0) throw new TypeError(`s: invalid base64url character at ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, otherwise two strings would decode to the same bytes.
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) throw new TypeError('s: non-canonical base64url (trailing bits)');
  return out;
}

/**
 * Lower-case hex of `bytes`.
 * @throws TypeError if `bytes` is not a Uint8Array
 */
export function hex(bytes: Uint8Array): string {
  abytes(bytes, 'bytes');
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * Parses hex (either case, even length, no prefix).
 * @throws TypeError if `s` is not a string or not hex
 */
export function fromHex(s: string): Uint8Array {
  if (typeof s !== 'string') throw new TypeError(`s: expected string, got ${typeof s}`);
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new TypeError('s: expected an even number of hex digits');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Concatenates byte arrays into a fresh one.
 * @throws TypeError if any argument is not a Uint8Array
 */
export function concatBytes(...arrays: Uint8Array[]): Uint8Array {
  let len = 0;
  for (let i = 0; i < arrays.length; i++) len += abytes(arrays[i], `arrays[${i}]`).length;
  const out = new Uint8Array(len);
  let pos = 0;
  for (const a of arrays) {
    out.set(a, pos);
    pos += a.length;
  }
  return out;
}

/**
 * Compares two byte arrays in time that depends only on their lengths (used for tags and
 * keys, where an early exit would leak how many leading bytes matched).
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  abytes(a, 'a');
  abytes(b, 'b');
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 encoding of `s`. @throws TypeError if `s` is not a string */
export function utf8(s: string): Uint8Array {
  return encoder.encode(astring(s, 's'));
}

/** Strict UTF-8 decoding. @throws TypeError on invalid UTF-8 */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(abytes(bytes, 'bytes'));
}

/** Big-endian u32. @throws RangeError outside 0..2^32-1 */
export function u32be(n: number): Uint8Array {
  aint(n, 'n', 0, 0xffff_ffff);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/** Big-endian u64 of a bigint in [0, 2^64). */
export function u64be(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}

/**
 * Length-prefixed concatenation (u32 length ‖ bytes for each part). Every HKDF salt/info and
 * AAD built from several variable-length fields goes through this, so ("ab","c") and
 * ("a","bc") can never produce the same input.
 */
export function lp(...parts: (Uint8Array | string)[]): Uint8Array {
  const bs = parts.map((p) => (typeof p === 'string' ? utf8(p) : abytes(p, 'part')));
  const out = new Uint8Array(bs.reduce((n, b) => n + 4 + b.length, 0));
  const dv = new DataView(out.buffer);
  let pos = 0;
  for (const b of bs) {
    dv.setUint32(pos, b.length);
    out.set(b, pos + 4);
    pos += 4 + b.length;
  }
  return out;
}
