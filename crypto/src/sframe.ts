/**
 * SFrame, RFC 9605: header encoding (§4.3), key and salt derivation (§4.4.2), encryption and
 * decryption (§4.4.3, §4.4.4) for the five registered cipher suites (§4.5, §8.1):
 *
 * | id     | name                       | AEAD                         | hash    |
 * | ------ | -------------------------- | ---------------------------- | ------- |
 * | 0x0001 | AES_128_CTR_HMAC_SHA256_80 | AES-CTR + HMAC (§4.5.1), 10 B tag | SHA-256 |
 * | 0x0002 | AES_128_CTR_HMAC_SHA256_64 | AES-CTR + HMAC, 8 B tag      | SHA-256 |
 * | 0x0003 | AES_128_CTR_HMAC_SHA256_32 | AES-CTR + HMAC, 4 B tag      | SHA-256 |
 * | 0x0004 | AES_128_GCM_SHA256_128     | AES-128-GCM                  | SHA-256 |
 * | 0x0005 | AES_256_GCM_SHA512_128     | AES-256-GCM (Sealroom media) | SHA-512 |
 *
 * The five functions (`encodeHeader`, `decodeHeader`, `deriveKeySalt`,
 * `sframeEncrypt`, `sframeDecrypt`) are the RFC's operations one to one. The media path
 * derives key and salt once per KID (`deriveSFrameKey`) and then calls `sealWithKey` /
 * `openWithKey`, or their WebCrypto twins `sealWithKeyAsync` / `openWithKeyAsync`, which
 * produce the same bytes (pinned by tests).
 * @module
 */
import { ctr as aesCtr, gcm } from '@noble/ciphers/aes.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { abigint, abytes, aint } from './_assert.ts';
import { concatBytes, equalBytes, u64be, utf8 } from './bytes.ts';

/** Cipher suite identifiers from the RFC 9605 §8.1 registry. */
export const AES_128_CTR_HMAC_SHA256_80 = 0x0001;
export const AES_128_CTR_HMAC_SHA256_64 = 0x0002;
export const AES_128_CTR_HMAC_SHA256_32 = 0x0003;
export const AES_128_GCM_SHA256_128 = 0x0004;
export const AES_256_GCM_SHA512_128 = 0x0005;

/** Constants of one cipher suite, named as in RFC 9605 §4.4 and Table 1. */
export type Suite = {
  readonly id: number;
  readonly name: string;
  readonly hash: typeof sha256 | typeof sha512;
  /** Hash output size. */
  readonly nh: number;
  /** AES key size inside the compound AES-CTR+HMAC key (§4.5.1); 0 for GCM. */
  readonly nka: number;
  /** AEAD key size. */
  readonly nk: number;
  /** Nonce size. */
  readonly nn: number;
  /** Tag size (bytes added to the plaintext). */
  readonly nt: number;
  readonly gcm: boolean;
};

const SUITE_TABLE: readonly Suite[] = [
  { id: 1, name: 'AES_128_CTR_HMAC_SHA256_80', hash: sha256, nh: 32, nka: 16, nk: 48, nn: 12, nt: 10, gcm: false },
  { id: 2, name: 'AES_128_CTR_HMAC_SHA256_64', hash: sha256, nh: 32, nka: 16, nk: 48, nn: 12, nt: 8, gcm: false },
  { id: 3, name: 'AES_128_CTR_HMAC_SHA256_32', hash: sha256, nh: 32, nka: 16, nk: 48, nn: 12, nt: 4, gcm: false },
  { id: 4, name: 'AES_128_GCM_SHA256_128', hash: sha256, nh: 32, nka: 0, nk: 16, nn: 12, nt: 16, gcm: true },
  { id: 5, name: 'AES_256_GCM_SHA512_128', hash: sha512, nh: 64, nka: 0, nk: 32, nn: 12, nt: 16, gcm: true },
];

/**
 * Looks up a cipher suite.
 * @param suite - registry value, 0x0001..0x0005
 * @throws TypeError if not an integer; RangeError if not a suite this module implements
 */
export function getSuite(suite: number): Suite {
  aint(suite, 'suite', 0, 0xffff);
  const s = SUITE_TABLE[suite - 1];
  if (!s) throw new RangeError(`suite: unsupported cipher suite 0x${suite.toString(16).padStart(4, '0')}`);
  return s;
}

