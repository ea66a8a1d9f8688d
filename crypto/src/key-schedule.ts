/**
 * Sealroom's meeting key schedule: the sender-keys scheme of RFC 9605 §5.1 over pairwise
 * channels built from X25519 (RFC 7748) and HKDF-SHA-256 (RFC 5869), sealed with AES-256-GCM.
 *
 * - Every participant makes an X25519 key pair per meeting; the public key goes through the
 *   Room DO, the secret key never leaves the client.
 * - Each sender holds a random 32-byte base key per epoch and hands it to every other admitted
 *   participant sealed under a pairwise key. The pairwise key is direction-bound: A→B and B→A
 *   use different keys, so a blob cannot be reflected back to its sender.
 * - On a join, senders ratchet (§5.1) instead of drawing a new key: existing receivers ratchet
 *   their copies themselves and only the newcomer is sent the ratcheted key, which cannot be
 *   run backwards to open earlier media.
 * - On a leave, senders draw a fresh random key and send it only to those who remain.
 *
 * Blob wire format (61 bytes, 82 base64url characters): `0x01 ‖ nonce(12) ‖ AES-256-GCM(key(32)) ‖ tag(16)`,
 * AAD = `"Sealroom 1.0 key blob" ‖ lp(meetingId, from, to) ‖ u32(epoch)`.
 * @module
 */
import { gcm } from '@noble/ciphers/aes.js';
import { randomBytes } from '@noble/ciphers/utils.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { expand, extract, hkdf } from '@noble/hashes/hkdf.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { abytes, aint, aobject, astring } from './_assert.ts';
import { concatBytes, lp, u32be, utf8 } from './bytes.ts';

/** Size of every base key in Sealroom (and of every sealed key in a blob). */
export const BASE_KEY_LEN = 32;
/** Participant ids as the protocol defines them (protocol/src/common.ts). */
export const PARTICIPANT_ID = /^[A-Za-z0-9_-]{8,40}$/;
const MEETING_ID = /^[\x21-\x7e]{1,64}$/;
const BLOB_VERSION = 1;
/** Length of a sealed key blob in bytes. */
export const BLOB_LEN = 1 + 12 + BASE_KEY_LEN + 16;

/** An X25519 key pair. */
export type KeyPair = { secretKey: Uint8Array; publicKey: Uint8Array };

/** The X25519 base point, u = 9 (RFC 7748 §4.1), as 32 little-endian bytes. */
const BASE_U = /* @__PURE__ */ (() => {
  const u = new Uint8Array(32);
  u[0] = 9;
  return u;
})();

/**
 * The public key of an X25519 secret key: X25519(secret, 9), RFC 7748 §6.1.
 * By the ladder, not `x25519.getPublicKey`: noble takes that path through ed25519 base-point
 * tables it builds on first use, about 100 ms of a page's main thread for one key per meeting.
 * @param secretKey - 32 bytes
 * @returns 32 bytes
 */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return x25519.scalarMult(secretKey, BASE_U);
}

/**
 * Makes a fresh X25519 key pair (one per participant per meeting).
 * @returns 32-byte secret and public keys
 */
export function generateKeyPair(): KeyPair {
  const secretKey = randomBytes(32);
  return { secretKey, publicKey: publicKeyOf(secretKey) };
}

/**
 * A fresh random base key from the platform CSPRNG (`crypto.getRandomValues`).
 * @returns 32 bytes
 */
export function randomBaseKey(): Uint8Array {
  return randomBytes(BASE_KEY_LEN);
}

const RATCHET_LABEL = utf8('SFrame 1.0 Ratchet');

/**
 * One ratchet step, RFC 9605 §5.1:
 * `base_key[i+1] = HKDF-Expand(HKDF-Extract("", base_key[i]), "SFrame 1.0 Ratchet", Nh)`
 * with the media suite's hash (SHA-512). Sealroom keeps the first 32 bytes: HKDF-Expand output
 * is prefix-stable, so this is exactly the first half of the RFC's 64-byte value, and every
 * base key keeps one size (the blob format and the protocol's blob bound assume 32).
 * @param baseKey - 32-byte base key
 * @returns the next 32-byte base key
 * @throws TypeError / RangeError if `baseKey` is not 32 bytes
 */
