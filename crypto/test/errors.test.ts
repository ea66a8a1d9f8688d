// Every exported function, fed wrong types, empty, short and over-long arguments, must throw a
// TypeError (wrong type) or RangeError (wrong size or range) whose message names the argument.
import { describe, expect, it } from 'vitest';
import * as bytes from '../src/bytes.ts';
import * as ft from '../src/frame-transform.ts';
import * as kg from '../src/key-group.ts';
import * as ks from '../src/key-schedule.ts';
import * as sc from '../src/security-code.ts';
import * as seal from '../src/seal.ts';
import * as sf from '../src/sframe.ts';

const B = (n: number) => new Uint8Array(n);
const key32 = B(32).fill(1);
const kp = ks.generateKeyPair();
const peerPk = ks.generateKeyPair().publicKey;
const sk = sf.deriveSFrameKey(5, key32, 1n);
const sealKey: seal.SealKey = { meetingId: '123456789', senderId: 'alice-0001', epoch: 0, baseKey: key32 };
const ctx = { meetingId: '123456789', from: 'alice-0001', to: 'bob-00002', epoch: 0 };
const notBytes = ['str', [1, 2], null, undefined, 5, new Uint16Array(4), new ArrayBuffer(4)];
const notBigint = [1, '1', null, 1.5];

type Case = [name: string, fn: () => unknown, err: typeof TypeError | typeof RangeError, arg: RegExp];
const cases: Case[] = [];
const add = (name: string, fn: () => unknown, err: typeof TypeError | typeof RangeError, arg: RegExp) => cases.push([name, fn, err, arg]);

// sframe.ts
for (const v of notBigint) {
  add(`encodeHeader kid=${String(v)}`, () => sf.encodeHeader(v as never, 0n), TypeError, /kid/);
  add(`encodeHeader ctr=${String(v)}`, () => sf.encodeHeader(0n, v as never), TypeError, /ctr/);
}
add('encodeHeader kid<0', () => sf.encodeHeader(-1n, 0n), RangeError, /kid/);
add('encodeHeader ctr>=2^64', () => sf.encodeHeader(0n, 1n << 64n), RangeError, /ctr/);
for (const v of notBytes) add(`decodeHeader ${String(v)}`, () => sf.decodeHeader(v as never), TypeError, /bytes/);
add('decodeHeader empty', () => sf.decodeHeader(B(0)), RangeError, /bytes/);
add('decodeHeader short', () => sf.decodeHeader(new Uint8Array([0x90, 1])), RangeError, /bytes/);
for (const s of [0, 6, 0xf000, -1, 1.5]) add(`deriveKeySalt suite=${s}`, () => sf.deriveKeySalt(s, key32, 0n), s === 1.5 ? TypeError : RangeError, /suite/);
add('deriveKeySalt suite string', () => sf.deriveKeySalt('5' as never, key32, 0n), TypeError, /suite/);
for (const v of notBytes) add(`deriveKeySalt baseKey=${String(v)}`, () => sf.deriveKeySalt(5, v as never, 0n), TypeError, /baseKey/);
add('deriveKeySalt baseKey empty', () => sf.deriveKeySalt(5, B(0), 0n), RangeError, /baseKey/);
add('deriveKeySalt baseKey short', () => sf.deriveKeySalt(5, B(15), 0n), RangeError, /baseKey/);
add('deriveKeySalt baseKey long', () => sf.deriveKeySalt(5, B(65), 0n), RangeError, /baseKey/);
add('deriveKeySalt kid', () => sf.deriveKeySalt(5, key32, 1 as never), TypeError, /kid/);
const enc = (o: Partial<Record<'suite' | 'baseKey' | 'kid' | 'ctr' | 'metadata' | 'plaintext', unknown>>) => () =>
  sf.sframeEncrypt(
    (o.suite ?? 5) as number,
    (o.baseKey ?? key32) as Uint8Array,
    (o.kid ?? 0n) as bigint,
    (o.ctr ?? 0n) as bigint,
    (o.metadata ?? B(0)) as Uint8Array,
    (o.plaintext ?? B(1)) as Uint8Array,
  );