/**
 * Failure to parse or authenticate an SFrame ciphertext. A RangeError subclass: the input had
 * the right type but a value this module cannot accept. `code` says which check failed; the
 * message never carries key or plaintext material.
 */
export class SFrameError extends RangeError {
  readonly code: 'header' | 'short' | 'auth';
  constructor(code: 'header' | 'short' | 'auth', message: string) {
    super(message);
    this.name = 'SFrameError';
    this.code = code;
  }
}

// Bounds. Base keys: RFC 9605 leaves the length open; 16 bytes is the smallest the RFC's own
// vectors use and 64 (Nh of SHA-512) is what the §5.1 ratchet can produce. Plaintexts: a 4K key
// frame is a few MB; 16 MiB leaves headroom while keeping AES-CTR/GCM far from counter limits.
const BASE_KEY_LEN = [16, 64] as const;
/** Longest metadata (AAD) accepted; frame prefixes are ≤10 bytes, sealing envelopes ≤ a few hundred. */
export const MAX_METADATA = 0xffff;
/** Longest plaintext accepted by one SFrame encryption. */
export const MAX_PLAINTEXT = 1 << 24;
/** Longest SFrame header: config byte + 8-byte KID + 8-byte CTR. */
export const MAX_HEADER = 17;

/** Number of bytes in the minimal big-endian encoding of `v` (v > 0). */
function byteLen(v: bigint): number {
  let n = 0;
  while (v > 0n) {
    v >>= 8n;
    n++;
  }
  return n;
}

