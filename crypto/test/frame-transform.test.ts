import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hex } from '../src/bytes.ts';
import {
  clearPrefixLength,
  EPOCH_GRACE_MS,
  FrameOpener,
  FrameSealer,
  FrameSealError,
  kidFor,
  parseKid,
  ReplayWindow,
  UNENCRYPTED_BYTES,
  WEBCRYPTO_MIN_BYTES,
} from '../src/frame-transform.ts';
import { ratchetBaseKey } from '../src/key-schedule.ts';
import { decodeHeader, sframeDecrypt } from '../src/sframe.ts';
import { atOffset, flip } from './_helpers.ts';

const key0 = new Uint8Array(32).fill(1);
const key1 = new Uint8Array(32).fill(2);
/** A VP8 key frame starts with a byte whose bit 0 (P) is 0; a delta frame with P = 1. */
const vp8Key = (n: number) => new Uint8Array(n).map((_, i) => (i === 0 ? 0x10 : i & 0xff));
const vp8Delta = (n: number) => new Uint8Array(n).map((_, i) => (i === 0 ? 0x31 : (i * 3) & 0xff));
const opus = (n: number) => new Uint8Array(n).map((_, i) => (i === 0 ? 0x78 : (i * 5) & 0xff));

describe('KID layout', () => {
  it('kidFor / parseKid round trip over the whole range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff_ffff }), (i, e) => {
        expect(parseKid(kidFor(i, e))).toEqual({ senderIndex: i, epoch: e });
      }),
    );
    expect(kidFor(3, 1)).toBe(0x10003n);
  });
});

describe('clear prefix', () => {
  it('VP8 key 10, delta 3, Opus 1, VP9 0', () => {
    expect(clearPrefixLength('vp8', vp8Key(50))).toBe(UNENCRYPTED_BYTES.vp8Key);
    expect(clearPrefixLength('vp8', vp8Delta(50))).toBe(UNENCRYPTED_BYTES.vp8Delta);
    expect(clearPrefixLength('opus', opus(50))).toBe(1);
    expect(clearPrefixLength('vp9', vp8Key(50))).toBe(0);
  });

  it.each([
    ['vp8', vp8Key(300), 10],
    ['vp8', vp8Delta(300), 3],
    ['opus', opus(120), 1],
    ['vp9', vp8Key(300), 0],
  ] as const)('%s: the prefix stays in clear, the rest is sealed, the prefix is authenticated', (codec, frame, n) => {
    const sealer = new FrameSealer(7);
    sealer.setKey(2, key0);
    const wire = sealer.seal(codec, atOffset(frame));
    expect(hex(wire.subarray(0, n))).toBe(hex(frame.subarray(0, n)));
    // The rest is an RFC 9605 SFrame ciphertext with the prefix as metadata.
    const sf = wire.subarray(n);
    const h = decodeHeader(sf);
    expect(parseKid(h.kid)).toEqual({ senderIndex: 7, epoch: 2 });
    expect(sf.length).toBe(h.length + frame.length - n + 16);
    expect(hex(sframeDecrypt(5, key0, frame.subarray(0, n), sf).plaintext)).toBe(hex(frame.subarray(n)));
    // Changing any prefix byte (other than VP8's P bit, which changes the prefix length) fails.
    const opener = new FrameOpener();
    opener.setKey(7, 2, key0);
    for (let i = 0; i < n; i++) expect(opener.open(codec, flip(wire, i, 0x80))).toBeNull();
    expect(hex(opener.open(codec, wire)!)).toBe(hex(frame));
  });

  it('refuses frames shorter than their prefix (they would be misparsed)', () => {
    const sealer = new FrameSealer(1);
    sealer.setKey(0, key0);
    expect(() => sealer.seal('vp8', vp8Key(9))).toThrow(FrameSealError);
    expect(() => sealer.seal('opus', new Uint8Array(0))).toThrow(FrameSealError);
    expect(sealer.seal('vp8', vp8Key(10)).length).toBeGreaterThan(10);
    expect(sealer.seal('vp9', new Uint8Array(0)).length).toBeGreaterThan(0);
  });
});

