import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeHeader, encodeHeader, SFrameError, sframeDecrypt, sframeEncrypt, sframeEncryptAsync } from '../src/sframe.ts';
import { hex } from '../src/bytes.ts';
import { atOffset } from './_helpers.ts';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
// Small values too: they exercise the in-config-byte forms, which uniform u64 almost never hits.
const field = fc.oneof(fc.bigInt({ min: 0n, max: 300n }), u64);
const suite = fc.constantFrom(1, 2, 3, 4, 5);
const key = fc.uint8Array({ minLength: 16, maxLength: 64 });

describe('SFrame properties', () => {
  it('round trip for any suite, key, KID, CTR, metadata, plaintext', () => {
    fc.assert(
      fc.property(suite, key, field, field, fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 300 }), (s, k, kid, ctr, md, pt) => {
        const ct = sframeEncrypt(s, k, kid, ctr, md, pt);
        const d = sframeDecrypt(s, atOffset(k), atOffset(md), atOffset(ct));
        expect(d.kid).toBe(kid);
        expect(d.ctr).toBe(ctr);
        expect(hex(d.plaintext)).toBe(hex(pt));
      }),
      { numRuns: 200 },
    );
  });

  it('WebCrypto and noble agree byte for byte (GCM suites)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(4, 5),
        key,
        field,
        field,
        fc.uint8Array({ maxLength: 32 }),
        fc.uint8Array({ maxLength: 2000 }),
        async (s, k, kid, ctr, md, pt) => {
          expect(hex(await sframeEncryptAsync(s, k, kid, ctr, md, pt))).toBe(hex(sframeEncrypt(s, k, kid, ctr, md, pt)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('header codec round trip with minimal encoding', () => {
    fc.assert(
      fc.property(field, field, (kid, ctr) => {
        const h = encodeHeader(kid, ctr);
        expect(decodeHeader(h)).toEqual({ kid, ctr, length: h.length });
        const minLen = (v: bigint) => (v < 8n ? 0 : Math.ceil(v.toString(16).length / 2));
        expect(h.length).toBe(1 + minLen(kid) + minLen(ctr));
        // The first byte after the config byte of a multi-byte field is never 0 (no padding).
        if (kid >= 8n) expect(h[1]).not.toBe(0);
        if (ctr >= 8n) expect(h[1 + minLen(kid)]).not.toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('decoding random bytes returns a header that re-encodes to the same prefix, or throws SFrameError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
        try {
          const d = decodeHeader(bytes);
          expect(hex(encodeHeader(d.kid, d.ctr))).toBe(hex(bytes.subarray(0, d.length)));
        } catch (e) {
          expect(e).toBeInstanceOf(SFrameError);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('decrypting random bytes only ever throws SFrameError', () => {
    fc.assert(
      fc.property(suite, key, fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 64 }), (s, k, md, bytes) => {
        expect(() => sframeDecrypt(s, k, md, bytes)).toThrow(SFrameError);
      }),
      { numRuns: 500 },
    );
  });
});