add('sframeEncrypt suite', enc({ suite: 9 }), RangeError, /suite/);
add('sframeEncrypt baseKey', enc({ baseKey: 'k' }), TypeError, /baseKey/);
add('sframeEncrypt baseKey short', enc({ baseKey: B(8) }), RangeError, /baseKey/);
add('sframeEncrypt kid', enc({ kid: 1 }), TypeError, /kid/);
add('sframeEncrypt ctr', enc({ ctr: -1n }), RangeError, /ctr/);
add('sframeEncrypt metadata type', enc({ metadata: [1] }), TypeError, /metadata/);
add('sframeEncrypt metadata long', enc({ metadata: B(sf.MAX_METADATA + 1) }), RangeError, /metadata/);
add('sframeEncrypt plaintext type', enc({ plaintext: 'x' }), TypeError, /plaintext/);
add('sframeEncrypt plaintext long', enc({ plaintext: B(sf.MAX_PLAINTEXT + 1) }), RangeError, /plaintext/);
const ct = sf.sframeEncrypt(5, key32, 0n, 0n, B(0), B(4));
add('sframeDecrypt suite', () => sf.sframeDecrypt(0, key32, B(0), ct), RangeError, /suite/);
add('sframeDecrypt baseKey', () => sf.sframeDecrypt(5, null as never, B(0), ct), TypeError, /baseKey/);
add('sframeDecrypt metadata', () => sf.sframeDecrypt(5, key32, 'm' as never, ct), TypeError, /metadata/);
add('sframeDecrypt ciphertext type', () => sf.sframeDecrypt(5, key32, B(0), [1] as never), TypeError, /sframeCiphertext/);
add('sframeDecrypt ciphertext empty', () => sf.sframeDecrypt(5, key32, B(0), B(0)), RangeError, /bytes|sframeCiphertext/);
add('sframeDecrypt ciphertext short', () => sf.sframeDecrypt(5, key32, B(0), ct.subarray(0, 5)), RangeError, /sframeCiphertext/);
add('sframeDecrypt ciphertext long', () => sf.sframeDecrypt(5, key32, B(0), B(sf.MAX_PLAINTEXT + 100)), RangeError, /sframeCiphertext/);
add('getSuite', () => sf.getSuite(7), RangeError, /suite/);
add('aesCtrHmacEncrypt GCM suite', () => sf.aesCtrHmacEncrypt(5, B(48), B(12), B(0), B(0)), RangeError, /suite/);
add('aesCtrHmacEncrypt key', () => sf.aesCtrHmacEncrypt(1, B(32), B(12), B(0), B(0)), RangeError, /key/);
add('aesCtrHmacEncrypt nonce', () => sf.aesCtrHmacEncrypt(1, B(48), B(16), B(0), B(0)), RangeError, /nonce/);
add('aesCtrHmacEncrypt aad', () => sf.aesCtrHmacEncrypt(1, B(48), B(12), 1 as never, B(0)), TypeError, /aad/);
add('aesCtrHmacEncrypt plaintext', () => sf.aesCtrHmacEncrypt(1, B(48), B(12), B(0), null as never), TypeError, /plaintext/);
add('aesCtrHmacDecrypt short', () => sf.aesCtrHmacDecrypt(1, B(48), B(12), B(0), B(3)), RangeError, /ciphertext/);
add('aesCtrHmacDecrypt ciphertext', () => sf.aesCtrHmacDecrypt(1, B(48), B(12), B(0), 'c' as never), TypeError, /ciphertext/);
add('deriveSFrameKey', () => sf.deriveSFrameKey(5, B(3), 0n), RangeError, /baseKey/);
add('sealWithKey key', () => sf.sealWithKey({} as never, 0n, B(0), B(0)), TypeError, /key/);
add('sealWithKey prefix', () => sf.sealWithKey(sk, 0n, B(0), B(0), 'p' as never), TypeError, /prefix/);
add('openWithKey sframeCiphertext', () => sf.openWithKey(sk, { kid: 1n, ctr: 0n, length: 1 }, B(0), 5 as never), TypeError, /sframeCiphertext/);

// bytes.ts
for (const v of notBytes) add(`toB64url ${String(v)}`, () => bytes.toB64url(v as never), TypeError, /bytes/);
for (const v of [null, 5, ['a'], 'A', 'a b', 'AB']) add(`fromB64url ${String(v)}`, () => bytes.fromB64url(v as never), TypeError, /^s:|s:/);
add('hex', () => bytes.hex('00' as never), TypeError, /bytes/);
add('fromHex odd', () => bytes.fromHex('abc'), TypeError, /s:/);
add('fromHex type', () => bytes.fromHex(1 as never), TypeError, /s:/);
add('concatBytes', () => bytes.concatBytes(B(1), 'x' as never), TypeError, /arrays\[1\]/);
add('equalBytes', () => bytes.equalBytes(B(1), null as never), TypeError, /b:/);
add('utf8', () => bytes.utf8(1 as never), TypeError, /s:/);
add('fromUtf8', () => bytes.fromUtf8('x' as never), TypeError, /bytes/);
add('u32be', () => bytes.u32be(2 ** 32), RangeError, /n:/);
add('lp', () => bytes.lp(5 as never), TypeError, /part/);