describe('FrameSealer', () => {
  it('without a key throws no_key (the worker drops the frame)', () => {
    const s = new FrameSealer(1);
    expect(() => s.seal('opus', opus(20))).toThrow(expect.objectContaining({ code: 'no_key' }));
    expect(s.stats.sealed).toBe(0);
  });

  it('CTR increases across frames, codecs and key changes, never repeating', () => {
    const s = new FrameSealer(1);
    s.setKey(0, key0);
    const ctrs: bigint[] = [];
    for (let i = 0; i < 5; i++) ctrs.push(decodeHeader(s.seal('vp9', opus(40))).ctr);
    s.setKey(1, key1);
    for (let i = 0; i < 5; i++) ctrs.push(decodeHeader(s.seal('opus', opus(40)).subarray(1)).ctr);
    s.setKey(1, key1); // re-installing the same key must not restart the counter
    ctrs.push(decodeHeader(s.seal('vp9', opus(40))).ctr);
    expect(ctrs).toEqual(ctrs.map((_, i) => BigInt(i)));
    expect(s.stats.sealed).toBe(11);
  });

  it('sealAsync gives the same bytes as seal for small and large frames', async () => {
    for (const size of [20, WEBCRYPTO_MIN_BYTES - 1, WEBCRYPTO_MIN_BYTES + 20, 20_000]) {
      const a = new FrameSealer(9);
      const b = new FrameSealer(9);
      a.setKey(4, key0);
      b.setKey(4, key0);
      expect(hex(await a.sealAsync('vp8', vp8Delta(size)))).toBe(hex(b.seal('vp8', vp8Delta(size))));
    }
  });

  it('concurrent sealAsync calls never share a CTR', async () => {
    const s = new FrameSealer(2);
    s.setKey(0, key0);
    const out = await Promise.all(Array.from({ length: 20 }, (_, i) => s.sealAsync('vp9', new Uint8Array(i % 2 ? 2000 : 50))));
    expect(new Set(out.map((f) => decodeHeader(f).ctr)).size).toBe(20);
  });
});

