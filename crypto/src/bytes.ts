/**
 * Byte-string helpers used across crypto/ and by every other workspace: base64url (RFC 4648 §5,
 * no padding, the form every key and blob takes on the wire), standard base64 (RFC 4648 §4,
 * padded), hex, UTF-8, concatenation, constant-time comparison and the length-prefixed encoding
 * that keeps multi-field AAD and HKDF inputs unambiguous.
 *
 * The codecs are `@scure/base` (which takes the platform's Uint8Array base64/hex where
 * Chromium and workerd have it) and `@noble/hashes`/`@noble/ciphers` utils; this module only
 * adds the argument checks that name the bad argument and the canonical-form rules below.
 * @module
 */
import { concatBytes as nobleConcat, utf8ToBytes } from '@noble/hashes/utils.js';
import { equalBytes as nobleEqual } from '@noble/ciphers/utils.js';
import { base64 as scureBase64, base64url as scureBase64url, hex as scureHex } from '@scure/base';
import { abytes, aint, astring } from './_assert.ts';

// Decoders here always allocate a fresh ArrayBuffer, so results are typed `Uint8Array<ArrayBuffer>`,
// which WebCrypto accepts as a BufferSource.
const B64URL_TEXT = /^[A-Za-z0-9_-]*$/;
const B64_TEXT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX_TEXT = /^(?:[0-9a-fA-F]{2})*$/;

function astr(s: unknown, title: string): string {
  if (typeof s !== 'string') throw new TypeError(`${title}: expected string, got ${s === null ? 'null' : typeof s}`);
  return s;
}

/**
 * Encodes bytes as base64url without padding (RFC 4648 §5).
 * @param bytes - data to encode
 * @returns base64url text, `Math.ceil(4 * len / 3)` characters
 * @throws TypeError if `bytes` is not a Uint8Array
 * @example toB64url(new Uint8Array([251, 255])) // '-_8'
 */
export function toB64url(bytes: Uint8Array): string {
  const s = scureBase64url.encode(abytes(bytes, 'bytes'));
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 61 /* '=' */) end--;
  return s.slice(0, end);
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
export function fromB64url(s: string): Uint8Array<ArrayBuffer> {
  astr(s, 's');
  if (s.length % 4 === 1) throw new TypeError('s: invalid base64url length');
  if (!B64URL_TEXT.test(s)) throw new TypeError('s: invalid base64url character');
  try {
    return scureBase64url.decode(s + '='.repeat((4 - (s.length % 4)) % 4)) as Uint8Array<ArrayBuffer>;
  } catch {
    // The alphabet and length were checked above, so only the trailing bits can be wrong.
    throw new TypeError('s: non-canonical base64url (trailing bits)');
  }
}

/**
 * Encodes bytes as padded standard base64 (RFC 4648 §4), as data: URLs, MIME and TURN want it.
 * @throws TypeError if `bytes` is not a Uint8Array
 * @example toBase64(new Uint8Array([251, 255])) // '+/8='
 */
export function toBase64(bytes: Uint8Array): string {
  return scureBase64.encode(abytes(bytes, 'bytes'));
}

/**
 * Decodes padded standard base64 (RFC 4648 §4); strict like {@link fromB64url}: no whitespace,
 * padding required, trailing bits zero.
 * @throws TypeError if `s` is not a string or is not canonical base64
 */
export function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  astr(s, 's');
  if (!B64_TEXT.test(s)) throw new TypeError('s: invalid base64');
  try {
    return scureBase64.decode(s) as Uint8Array<ArrayBuffer>;
  } catch {
    throw new TypeError('s: non-canonical base64 (trailing bits)');
  }
}

/**
 * Lower-case hex of `bytes`.
 * @throws TypeError if `bytes` is not a Uint8Array
 */
export function hex(bytes: Uint8Array): string {
  return scureHex.encode(abytes(bytes, 'bytes'));
}

/**
 * Parses hex (either case, even length, no prefix).
 * @throws TypeError if `s` is not a string or not hex
 */
export function fromHex(s: string): Uint8Array<ArrayBuffer> {
  astr(s, 's');
  if (!HEX_TEXT.test(s)) throw new TypeError('s: expected an even number of hex digits');
  return scureHex.decode(s.toLowerCase()) as Uint8Array<ArrayBuffer>;
}

/**
 * Concatenates byte arrays into a fresh one.
 * @throws TypeError if any argument is not a Uint8Array
 */
export function concatBytes(...arrays: Uint8Array[]): Uint8Array<ArrayBuffer> {
  for (let i = 0; i < arrays.length; i++) abytes(arrays[i], `arrays[${i}]`);
  return nobleConcat(...arrays) as Uint8Array<ArrayBuffer>;
}

/**
 * Compares two byte arrays in time that depends only on their lengths (used for tags and
 * keys, where an early exit would leak how many leading bytes matched).
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return nobleEqual(abytes(a, 'a'), abytes(b, 'b'));
}

/**
 * Compares two strings (MACs, tokens, hashes in text form) by their UTF-8 bytes in constant time;
 * strings of different lengths are simply unequal.
 */
export function equalText(a: string, b: string): boolean {
  return nobleEqual(utf8ToBytes(astr(a, 'a')), utf8ToBytes(astr(b, 'b')));
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 encoding of `s`. @throws TypeError if `s` is not a string */
export function utf8(s: string): Uint8Array<ArrayBuffer> {
  return utf8ToBytes(astring(s, 's')) as Uint8Array<ArrayBuffer>;
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