// frame-transform.ts
add('clearPrefixLength codec', () => ft.clearPrefixLength('h264' as never, B(1)), RangeError, /codec/);
add('clearPrefixLength codec type', () => ft.clearPrefixLength(1 as never, B(1)), TypeError, /codec/);
add('clearPrefixLength frame', () => ft.clearPrefixLength('vp8', 'f' as never), TypeError, /frame/);
add('kidFor senderIndex', () => ft.kidFor(65536, 0), RangeError, /senderIndex/);
add('kidFor senderIndex type', () => ft.kidFor('1' as never, 0), TypeError, /senderIndex/);
add('kidFor epoch', () => ft.kidFor(0, -1), RangeError, /epoch/);
add('kidFor epoch long', () => ft.kidFor(0, 2 ** 32), RangeError, /epoch/);
add('parseKid', () => ft.parseKid(1n << 48n), RangeError, /kid/);
add('parseKid type', () => ft.parseKid(1 as never), TypeError, /kid/);
add('FrameSealer senderIndex', () => new ft.FrameSealer(-1), RangeError, /senderIndex/);
add('FrameSealer.setKey epoch', () => new ft.FrameSealer(1).setKey(1.5, key32), TypeError, /epoch/);
add('FrameSealer.setKey key', () => new ft.FrameSealer(1).setKey(0, B(4)), RangeError, /baseKey/);
add(
  'FrameSealer.seal frame',
  () => {
    const s = new ft.FrameSealer(1);
    s.setKey(0, key32);
    return s.seal('vp8', 'frame' as never);
  },
  TypeError,
  /frame/,
);
add('FrameSealer.seal codec', () => new ft.FrameSealer(1).seal('av1' as never, B(10)), RangeError, /codec/);
add('FrameOpener.setKey', () => new ft.FrameOpener().setKey(70000, 0, key32), RangeError, /senderIndex/);
add('FrameOpener.open data', () => new ft.FrameOpener().open('vp8', null as never), TypeError, /data/);
add('FrameOpener.open codec', () => new ft.FrameOpener().open('x' as never, B(30)), RangeError, /codec/);
add('FrameOpener.removeSender', () => new ft.FrameOpener().removeSender(-1), RangeError, /senderIndex/);
add('ReplayWindow size', () => new ft.ReplayWindow(33), RangeError, /size/);

// key-schedule.ts
add('ratchetBaseKey short', () => ks.ratchetBaseKey(B(16)), RangeError, /baseKey/);
add('ratchetBaseKey type', () => ks.ratchetBaseKey('k' as never), TypeError, /baseKey/);
const pw = (o: Record<string, unknown>) => () =>
  ks.derivePairwiseKeys({ meetingId: '123456789', self: { id: 'alice-0001', keyPair: kp }, peer: { id: 'bob-00002', publicKey: peerPk }, ...o } as never);
add('derivePairwiseKeys args', () => ks.derivePairwiseKeys(null as never), TypeError, /args/);
add('derivePairwiseKeys meetingId', pw({ meetingId: '' }), RangeError, /meetingId/);
add('derivePairwiseKeys meetingId type', pw({ meetingId: 5 }), TypeError, /meetingId/);
add('derivePairwiseKeys self.id', pw({ self: { id: 'short', keyPair: kp } }), RangeError, /self\.id/);
add('derivePairwiseKeys self.keyPair', pw({ self: { id: 'alice-0001', keyPair: { secretKey: B(31), publicKey: B(32) } } }), RangeError, /secretKey/);
add('derivePairwiseKeys peer.publicKey', pw({ peer: { id: 'bob-00002', publicKey: B(33) } }), RangeError, /peer\.publicKey/);
add('derivePairwiseKeys peer.id', pw({ peer: { id: 'x'.repeat(41), publicKey: peerPk } }), RangeError, /peer\.id/);
add('derivePairwiseKeys same id', pw({ peer: { id: 'alice-0001', publicKey: peerPk } }), RangeError, /peer\.id/);
add('sealBaseKey sendKey', () => ks.sealBaseKey(B(16), ctx, key32), RangeError, /sendKey/);
add('sealBaseKey ctx', () => ks.sealBaseKey(key32, null as never, key32), TypeError, /ctx/);
add('sealBaseKey ctx.epoch', () => ks.sealBaseKey(key32, { ...ctx, epoch: -1 }, key32), RangeError, /ctx\.epoch/);
add('sealBaseKey ctx.to', () => ks.sealBaseKey(key32, { ...ctx, to: 'bad id!' }, key32), RangeError, /ctx\.to/);
add('sealBaseKey baseKey', () => ks.sealBaseKey(key32, ctx, B(33)), RangeError, /baseKey/);
add('openBaseKey recvKey', () => ks.openBaseKey('k' as never, ctx, B(61)), TypeError, /recvKey/);
add('openBaseKey blob', () => ks.openBaseKey(key32, ctx, 'b' as never), TypeError, /blob/);
add('sealMessageKey sendKey', () => ks.sealMessageKey(B(16), ctx, key32), RangeError, /sendKey/);
add('sealMessageKey ctx.from', () => ks.sealMessageKey(key32, { ...ctx, from: '' }, key32), RangeError, /ctx\.from/);
add('sealMessageKey messageKey', () => ks.sealMessageKey(key32, ctx, B(31)), RangeError, /messageKey/);
add('openMessageKey recvKey', () => ks.openMessageKey('k' as never, ctx, B(61)), TypeError, /recvKey/);
add('openMessageKey blob', () => ks.openMessageKey(key32, ctx, 'b' as never), TypeError, /blob/);

