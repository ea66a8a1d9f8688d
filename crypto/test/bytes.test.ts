import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Buffer } from 'node:buffer';
import { concatBytes, equalBytes, equalText, fromB64url, fromBase64, fromHex, hex, lp, toB64url, toBase64 } from '../src/bytes.ts';
import { atOffset } from './_helpers.ts';

describe('base64url', () => {
  it('matches Node’s encoder and round trips (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const s = toB64url(atOffset(b));
        expect(s).toBe(Buffer.from(b).toString('base64url'));
        expect(hex(fromB64url(s))).toBe(hex(b));
      }),
      { numRuns: 300 },
    );
  });

  it('is strict: one accepted encoding per byte string', () => {
    expect(() => fromB64url('A')).toThrow(TypeError); // 4k+1 length
    expect(() => fromB64url('AB')).toThrow(TypeError); // trailing bits set
    expect(hex(fromB64url('AA'))).toBe('00');
    expect(() => fromB64url('AA==')).toThrow(TypeError);
    expect(() => fromB64url('a+b/')).toThrow(TypeError);
    expect(() => fromB64url('ab c')).toThrow(TypeError);
    expect(() => fromB64url('é')).toThrow(TypeError);
  });
});

describe('hex, concat, equal, lp', () => {
  it('work', () => {
    expect(hex(fromHex('00ff10AB'))).toBe('00ff10ab');
    expect(() => fromHex('0')).toThrow(TypeError);
    expect(() => fromHex('zz')).toThrow(TypeError);
    expect(hex(concatBytes(fromHex('01'), atOffset(fromHex('0203')), new Uint8Array(0)))).toBe('010203');
    expect(equalBytes(fromHex('0102'), atOffset(fromHex('0102')))).toBe(true);
    expect(equalBytes(fromHex('0102'), fromHex('0103'))).toBe(false);
    expect(equalBytes(fromHex('0102'), fromHex('01'))).toBe(false);
    expect(hex(lp('ab', 'c'))).not.toBe(hex(lp('a', 'bc')));
    expect(hex(lp('a'))).toBe('0000000161');
  });
});

describe('base64, equalText', () => {
  it('matches Node’s padded base64 and round trips (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const s = toBase64(atOffset(b));
        expect(s).toBe(Buffer.from(b).toString('base64'));
        expect(hex(fromBase64(s))).toBe(hex(b));
      }),
      { numRuns: 300 },
    );
  });

  it('base64 is strict', () => {
    for (const bad of ['A', 'AA', 'AB==', 'AA=', 'A-_=', 'AA== ', 'AAAA\n']) expect(() => fromBase64(bad), bad).toThrow(TypeError);
    expect(hex(fromBase64('AA=='))).toBe('00');
  });

  it('equalText compares whole strings', () => {
    expect(equalText('abc', 'abc')).toBe(true);
    expect(equalText('abc', 'abd')).toBe(false);
    expect(equalText('abc', 'ab')).toBe(false);
    expect(equalText('', '')).toBe(true);
  });
});