function writeBE(out: Uint8Array, pos: number, v: bigint, len: number): void {
  for (let i = len - 1; i >= 0; i--) {
    out[pos + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/**
 * Encodes an SFrame header (RFC 9605 §4.3): config byte `X|KKK|Y|CCC`, then the KID and the
 * CTR, each in the fewest big-endian bytes unless it is below 8 and fits in the config byte.
 * @param kid - key id, 0..2^64-1
 * @param ctr - counter, 0..2^64-1
 * @returns 1..17 header bytes
 * @throws TypeError if either is not a bigint; RangeError if outside 0..2^64-1
 * @example encodeHeader(0x123n, 0x4567n) // 99 01 23 45 67
 */
export function encodeHeader(kid: bigint, ctr: bigint): Uint8Array {
  abigint(kid, 'kid');
  abigint(ctr, 'ctr');
  const kLen = kid < 8n ? 0 : byteLen(kid);
  const cLen = ctr < 8n ? 0 : byteLen(ctr);
  const out = new Uint8Array(1 + kLen + cLen);
  const k = kLen === 0 ? Number(kid) : 0x80 | ((kLen - 1) << 4);
  const c = cLen === 0 ? Number(ctr) : 0x08 | (cLen - 1);
  out[0] = (kLen === 0 ? k << 4 : k) | c;
  if (kLen) writeBE(out, 1, kid, kLen);
  if (cLen) writeBE(out, 1 + kLen, ctr, cLen);
  return out;
}

function readField(bytes: Uint8Array, pos: number, len: number, what: string): bigint {
  if (pos + len > bytes.length) throw new SFrameError('header', `bytes: truncated SFrame header (${what})`);
  let v = 0n;
  for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(bytes[pos + i]!);
  // §4.3: values MUST use the minimum number of bytes, and values 0..7 MUST sit in the config
  // byte. Rejecting other forms keeps one header per (KID, CTR), so the AAD is unique too.
  if (v < 8n || (len > 1 && bytes[pos] === 0)) throw new SFrameError('header', `bytes: non-minimal ${what} encoding`);
  return v;
}

/**
 * Decodes the SFrame header at the start of `bytes` (RFC 9605 §4.3). Bytes after the header
 * are ignored; `length` says where the ciphertext starts.
 * @param bytes - an SFrame ciphertext or anything starting with a header
 * @returns KID, CTR and the header length in bytes
 * @throws TypeError if `bytes` is not a Uint8Array; SFrameError (code `header`) if the header is
 *   truncated or not minimally encoded
 */
export function decodeHeader(bytes: Uint8Array): { kid: bigint; ctr: bigint; length: number } {
  abytes(bytes, 'bytes');
  if (bytes.length === 0) throw new SFrameError('header', 'bytes: empty, expected an SFrame header');
  const cfg = bytes[0]!;
  let pos = 1;
  let kid: bigint;
  if (cfg & 0x80) {
    const len = ((cfg >> 4) & 7) + 1;
    kid = readField(bytes, pos, len, 'KID');
    pos += len;
  } else kid = BigInt((cfg >> 4) & 7);
  let ctr: bigint;
  if (cfg & 0x08) {
    const len = (cfg & 7) + 1;
    ctr = readField(bytes, pos, len, 'CTR');
    pos += len;
  } else ctr = BigInt(cfg & 7);
  return { kid, ctr, length: pos };
}

/**
 * Derives the AEAD key and salt for one KID (RFC 9605 §4.4.2):
 * `secret = HKDF-Extract("", base_key)`, then HKDF-Expand with the labels
 * `"SFrame 1.0 Secret key " ‖ KID(u64) ‖ suite(u16)` (Nk bytes) and
 * `"SFrame 1.0 Secret salt " ‖ KID(u64) ‖ suite(u16)` (Nn bytes).
 * @param suite - cipher suite id
 * @param baseKey - 16..64 bytes
 * @param kid - key id
 * @returns `key` (Nk bytes) and `salt` (Nn bytes)
 * @throws TypeError on wrong types; RangeError on an unknown suite or a bad key length
 */
export function deriveKeySalt(suite: number, baseKey: Uint8Array, kid: bigint): { key: Uint8Array; salt: Uint8Array } {
  const s = getSuite(suite);
  abytes(baseKey, 'baseKey', BASE_KEY_LEN);
  abigint(kid, 'kid');
  const ctx = concatBytes(u64be(kid), new Uint8Array([suite >> 8, suite & 0xff]));
  const secret = extract(s.hash, baseKey, new Uint8Array(0));
  const key = expand(s.hash, secret, concatBytes(KEY_LABEL, ctx), s.nk);
  const salt = expand(s.hash, secret, concatBytes(SALT_LABEL, ctx), s.nn);
  secret.fill(0);
  return { key, salt };
}
const KEY_LABEL = utf8('SFrame 1.0 Secret key ');
const SALT_LABEL = utf8('SFrame 1.0 Secret salt ');

/** Key material for one (suite, KID), derived once and reused for every frame under that KID. */
export type SFrameKey = {
  readonly suite: Suite;
  readonly kid: bigint;
  readonly key: Uint8Array;
  readonly salt: Uint8Array;
};

/**
 * `deriveKeySalt` packaged for repeated use by `sealWithKey` / `openWithKey`.
 * @throws as `deriveKeySalt`
 */
export function deriveSFrameKey(suite: number, baseKey: Uint8Array, kid: bigint): SFrameKey {
  const { key, salt } = deriveKeySalt(suite, baseKey, kid);
  return Object.freeze({ suite: getSuite(suite), kid, key, salt });
}

/** §4.4.3: nonce = salt XOR CTR, CTR as a big-endian integer of Nn bytes. */
function makeNonce(salt: Uint8Array, ctr: bigint): Uint8Array {
  const nonce = salt.slice();
  const c = u64be(ctr);
  for (let i = 0; i < 8; i++) nonce[nonce.length - 8 + i]! ^= c[i]!;
  return nonce;
}

/** §4.5.1 compute_tag: HMAC over lengths ‖ nonce ‖ aad ‖ ct, truncated to Nt. */
function ctrHmacTag(s: Suite, authKey: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array {
  const lens = concatBytes(u64be(BigInt(aad.length)), u64be(BigInt(ct.length)), u64be(BigInt(s.nt)));
  const mac = hmac.create(s.hash, authKey).update(lens).update(nonce).update(aad).update(ct).digest();
  return mac.subarray(0, s.nt);
}

/**
 * The AEAD of cipher suites 0x0001..0x0003 (RFC 9605 §4.5.1): AES-CTR with the initial
 * counter `nonce ‖ 0x00000000`, then HMAC (encrypt-then-MAC), tag truncated to Nt bytes.
 * @param suite - 0x0001, 0x0002 or 0x0003
 * @param key - Nka + Nh = 48 bytes (AES key ‖ HMAC key)
 * @param nonce - 12 bytes
 * @returns ciphertext ‖ tag
 * @throws TypeError on wrong types; RangeError on a GCM suite or wrong sizes
 */
export function aesCtrHmacEncrypt(suite: number, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const s = ctrSuite(suite);
  abytes(key, 'key', s.nk);
  abytes(nonce, 'nonce', s.nn);
  abytes(aad, 'aad', [0, MAX_METADATA + MAX_HEADER]);
  abytes(plaintext, 'plaintext', [0, MAX_PLAINTEXT]);
  const ct = aesCtr(key.subarray(0, s.nka), concatBytes(nonce, new Uint8Array(4))).encrypt(plaintext);
  return concatBytes(ct, ctrHmacTag(s, key.subarray(s.nka), nonce, aad, ct));
}

/**
 * Inverse of `aesCtrHmacEncrypt`; the tag is checked (in constant time) before decrypting.
 * @returns plaintext
 * @throws SFrameError (code `short` or `auth`) if the ciphertext is too short or the tag is wrong
 */
export function aesCtrHmacDecrypt(suite: number, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const s = ctrSuite(suite);
  abytes(key, 'key', s.nk);
  abytes(nonce, 'nonce', s.nn);
  abytes(aad, 'aad', [0, MAX_METADATA + MAX_HEADER]);
  abytes(ciphertext, 'ciphertext', [0, MAX_PLAINTEXT + s.nt]);
  if (ciphertext.length < s.nt) throw new SFrameError('short', 'ciphertext: shorter than the tag');
  const inner = ciphertext.subarray(0, ciphertext.length - s.nt);
  const tag = ciphertext.subarray(ciphertext.length - s.nt);
  if (!equalBytes(tag, ctrHmacTag(s, key.subarray(s.nka), nonce, aad, inner))) throw new SFrameError('auth', 'ciphertext: authentication failed');
  return aesCtr(key.subarray(0, s.nka), concatBytes(nonce, new Uint8Array(4))).decrypt(inner);
}

function ctrSuite(suite: number): Suite {
  const s = getSuite(suite);
  if (s.gcm) throw new RangeError(`suite: 0x${suite.toString(16).padStart(4, '0')} is not an AES-CTR+HMAC suite`);
  return s;
}

function aeadSeal(s: Suite, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array {
  return s.gcm ? gcm(key, nonce, aad).encrypt(pt) : aesCtrHmacEncrypt(s.id, key, nonce, aad, pt);
}

function aeadOpen(s: Suite, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array {
  if (!s.gcm) return aesCtrHmacDecrypt(s.id, key, nonce, aad, ct);
  if (ct.length < s.nt) throw new SFrameError('short', 'sframeCiphertext: shorter than the tag');
  try {
    return gcm(key, nonce, aad).decrypt(ct);
  } catch {
    throw new SFrameError('auth', 'sframeCiphertext: authentication failed');
  }
}

function checkSealArgs(ctr: bigint, metadata: Uint8Array, plaintext: Uint8Array): void {
  abigint(ctr, 'ctr');
  abytes(metadata, 'metadata', [0, MAX_METADATA]);
  abytes(plaintext, 'plaintext', [0, MAX_PLAINTEXT]);
}

function checkKey(k: SFrameKey): void {
  if (typeof k !== 'object' || k === null || !isSuite(k.suite)) throw new TypeError('key: expected an SFrameKey from deriveSFrameKey');
  abytes(k.key, 'key.key', k.suite.nk);
  abytes(k.salt, 'key.salt', k.suite.nn);
}
function isSuite(s: unknown): s is Suite {
  return SUITE_TABLE.includes(s as Suite);
}

/**
 * SFrame encryption with a derived key (RFC 9605 §4.4.3): `header ‖ AEAD(key, salt^CTR,
 * header ‖ metadata, plaintext)`.
 * @param k - from `deriveSFrameKey`
 * @param ctr - counter; the caller MUST never repeat it under one key (§9.1)
 * @param metadata - authenticated, not encrypted, not included in the output
 * @param plaintext - up to 16 MiB
 * @param prefix - optional bytes placed before the header in the same allocation (the frame
 *   transform's clear codec prefix); they are NOT authenticated unless also in `metadata`
 * @returns prefix ‖ header ‖ ciphertext ‖ tag
 * @throws TypeError on wrong types; RangeError on out-of-range values
 */
export function sealWithKey(k: SFrameKey, ctr: bigint, metadata: Uint8Array, plaintext: Uint8Array, prefix?: Uint8Array): Uint8Array {
  checkKey(k);
  checkSealArgs(ctr, metadata, plaintext);
  if (prefix !== undefined) abytes(prefix, 'prefix', [0, MAX_METADATA]);
  const header = encodeHeader(k.kid, ctr);
  const ct = aeadSeal(k.suite, k.key, makeNonce(k.salt, ctr), concatBytes(header, metadata), plaintext);
  return prefix ? concatBytes(prefix, header, ct) : concatBytes(header, ct);
}

/**
 * SFrame decryption with a derived key (RFC 9605 §4.4.4). The caller has already decoded the
 * header (to pick the key by KID); this checks that the key's KID is the header's.
 * @param k - key for `header.kid`
 * @param header - `decodeHeader(sframeCiphertext)`
 * @param metadata - the same metadata the sender authenticated
 * @param sframeCiphertext - header ‖ ciphertext ‖ tag
 * @returns plaintext
 * @throws SFrameError (code `header`, `short` or `auth`) if the frame does not open
 */
export function openWithKey(
  k: SFrameKey,
  header: { kid: bigint; ctr: bigint; length: number },
  metadata: Uint8Array,
  sframeCiphertext: Uint8Array,
): Uint8Array {
  checkKey(k);
  abytes(metadata, 'metadata', [0, MAX_METADATA]);
  abytes(sframeCiphertext, 'sframeCiphertext', [0, MAX_HEADER + MAX_PLAINTEXT + 16]);
  if (header.kid !== k.kid) throw new SFrameError('header', 'header: KID does not match the key');
  const hdr = sframeCiphertext.subarray(0, header.length);
  const ct = sframeCiphertext.subarray(header.length);
  return aeadOpen(k.suite, k.key, makeNonce(k.salt, header.ctr), concatBytes(hdr, metadata), ct);
}

/**
 * SFrame encryption, RFC 9605 §4.4.3, from the base key.
 * @param suite - cipher suite id, 0x0001..0x0005
 * @param baseKey - 16..64 bytes
 * @param kid - key id
 * @param ctr - counter, never repeated under one (baseKey, kid)
 * @param metadata - authenticated alongside the header, not sent
 * @param plaintext - data to encrypt
 * @returns header ‖ ciphertext ‖ tag
 * @throws TypeError on wrong types; RangeError on bad sizes, ranges or suites
 * @example sframeEncrypt(5, baseKey, 0x123n, 0x4567n, new Uint8Array(0), frame)
 */
export function sframeEncrypt(suite: number, baseKey: Uint8Array, kid: bigint, ctr: bigint, metadata: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const k = deriveSFrameKey(suite, baseKey, kid);
  return sealWithKey(k, ctr, metadata, plaintext);
}

/**
 * SFrame decryption, RFC 9605 §4.4.4, from the base key: the KID is read from the header and
 * the key for it is derived from `baseKey` (the caller's key store maps KID → base key).
 * @param suite - cipher suite id
 * @param baseKey - base key for the KID in the header
 * @param metadata - the metadata the sender authenticated
 * @param sframeCiphertext - header ‖ ciphertext ‖ tag
 * @returns KID and CTR from the header, and the plaintext
 * @throws TypeError on wrong types; RangeError on bad arguments; SFrameError if it does not open
 */
export function sframeDecrypt(
  suite: number,
  baseKey: Uint8Array,
  metadata: Uint8Array,
  sframeCiphertext: Uint8Array,
): { kid: bigint; ctr: bigint; plaintext: Uint8Array } {
  getSuite(suite);
  abytes(baseKey, 'baseKey', BASE_KEY_LEN);
  abytes(metadata, 'metadata', [0, MAX_METADATA]);
  abytes(sframeCiphertext, 'sframeCiphertext', [0, MAX_HEADER + MAX_PLAINTEXT + 16]);
  const header = decodeHeader(sframeCiphertext);
  const k = deriveSFrameKey(suite, baseKey, header.kid);
  return { kid: header.kid, ctr: header.ctr, plaintext: openWithKey(k, header, metadata, sframeCiphertext) };
}

// ── WebCrypto variants ──────────────────────────────────────────────────────────────────────
// AES-GCM in WebCrypto runs on the platform's AES-NI/ARMv8 code and wins for large frames (see
// docs/bench/crypto.md). The AES-CTR+HMAC suites are not on any media path here, so their
// async variants run the same noble code: there is one implementation of §4.5.1.

const cryptoKeys = new WeakMap<SFrameKey, Promise<CryptoKey>>();

function subtleKey(k: SFrameKey): Promise<CryptoKey> {
  let p = cryptoKeys.get(k);
  if (!p) {
    p = globalThis.crypto.subtle.importKey('raw', k.key as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);
    cryptoKeys.set(k, p);
  }
  return p;
}

/**
 * `sealWithKey` over WebCrypto AES-GCM; byte-for-byte the same output.
 * @throws as `sealWithKey` (synchronously checked arguments reject the promise)
 */
export async function sealWithKeyAsync(k: SFrameKey, ctr: bigint, metadata: Uint8Array, plaintext: Uint8Array, prefix?: Uint8Array): Promise<Uint8Array> {
  checkKey(k);
  if (!k.suite.gcm) return sealWithKey(k, ctr, metadata, plaintext, prefix);
  checkSealArgs(ctr, metadata, plaintext);
  if (prefix !== undefined) abytes(prefix, 'prefix', [0, MAX_METADATA]);
  const header = encodeHeader(k.kid, ctr);
  const ct = await globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: makeNonce(k.salt, ctr) as Uint8Array<ArrayBuffer>, additionalData: concatBytes(header, metadata) as Uint8Array<ArrayBuffer> },
    await subtleKey(k),
    plaintext as Uint8Array<ArrayBuffer>,
  );
  return prefix ? concatBytes(prefix, header, new Uint8Array(ct)) : concatBytes(header, new Uint8Array(ct));
}

/**
 * `openWithKey` over WebCrypto AES-GCM.
 * @throws SFrameError if the frame does not open
 */
export async function openWithKeyAsync(
  k: SFrameKey,
  header: { kid: bigint; ctr: bigint; length: number },
  metadata: Uint8Array,
  sframeCiphertext: Uint8Array,
): Promise<Uint8Array> {
  checkKey(k);
  if (!k.suite.gcm) return openWithKey(k, header, metadata, sframeCiphertext);
  abytes(metadata, 'metadata', [0, MAX_METADATA]);
  abytes(sframeCiphertext, 'sframeCiphertext', [0, MAX_HEADER + MAX_PLAINTEXT + 16]);
  if (header.kid !== k.kid) throw new SFrameError('header', 'header: KID does not match the key');
  const ct = sframeCiphertext.subarray(header.length);
  if (ct.length < k.suite.nt) throw new SFrameError('short', 'sframeCiphertext: shorter than the tag');
  const aad = concatBytes(sframeCiphertext.subarray(0, header.length), metadata);
  try {
    const pt = await globalThis.crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: makeNonce(k.salt, header.ctr) as Uint8Array<ArrayBuffer>, additionalData: aad as Uint8Array<ArrayBuffer> },
      await subtleKey(k),
      ct as Uint8Array<ArrayBuffer>,
    );
    return new Uint8Array(pt);
  } catch {
    throw new SFrameError('auth', 'sframeCiphertext: authentication failed');
  }
}

/**
 * `sframeEncrypt` over WebCrypto (GCM suites); same bytes as the synchronous function.
 * @throws as `sframeEncrypt`
 */
export async function sframeEncryptAsync(
  suite: number,
  baseKey: Uint8Array,
  kid: bigint,
  ctr: bigint,
  metadata: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  return sealWithKeyAsync(deriveSFrameKey(suite, baseKey, kid), ctr, metadata, plaintext);
}

/**
 * `sframeDecrypt` over WebCrypto (GCM suites).
 * @throws as `sframeDecrypt`
 */
export async function sframeDecryptAsync(
  suite: number,
  baseKey: Uint8Array,
  metadata: Uint8Array,
  sframeCiphertext: Uint8Array,
): Promise<{ kid: bigint; ctr: bigint; plaintext: Uint8Array }> {
  getSuite(suite);
  abytes(baseKey, 'baseKey', BASE_KEY_LEN);
  abytes(metadata, 'metadata', [0, MAX_METADATA]);
  abytes(sframeCiphertext, 'sframeCiphertext', [0, MAX_HEADER + MAX_PLAINTEXT + 16]);
  const header = decodeHeader(sframeCiphertext);
  const k = deriveSFrameKey(suite, baseKey, header.kid);
  return { kid: header.kid, ctr: header.ctr, plaintext: await openWithKeyAsync(k, header, metadata, sframeCiphertext) };
}