// key-group.ts
const g = () => new kg.KeyGroup({ meetingId: '123456789', self: { id: 'alice-0001', index: 1 }, keyPair: kp });
add('KeyGroup opts', () => new kg.KeyGroup(undefined as never), TypeError, /opts/);
add(
  'KeyGroup self.index',
  () => new kg.KeyGroup({ meetingId: '123456789', self: { id: 'alice-0001', index: 1 << 16 }, keyPair: kp }),
  RangeError,
  /self\.index/,
);
add(
  'KeyGroup keyPair',
  () => new kg.KeyGroup({ meetingId: '123456789', self: { id: 'alice-0001', index: 1 }, keyPair: { secretKey: key32, publicKey: B(0) } }),
  RangeError,
  /keyPair\.publicKey/,
);
add(
  'KeyGroup sendKeyDelayMs',
  () => new kg.KeyGroup({ meetingId: '123456789', self: { id: 'alice-0001', index: 1 }, keyPair: kp, sendKeyDelayMs: -1 }),
  RangeError,
  /sendKeyDelayMs/,
);
add('KeyGroup.welcome members', () => g().welcome('x' as never), TypeError, /members/);
add('KeyGroup.welcome member key', () => g().welcome([{ id: 'bob-00002', index: 2, publicKey: B(31) }]), RangeError, /members\[0\]\.publicKey/);
add('KeyGroup.welcome member id', () => g().welcome([{ id: 7 as never, index: 2, publicKey: peerPk }]), TypeError, /members\[0\]\.id/);
const started = () => {
  const x = g();
  x.welcome([{ id: 'bob-00002', index: 2, publicKey: peerPk }]);
  return x;
};
add('KeyGroup.memberJoined now', () => started().memberJoined({ id: 'carol-003', index: 3, publicKey: peerPk }, 'now' as never), TypeError, /now/);
add('KeyGroup.memberJoined member', () => started().memberJoined({ id: 'carol-003', index: -3, publicKey: peerPk }, 0), RangeError, /member\.index/);
add('KeyGroup.memberLeft id', () => started().memberLeft('', 0), RangeError, /id/);
add('KeyGroup.receiveBlob epoch', () => started().receiveBlob('bob-00002', -1, 'AAAA'), RangeError, /epoch/);
add('KeyGroup.receiveBlob blob long', () => started().receiveBlob('bob-00002', 0, 'A'.repeat(257)), RangeError, /blob/);
add('KeyGroup.receiveBlob blob type', () => started().receiveBlob('bob-00002', 0, B(61) as never), TypeError, /blob/);
add('KeyGroup.poll', () => started().poll(undefined as never), TypeError, /now/);

// security-code.ts
add('securityCode type', () => sc.securityCode('r' as never), TypeError, /roster/);
add('securityCode empty', () => sc.securityCode([]), RangeError, /roster/);
add('securityCode entry', () => sc.securityCode([null as never]), TypeError, /roster\[0\]/);
add('securityCode key', () => sc.securityCode([{ id: 'alice-0001', publicKey: B(31) }]), RangeError, /roster\[0\]\.publicKey/);
add('securityCode id', () => sc.securityCode([{ id: 'a', publicKey: key32 }]), RangeError, /roster\[0\]\.id/);