export function ratchetBaseKey(baseKey: Uint8Array): Uint8Array {
  abytes(baseKey, 'baseKey', BASE_KEY_LEN);
  return expand(sha512, extract(sha512, baseKey, new Uint8Array(0)), RATCHET_LABEL, BASE_KEY_LEN);
}

/** A key blob did not open: wrong sender, wrong recipient, wrong epoch or tampered. */
export class KeyBlobError extends Error {
  readonly code: 'malformed' | 'auth';
  constructor(code: 'malformed' | 'auth', message: string) {
    super(message);
    this.name = 'KeyBlobError';
    this.code = code;
  }
}

/** The two directional AES-256-GCM keys one participant shares with one peer. */
export type PairwiseKeys = { readonly send: Uint8Array; readonly recv: Uint8Array };

const PAIRWISE_LABEL = utf8('Sealroom 1.0 pairwise key');

function directional(shared: Uint8Array, meetingId: string, fromId: string, fromPk: Uint8Array, toId: string, toPk: Uint8Array): Uint8Array {
  // Salt: meeting and both ids in sender→recipient order (this makes the key direction-bound).
  // Info: label and both public keys, so the key is bound to the keys the roster showed.
  return hkdf(sha256, shared, lp(meetingId, fromId, toId), concatBytes(PAIRWISE_LABEL, fromPk, toPk), 32);
}

/**
 * Derives the pairwise keys with one peer: HKDF-SHA-256 over the X25519 shared secret, salted
 * with the meeting id and both participant ids. `send` seals blobs to the peer; `recv` opens
 * the peer's blobs (and equals the peer's own `send` toward us). Computed once per peer: the
 * X25519 step dominates the cost of a rekey otherwise.
 * @param args.meetingId - meeting id
 * @param args.self - own id and key pair
 * @param args.peer - peer id and 32-byte public key
 * @returns `{ send, recv }`, 32 bytes each
 * @throws TypeError / RangeError on bad arguments; RangeError if the peer's key is a
 *   low-order point (the shared secret would be all zeros)
 */
export function derivePairwiseKeys(args: {
  meetingId: string;
  self: { id: string; keyPair: KeyPair };
  peer: { id: string; publicKey: Uint8Array };
}): PairwiseKeys {
  aobject(args, 'args');
  const meetingId = astring(args.meetingId, 'meetingId', MEETING_ID);
  aobject(args.self, 'self');
  aobject(args.peer, 'peer');
  const selfId = astring(args.self.id, 'self.id', PARTICIPANT_ID);
  const peerId = astring(args.peer.id, 'peer.id', PARTICIPANT_ID);
  if (selfId === peerId) throw new RangeError('peer.id: a participant has no pairwise key with itself');
  aobject(args.self.keyPair, 'self.keyPair');
  const sk = abytes(args.self.keyPair.secretKey, 'self.keyPair.secretKey', 32);
  const selfPk = abytes(args.self.keyPair.publicKey, 'self.keyPair.publicKey', 32);
  const peerPk = abytes(args.peer.publicKey, 'peer.publicKey', 32);
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(sk, peerPk);
  } catch {
    throw new RangeError('peer.publicKey: not a usable X25519 public key');
  }
  // RFC 7748 §6.1: an all-zero result means a low-order public key; refuse it.
  if (shared.every((b) => b === 0)) throw new RangeError('peer.publicKey: low-order X25519 public key');
  const keys = {
    send: directional(shared, meetingId, selfId, selfPk, peerId, peerPk),
    recv: directional(shared, meetingId, peerId, peerPk, selfId, selfPk),
  };
  shared.fill(0);
  return Object.freeze(keys);
}

/** Who a blob is from and to, and which epoch it carries: everything its AAD binds. */
export type BlobContext = { meetingId: string; from: string; to: string; epoch: number };

const BLOB_LABEL = utf8('Sealroom 1.0 key blob');
/** Message keys get their own label: a wrapped message key never opens as a media key blob, nor the reverse. */
const MESSAGE_KEY_LABEL = utf8('Sealroom 1.0 message key');