describe('ReplayWindow', () => {
  it('accepts each CTR once, in any order within the window, nothing older', () => {
    const w = new ReplayWindow(64);
    expect(w.mark(10n)).toBe(true);
    expect(w.mark(10n)).toBe(false);
    expect(w.mark(5n)).toBe(true);
    expect(w.mark(5n)).toBe(false);
    expect(w.mark(100n)).toBe(true);
    expect(w.check(36n)).toBe(false); // 100 - 36 = 64: outside
    expect(w.mark(37n)).toBe(true);
    expect(w.mark(37n)).toBe(false);
    expect(w.mark(1000n)).toBe(true);
    expect(w.check(999n)).toBe(true);
  });

  it('matches a set-based model on random sequences', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 200 }), (seq) => {
        const w = new ReplayWindow(32);
        const seen = new Set<number>();
        let top = -1;
        for (const c of seq) {
          const expected = !seen.has(c) && (c > top || top - c < 32);
          expect(w.mark(BigInt(c))).toBe(expected);
          if (expected) {
            seen.add(c);
            top = Math.max(top, c);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('FrameOpener', () => {
  function pair(now = { t: 0 }) {
    const sealer = new FrameSealer(5);
    const opener = new FrameOpener({ now: () => now.t });
    return { sealer, opener, now };
  }

  it('opens, drops replays, drops unknown senders and garbage, counting each', () => {
    const { sealer, opener } = pair();
    sealer.setKey(0, key0);
    const f = sealer.seal('vp8', vp8Key(100));
    expect(opener.open('vp8', f)).toBeNull(); // no key yet
    opener.setKey(5, 0, key0);
    expect(hex(opener.open('vp8', atOffset(f))!)).toBe(hex(vp8Key(100)));
    expect(opener.open('vp8', f)).toBeNull(); // replay
    expect(opener.open('vp8', new Uint8Array(3))).toBeNull();
    expect(opener.open('opus', new Uint8Array(0))).toBeNull();
    expect(opener.open('vp9', new Uint8Array([0xff]))).toBeNull();
    expect(opener.stats).toEqual({ opened: 1, dropped: 5, noKey: 1, replayed: 1, invalid: 3 });
  });

  it('every flipped byte of a sealed frame is dropped', () => {
    const { sealer, opener } = pair();
    sealer.setKey(3, key0);
    opener.setKey(5, 3, key0);
    const f = sealer.seal('opus', opus(60));
    for (let i = 0; i < f.length; i++) expect(opener.open('opus', flip(f, i))).toBeNull();
    expect(opener.stats.opened).toBe(0);
    expect(opener.open('opus', f)).not.toBeNull();
  });

  it('keeps the previous epoch for a grace period after the sender switches', () => {
    const { sealer, opener, now } = pair();
    sealer.setKey(0, key0);
    opener.setKey(5, 0, key0);
    const late = sealer.seal('vp9', new Uint8Array(50)); // sealed before the switch, arrives late
    opener.setKey(5, 1, key1);
    sealer.setKey(1, key1);
    expect(opener.open('vp9', sealer.seal('vp9', new Uint8Array(50)))).not.toBeNull(); // switch seen at t=0
    now.t = EPOCH_GRACE_MS - 1;
    expect(opener.open('vp9', late)).not.toBeNull();
    const tooLate = new FrameSealer(5);
    tooLate.setKey(0, key0);
    for (let i = 0; i < 10; i++) tooLate.seal('vp9', new Uint8Array(1));
    now.t = EPOCH_GRACE_MS;
    expect(opener.open('vp9', tooLate.seal('vp9', new Uint8Array(50)))).toBeNull();
    expect(opener.epochsOf(5)).toEqual([1]);
  });

  it('ratchets a held key forward on demand (RFC 9605 §5.1), storing it only if the frame opens', () => {
    const { sealer, opener } = pair();
    opener.setKey(5, 0, key0);
    const k2 = ratchetBaseKey(ratchetBaseKey(key0));
    sealer.setKey(2, k2);
    expect(hex(opener.open('opus', sealer.seal('opus', opus(30)))!)).toBe(hex(opus(30)));
    expect(opener.epochsOf(5)).toEqual([0, 2]);
    // A fresh random key at a later epoch cannot be guessed by ratcheting: dropped, nothing stored.
    sealer.setKey(3, key1);
    expect(opener.open('opus', sealer.seal('opus', opus(30)))).toBeNull();
    expect(opener.epochsOf(5)).toEqual([0, 2]);
  });

  it('removeSender forgets every key of that sender', () => {
    const { sealer, opener } = pair();
    sealer.setKey(0, key0);
    opener.setKey(5, 0, key0);
    opener.removeSender(5);
    expect(opener.open('vp9', sealer.seal('vp9', new Uint8Array(10)))).toBeNull();
    expect(opener.stats.noKey).toBe(1);
  });

  it('openAsync matches open and opens a duplicate in flight only once', async () => {
    const { sealer, opener } = pair();
    sealer.setKey(0, key0);
    opener.setKey(5, 0, key0);
    const big = sealer.seal('vp8', vp8Key(5000));
    const [a, b] = await Promise.all([opener.openAsync('vp8', big), opener.openAsync('vp8', big)]);
    expect([a, b].filter((x) => x !== null)).toHaveLength(1);
    expect(hex((a ?? b)!)).toBe(hex(vp8Key(5000)));
    expect(opener.stats.replayed).toBe(1);
  });
});