// seal.ts
add('sealChat key', () => seal.sealChat(null as never, 'x'), TypeError, /key/);
add('sealChat key.baseKey', () => seal.sealChat({ ...sealKey, baseKey: B(16) }, 'x'), RangeError, /key\.baseKey/);
add('sealChat key.senderId', () => seal.sealChat({ ...sealKey, senderId: 'no' }, 'x'), RangeError, /key\.senderId/);
add('sealChat key.epoch', () => seal.sealChat({ ...sealKey, epoch: 2 ** 32 }, 'x'), RangeError, /key\.epoch/);
add('sealChat text', () => seal.sealChat(sealKey, B(1) as never), TypeError, /text/);
add('sealChat text long', () => seal.sealChat(sealKey, 'x'.repeat(seal.MAX_CHAT_BYTES + 1)), RangeError, /text/);
add('openChat sealed', () => seal.openChat(sealKey, 'x' as never), TypeError, /sealed/);
add('openChat sealed empty', () => seal.openChat(sealKey, B(0)), RangeError, /sealed/);
add('openChat sealed long', () => seal.openChat(sealKey, B(seal.MAX_CHAT_BYTES + 100)), RangeError, /sealed/);
add('sealedEpoch', () => seal.sealedEpoch(null as never), TypeError, /sealed/);
add('ChunkSealer kind', () => new seal.ChunkSealer('chat' as never, sealKey), RangeError, /kind/);
add('ChunkSealer streamId', () => new seal.ChunkSealer('file', sealKey, B(8)), RangeError, /streamId/);
add('ChunkSealer.seal chunk', () => new seal.ChunkSealer('file', sealKey).seal(B(seal.MAX_CHUNK_SIZE + 1), true), RangeError, /chunk/);
add('ChunkSealer.seal last', () => new seal.ChunkSealer('file', sealKey).seal(B(1), 1 as never), TypeError, /last/);
add('ChunkOpener header', () => new seal.ChunkOpener('file', sealKey, 'h' as never), TypeError, /header/);
add('sealFile data', () => seal.sealFile(sealKey, [1] as never), TypeError, /data/);
add('sealFile chunkSize', () => seal.sealFile(sealKey, B(1), 0), RangeError, /chunkSize/);
add('openFile parts', () => seal.openFile(sealKey, 'p' as never), TypeError, /parts/);

describe('errors: every export refuses bad arguments, naming them', () => {
  it.each(cases)('%s', (_name, fn, err, arg) => {
    let thrown: unknown;
    try {
      fn();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(err);
    expect((thrown as Error).message).toMatch(arg);
  });

  it('async variants reject the same way', async () => {
    await expect(sf.sframeEncryptAsync(5, B(3), 0n, 0n, B(0), B(0))).rejects.toThrow(/baseKey/);
    await expect(sf.sframeDecryptAsync(5, key32, B(0), 'x' as never)).rejects.toThrow(TypeError);
    await expect(sf.sealWithKeyAsync(sk, -1n, B(0), B(0))).rejects.toThrow(RangeError);
    await expect(sf.openWithKeyAsync(sk, { kid: 1n, ctr: 0n, length: 1 }, null as never, B(20))).rejects.toThrow(/metadata/);
    await expect(new ft.FrameSealer(1).sealAsync('vp8', B(20))).rejects.toThrow(ft.FrameSealError);
    await expect(new ft.FrameOpener().openAsync('vp8', 3 as never)).rejects.toThrow(/data/);
    const chunks = new seal.ChunkSealer('file', sealKey);
    await expect(chunks.sealAsync(B(seal.MAX_CHUNK_SIZE + 1), true)).rejects.toThrow(/chunk/);
    await expect(chunks.sealAsync(B(1), 1 as never)).rejects.toThrow(TypeError);
    await expect(new seal.ChunkOpener('file', sealKey, chunks.header).openAsync('x' as never)).rejects.toThrow(/sealed/);
    await expect(new seal.ChunkOpener('file', sealKey, chunks.header).openAsync(B(seal.MAX_CHUNK_SIZE + 18))).rejects.toThrow(RangeError);
    await expect(seal.sealFileAsync(sealKey, [1] as never)).rejects.toThrow(/data/);
    await expect(seal.sealFileAsync(sealKey, B(1), 0)).rejects.toThrow(/chunkSize/);
    await expect(seal.sealFileAsync({ ...sealKey, baseKey: B(16) }, B(1))).rejects.toThrow(/key\.baseKey/);
    await expect(seal.openFileAsync(sealKey, 'p' as never)).rejects.toThrow(/parts/);
  });
});
