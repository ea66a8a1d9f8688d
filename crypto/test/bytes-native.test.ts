/**
 * base64url through the platform's own Uint8Array base64 (Chromium, workerd). Node 22 has none,
 * so this file provides one that follows the TC39 proposal's rules for what `bytes.ts` asks of
 * it (base64url alphabet, 'strict' last chunk: padding required, trailing bits zero), then checks
 * that every result and every refusal is the same as through the JS fallback. `@scure/base`
 * looks for the built-in once, when it loads, so the stand-in is installed before any import
 * (each test file runs in its own worker, so no other file sees it).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { fromB64url, hex, toB64url } from '../src/bytes.ts';

const native = vi.hoisted(() => {
  const proto = Uint8Array.prototype as unknown as Record<string, unknown>;
  const ctor = Uint8Array as unknown as Record<string, unknown>;
  // When Node gains it, test the real one instead.
  if (proto.toBase64 !== undefined) throw new Error('Uint8Array.prototype.toBase64 already exists');
  const state = { calls: 0, proto, ctor };
  proto.toBase64 = function (this: Uint8Array, o: { alphabet: string; omitPadding?: boolean }) {
    state.calls++;
    const b = Buffer.from(this.buffer, this.byteOffset, this.byteLength).toString(o.alphabet === 'base64url' ? 'base64url' : 'base64');
    return o.omitPadding ? b : b.padEnd(Math.ceil(b.length / 4) * 4, '=');
  };
  ctor.fromBase64 = (s: string, o: { alphabet: string; lastChunkHandling: string }) => {
    state.calls++;
    if (o.alphabet !== 'base64url' || o.lastChunkHandling !== 'strict') throw new Error('unexpected options');
    if (s.length % 4 !== 0 || !/^[A-Za-z0-9_-]*={0,2}$/.test(s)) throw new SyntaxError('strict: bad length, padding or character');
    const out = Buffer.from(s, 'base64url');
    // 'strict' refuses non-zero trailing bits: the canonical encoding must give back the input.
    if (out.toString('base64url').padEnd(s.length, '=') !== s) throw new SyntaxError('strict: trailing bits');
    return new Uint8Array(out);
  };
  return state;
});
afterAll(() => {
  delete native.proto.toBase64;
  delete native.ctor.fromBase64;
});

describe('base64url over a native Uint8Array base64', () => {
  it('round-trips any bytes and matches the JS encoding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const s = toB64url(b);
        expect(s).toBe(Buffer.from(b).toString('base64url'));
        expect(hex(fromB64url(s))).toBe(hex(b));
      }),
    );
    expect(native.calls).toBeGreaterThan(0);
  });

  it('refuses exactly what the JS path refuses', () => {
    for (const bad of ['A', 'AB', 'AA==', 'a+b/', 'ab c', 'é', 'AAA=', ' AAA', 'AAB']) expect(() => fromB64url(bad), bad).toThrow(TypeError);
    expect(hex(fromB64url('AA'))).toBe('00');
    expect(hex(fromB64url(''))).toBe('');
  });
});