function blobAad(ctx: BlobContext, label: Uint8Array = BLOB_LABEL): Uint8Array {
  aobject(ctx, 'ctx');
  astring(ctx.meetingId, 'ctx.meetingId', MEETING_ID);
  astring(ctx.from, 'ctx.from', PARTICIPANT_ID);
  astring(ctx.to, 'ctx.to', PARTICIPANT_ID);
  aint(ctx.epoch, 'ctx.epoch', 0, 0xffff_ffff);
  return concatBytes(label, lp(ctx.meetingId, ctx.from, ctx.to), u32be(ctx.epoch));
}

/**
 * Seals a base key for one recipient.
 * @param sendKey - `derivePairwiseKeys(...).send` toward `ctx.to`
 * @param ctx - meeting, sender, recipient, epoch (all bound as AAD)
 * @param baseKey - 32-byte base key
 * @returns a 61-byte blob (82 base64url characters)
 * @throws TypeError / RangeError naming the bad argument
 */
export function sealBaseKey(sendKey: Uint8Array, ctx: BlobContext, baseKey: Uint8Array): Uint8Array {
  return sealUnder(BLOB_LABEL, sendKey, ctx, baseKey, 'baseKey');
}

/**
 * Wraps a one-time message key for one recipient, for a message sealed once and read by people
 * who share no group key with the sender (a host's broadcast into breakout rooms, each its own
 * key group). Same construction as `sealBaseKey`, under its own label.
 * @param sendKey - `derivePairwiseKeys(...).send` toward `ctx.to`
 * @param ctx - meeting, sender, recipient, and a message number (all bound as AAD)
 * @param messageKey - 32 bytes
 * @returns a 61-byte blob
 * @throws TypeError / RangeError naming the bad argument
 */
export function sealMessageKey(sendKey: Uint8Array, ctx: BlobContext, messageKey: Uint8Array): Uint8Array {
  return sealUnder(MESSAGE_KEY_LABEL, sendKey, ctx, messageKey, 'messageKey');
}

/**
 * Opens a blob sealed by `sealMessageKey`.
 * @throws TypeError / RangeError on bad arguments; KeyBlobError if the blob does not open
 */
export function openMessageKey(recvKey: Uint8Array, ctx: BlobContext, blob: Uint8Array): Uint8Array {
  return openUnder(MESSAGE_KEY_LABEL, recvKey, ctx, blob);
}

function sealUnder(label: Uint8Array, sendKey: Uint8Array, ctx: BlobContext, baseKey: Uint8Array, title: string): Uint8Array {
  abytes(sendKey, 'sendKey', 32);
  const aad = blobAad(ctx, label);
  abytes(baseKey, title, BASE_KEY_LEN);
  // Random nonces: a pairwise key seals one blob per rekey, a few hundred per meeting at most,
  // far below the 2^32 bound for random 96-bit nonces (NIST SP 800-38D §8.3).
  const nonce = randomBytes(12);
  return concatBytes(new Uint8Array([BLOB_VERSION]), nonce, gcm(sendKey, nonce, aad).encrypt(baseKey));
}

/**
 * Opens a blob sealed by `sealBaseKey`.
 * @param recvKey - `derivePairwiseKeys(...).recv` from `ctx.from`
 * @param ctx - must equal the sender's context exactly
 * @param blob - the 61-byte blob
 * @returns the 32-byte base key
 * @throws TypeError / RangeError on bad arguments; KeyBlobError if the blob does not open
 */
export function openBaseKey(recvKey: Uint8Array, ctx: BlobContext, blob: Uint8Array): Uint8Array {
  return openUnder(BLOB_LABEL, recvKey, ctx, blob);
}

function openUnder(label: Uint8Array, recvKey: Uint8Array, ctx: BlobContext, blob: Uint8Array): Uint8Array {
  abytes(recvKey, 'recvKey', 32);
  const aad = blobAad(ctx, label);
  abytes(blob, 'blob');
  if (blob.length !== BLOB_LEN || blob[0] !== BLOB_VERSION) throw new KeyBlobError('malformed', `blob: expected ${BLOB_LEN} bytes, version ${BLOB_VERSION}`);
  try {
    return gcm(recvKey, blob.subarray(1, 13), aad).decrypt(blob.subarray(13));
  } catch {
    throw new KeyBlobError('auth', 'blob: does not open for this sender, recipient and epoch');
  }
}
