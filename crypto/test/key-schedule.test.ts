import { describe, expect, it } from 'vitest';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { fromHex, hex, toB64url, utf8 } from '../src/bytes.ts';
import {
  BLOB_LEN,
  derivePairwiseKeys,
  generateKeyPair,
  KeyBlobError,
  openBaseKey,
  openMessageKey,
  publicKeyOf,
  randomBaseKey,
  ratchetBaseKey,
  sealBaseKey,
  sealMessageKey,
} from '../src/key-schedule.ts';
import { atOffset, flip } from './_helpers.ts';
import x25519Vectors from './vectors/rfc7748-x25519.json' with { type: 'json' };

const meetingId = '123456789';
const alice = { id: 'alice-0001', keyPair: generateKeyPair() };
const bob = { id: 'bob-00002', keyPair: generateKeyPair() };
const carol = { id: 'carol-003', keyPair: generateKeyPair() };
const ab = derivePairwiseKeys({ meetingId, self: alice, peer: { id: bob.id, publicKey: bob.keyPair.publicKey } });
const ba = derivePairwiseKeys({ meetingId, self: bob, peer: { id: alice.id, publicKey: alice.keyPair.publicKey } });
const ctx = { meetingId, from: alice.id, to: bob.id, epoch: 3 };

describe('X25519 key pairs (RFC 7748)', () => {
  it('derive the public keys of RFC 7748 §6.1, which agree on its shared secret', () => {
    const { alice: a, bob: b, sharedSecret } = x25519Vectors;
    expect(hex(publicKeyOf(fromHex(a.secretKey)))).toBe(a.publicKey);
    expect(hex(publicKeyOf(fromHex(b.secretKey)))).toBe(b.publicKey);
    expect(hex(x25519.getSharedSecret(fromHex(a.secretKey), fromHex(b.publicKey)))).toBe(sharedSecret);
  });

  it('make a fresh pair each time whose public key is the one noble derives', () => {
    const pairs = Array.from({ length: 8 }, () => generateKeyPair());
    expect(new Set(pairs.map((p) => hex(p.secretKey))).size).toBe(8);
    for (const p of pairs) expect(hex(p.publicKey)).toBe(hex(x25519.getPublicKey(p.secretKey)));
  });
});

describe('ratchet (RFC 9605 §5.1)', () => {
  it('is the first 32 bytes of HKDF-Expand(HKDF-Extract("", k), "SFrame 1.0 Ratchet", 64)', () => {
    const k = new Uint8Array(32).map((_, i) => i);
    const full = expand(sha512, extract(sha512, k, new Uint8Array(0)), utf8('SFrame 1.0 Ratchet'), 64);
    expect(hex(ratchetBaseKey(k))).toBe(hex(full.subarray(0, 32)));
    expect(hex(ratchetBaseKey(atOffset(k)))).toBe(hex(full.subarray(0, 32)));
    expect(hex(ratchetBaseKey(ratchetBaseKey(k)))).not.toBe(hex(ratchetBaseKey(k)));
  });
});

describe('pairwise keys', () => {
  it('are direction-bound: my send key is your receive key, and not my receive key', () => {
    expect(hex(ab.send)).toBe(hex(ba.recv));
    expect(hex(ab.recv)).toBe(hex(ba.send));
    expect(hex(ab.send)).not.toBe(hex(ab.recv));
  });

  it('depend on the meeting and on both ids', () => {
    const peer = { id: bob.id, publicKey: bob.keyPair.publicKey };
    expect(hex(derivePairwiseKeys({ meetingId: '987654321', self: alice, peer }).send)).not.toBe(hex(ab.send));
    expect(hex(derivePairwiseKeys({ meetingId, self: { ...alice, id: 'alice-0009' }, peer }).send)).not.toBe(hex(ab.send));
    expect(hex(derivePairwiseKeys({ meetingId, self: alice, peer: { ...peer, id: 'bob-00009' } }).send)).not.toBe(hex(ab.send));
  });

  it('refuse low-order public keys', () => {
    expect(() => derivePairwiseKeys({ meetingId, self: alice, peer: { id: bob.id, publicKey: new Uint8Array(32) } })).toThrow(RangeError);
  });
});

describe('key blobs', () => {
  const base = randomBaseKey();
  const blob = sealBaseKey(ab.send, ctx, base);

  it('fit the protocol (≤ 256 base64url characters) and open for the recipient', () => {
    expect(blob.length).toBe(BLOB_LEN);
    expect(toB64url(blob).length).toBeLessThanOrEqual(256);
    expect(hex(openBaseKey(ba.recv, ctx, blob))).toBe(hex(base));
    expect(hex(openBaseKey(atOffset(ba.recv), ctx, atOffset(blob)))).toBe(hex(base));
  });

  it('do not open when any bound field differs or any byte flips', () => {
    for (const bad of [
      { ...ctx, epoch: 4 },
      { ...ctx, meetingId: '123456780' },
      { ...ctx, from: bob.id, to: alice.id },
      { ...ctx, to: carol.id },
    ])
      expect(() => openBaseKey(ba.recv, bad, blob)).toThrow(KeyBlobError);
    for (let i = 0; i < blob.length; i++) expect(() => openBaseKey(ba.recv, ctx, flip(blob, i))).toThrow(KeyBlobError);
    // The sender's own receive key (reflection) and a third party's keys fail too.
    expect(() => openBaseKey(ab.recv, ctx, blob)).toThrow(KeyBlobError);
    const cb = derivePairwiseKeys({ meetingId, self: carol, peer: { id: alice.id, publicKey: alice.keyPair.publicKey } });
    expect(() => openBaseKey(cb.recv, ctx, blob)).toThrow(KeyBlobError);
  });

  it('use a fresh nonce each time', () => {
    expect(hex(sealBaseKey(ab.send, ctx, base))).not.toBe(hex(sealBaseKey(ab.send, ctx, base)));
  });
});

describe('message keys (one message, many key groups)', () => {
  const key = randomBaseKey();
  const wrapped = sealMessageKey(ab.send, ctx, key);

  it('open for the recipient only, with the exact context', () => {
    expect(hex(openMessageKey(ba.recv, ctx, wrapped))).toBe(hex(key));
    expect(hex(openMessageKey(atOffset(ba.recv), ctx, atOffset(wrapped)))).toBe(hex(key));
    for (const bad of [
      { ...ctx, epoch: 4 },
      { ...ctx, to: carol.id },
      { ...ctx, from: bob.id, to: alice.id },
    ])
      expect(() => openMessageKey(ba.recv, bad, wrapped)).toThrow(KeyBlobError);
    for (let i = 0; i < wrapped.length; i++) expect(() => openMessageKey(ba.recv, ctx, flip(wrapped, i))).toThrow(KeyBlobError);
    const cb = derivePairwiseKeys({ meetingId, self: carol, peer: { id: alice.id, publicKey: alice.keyPair.publicKey } });
    expect(() => openMessageKey(cb.recv, ctx, wrapped)).toThrow(KeyBlobError);
  });

  it('never pass for a media key blob, nor the reverse (own label)', () => {
    expect(() => openBaseKey(ba.recv, ctx, wrapped)).toThrow(KeyBlobError);
    expect(() => openMessageKey(ba.recv, ctx, sealBaseKey(ab.send, ctx, key))).toThrow(KeyBlobError);
  });
});
