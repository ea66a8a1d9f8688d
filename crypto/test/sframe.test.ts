import { describe, expect, it } from 'vitest';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import headerVectors from './vectors/rfc9605-header.json' with { type: 'json' };
import aeadVectors from './vectors/rfc9605-aes-ctr-hmac.json' with { type: 'json' };
import sframeVectors from './vectors/rfc9605-sframe.json' with { type: 'json' };
import { fromHex, hex } from '../src/bytes.ts';
import {
  aesCtrHmacDecrypt,
  aesCtrHmacEncrypt,
  decodeHeader,
  deriveKeySalt,
  deriveSFrameKey,
  encodeHeader,
  getSuite,
  openWithKey,
  openWithKeyAsync,
  sealWithKey,
  sealWithKeyAsync,
  SFrameError,
  sframeDecrypt,
  sframeDecryptAsync,
  sframeEncrypt,
  sframeEncryptAsync,
} from '../src/sframe.ts';
import { atOffset, flip } from './_helpers.ts';

describe('RFC 9605 C.1 header vectors', () => {
  it('has all 289 vectors of the grid', () => expect(headerVectors.vectors).toHaveLength(289));

  it.each(headerVectors.vectors.map(([kid, ctr, header]) => ({ kid: kid!, ctr: ctr!, header: header! })))(
    'kid $kid ctr $ctr ↔ $header',
    ({ kid, ctr, header }) => {
      expect(hex(encodeHeader(BigInt(kid), BigInt(ctr)))).toBe(header);
      const bytes = fromHex(header);
      // Decoding reads only the header, whatever follows it, and works on an offset view.
      const d = decodeHeader(atOffset(new Uint8Array([...bytes, 0xde, 0xad])));
      expect(d).toEqual({ kid: BigInt(kid), ctr: BigInt(ctr), length: bytes.length });
      // Any shorter prefix of a multi-byte header is truncated, never a different header.
      for (let n = 1; n < bytes.length; n++) expect(() => decodeHeader(bytes.subarray(0, n))).toThrow(SFrameError);
    },
  );

  it('rejects non-minimal encodings (§4.3 MUST)', () => {
    expect(() => decodeHeader(fromHex('8005'))).toThrow(/non-minimal KID/); // KID 5 must sit in the config byte
    expect(() => decodeHeader(fromHex('900100'.replace('0100', '00ff')))).toThrow(/non-minimal KID/); // leading zero byte
    expect(() => decodeHeader(fromHex('0803'))).toThrow(/non-minimal CTR/);
    expect(() => decodeHeader(fromHex('0900ff'))).toThrow(/non-minimal CTR/);
    expect(() => decodeHeader(new Uint8Array(0))).toThrow(SFrameError);
  });
});

describe('RFC 9605 C.2 AES-CTR + HMAC vectors', () => {
  for (const v of aeadVectors.vectors) {
    describe(`suite ${v.cipher_suite}`, () => {
      const key = fromHex(v.key);
      const nonce = fromHex(v.nonce);
      const aad = fromHex(v.aad);
      const pt = fromHex(v.pt);
      const ct = fromHex(v.ct);

      it('subkeys split as enc_key ‖ auth_key', () => {
        const s = getSuite(v.cipher_suite);
        expect(hex(key.subarray(0, s.nka))).toBe(v.enc_key);
        expect(hex(key.subarray(s.nka))).toBe(v.auth_key);
      });

      it('encrypts and decrypts, on offset views too', () => {
        expect(hex(aesCtrHmacEncrypt(v.cipher_suite, key, nonce, aad, pt))).toBe(v.ct);
        expect(hex(aesCtrHmacEncrypt(v.cipher_suite, atOffset(key), atOffset(nonce), atOffset(aad), atOffset(pt)))).toBe(v.ct);
        expect(hex(aesCtrHmacDecrypt(v.cipher_suite, key, nonce, aad, ct))).toBe(v.pt);
        expect(hex(aesCtrHmacDecrypt(v.cipher_suite, atOffset(key), atOffset(nonce), atOffset(aad), atOffset(ct)))).toBe(v.pt);
      });

      it('fails on every flipped ciphertext, AAD and nonce byte', () => {
        for (let i = 0; i < ct.length; i++) expect(() => aesCtrHmacDecrypt(v.cipher_suite, key, nonce, aad, flip(ct, i))).toThrow(SFrameError);
        for (let i = 0; i < aad.length; i++) expect(() => aesCtrHmacDecrypt(v.cipher_suite, key, nonce, flip(aad, i), ct)).toThrow(SFrameError);
        for (let i = 0; i < nonce.length; i++) expect(() => aesCtrHmacDecrypt(v.cipher_suite, key, flip(nonce, i), aad, ct)).toThrow(SFrameError);
      });
    });
  }
});

describe('RFC 9605 C.3 SFrame vectors', () => {
  for (const v of sframeVectors.vectors) {
    describe(`suite ${v.cipher_suite}`, () => {
      const suite = v.cipher_suite;
      const s = getSuite(suite);
      const kid = BigInt(v.kid);
      const ctr = BigInt(v.ctr);
      const baseKey = fromHex(v.base_key);
      const metadata = fromHex(v.metadata);
      const pt = fromHex(v.pt);
      const ct = fromHex(v.ct);

      it('intermediates: labels, secret, key, salt, nonce, aad', () => {
        const suiteBytes = [suite >> 8, suite & 0xff];
        const kidBytes = fromHex(kid.toString(16).padStart(16, '0'));
        expect(hex(new Uint8Array([...new TextEncoder().encode('SFrame 1.0 Secret key '), ...kidBytes, ...suiteBytes]))).toBe(v.sframe_key_label);
        expect(hex(new Uint8Array([...new TextEncoder().encode('SFrame 1.0 Secret salt '), ...kidBytes, ...suiteBytes]))).toBe(v.sframe_salt_label);
        expect(hex(extract(s.hash === sha512 ? sha512 : sha256, baseKey, new Uint8Array(0)))).toBe(v.sframe_secret);
        const { key, salt } = deriveKeySalt(suite, baseKey, kid);
        expect(hex(key)).toBe(v.sframe_key);
        expect(hex(salt)).toBe(v.sframe_salt);
        expect(hex(expand(s.hash, fromHex(v.sframe_secret), fromHex(v.sframe_key_label), s.nk))).toBe(v.sframe_key);
        const nonce = salt.slice();
        for (let i = 0; i < 8; i++) nonce[4 + i]! ^= Number((ctr >> BigInt(8 * (7 - i))) & 0xffn);
        expect(hex(nonce)).toBe(v.nonce);
        expect(hex(encodeHeader(kid, ctr)) + v.metadata).toBe(v.aad);
      });

      it('encrypts to ct and decrypts to pt, on offset views too', () => {
        expect(hex(sframeEncrypt(suite, baseKey, kid, ctr, metadata, pt))).toBe(v.ct);
        expect(hex(sframeEncrypt(suite, atOffset(baseKey), kid, ctr, atOffset(metadata), atOffset(pt)))).toBe(v.ct);
        const d = sframeDecrypt(suite, baseKey, metadata, ct);
        expect(d.kid).toBe(kid);
        expect(d.ctr).toBe(ctr);
        expect(hex(d.plaintext)).toBe(v.pt);
        expect(hex(sframeDecrypt(suite, atOffset(baseKey), atOffset(metadata), atOffset(ct)).plaintext)).toBe(v.pt);
      });

      it('WebCrypto variants give the same bytes', async () => {
        expect(hex(await sframeEncryptAsync(suite, baseKey, kid, ctr, metadata, pt))).toBe(v.ct);
        expect(hex((await sframeDecryptAsync(suite, atOffset(baseKey), atOffset(metadata), atOffset(ct))).plaintext)).toBe(v.pt);
      });

      it('fails on every flipped byte of the SFrame ciphertext and of the metadata', async () => {
        for (let i = 0; i < ct.length; i++) {
          expect(() => sframeDecrypt(suite, baseKey, metadata, flip(ct, i)), `byte ${i}`).toThrow(SFrameError);
          await expect(sframeDecryptAsync(suite, baseKey, metadata, flip(ct, i)), `async byte ${i}`).rejects.toThrow(SFrameError);
        }
        for (let i = 0; i < metadata.length; i++) expect(() => sframeDecrypt(suite, baseKey, flip(metadata, i), ct)).toThrow(SFrameError);
        expect(() => sframeDecrypt(suite, flip(baseKey, 0), metadata, ct)).toThrow(SFrameError);
        expect(() => sframeDecrypt(suite, baseKey, metadata, ct.subarray(0, ct.length - 1))).toThrow(SFrameError);
        expect(() => sframeDecrypt(suite, baseKey, new Uint8Array(0), ct)).toThrow(SFrameError);
      });

      it('a suite never opens another suite’s ciphertext', () => {
        for (const other of [1, 2, 3, 4, 5].filter((x) => x !== suite)) expect(() => sframeDecrypt(other, baseKey, metadata, ct)).toThrow(SFrameError);
      });
    });
  }
});

describe('derived-key API (media path)', () => {
  const baseKey = new Uint8Array(32).map((_, i) => i * 7);
  const metadata = new Uint8Array([0x9d, 1, 2]);

  it('sealWithKey / openWithKey agree with sframeEncrypt and with WebCrypto, prefix included', async () => {
    for (const suite of [1, 2, 3, 4, 5]) {
      const k = deriveSFrameKey(suite, baseKey, 0x10003n);
      for (const size of [0, 1, 15, 16, 17, 1200]) {
        const pt = new Uint8Array(size).map((_, i) => i);
        const ref = sframeEncrypt(suite, baseKey, 0x10003n, 42n, metadata, pt);
        expect(hex(sealWithKey(k, 42n, metadata, pt))).toBe(hex(ref));
        expect(hex(await sealWithKeyAsync(k, 42n, metadata, atOffset(pt)))).toBe(hex(ref));
        const prefixed = sealWithKey(k, 42n, metadata, pt, metadata);
        expect(hex(prefixed)).toBe(hex(metadata) + hex(ref));
        const h = decodeHeader(ref);
        expect(hex(openWithKey(k, h, metadata, ref))).toBe(hex(pt));
        expect(hex(await openWithKeyAsync(k, h, metadata, atOffset(ref)))).toBe(hex(pt));
      }
    }
  });

  it('openWithKey refuses a header whose KID is not the key’s', () => {
    const k = deriveSFrameKey(5, baseKey, 1n);
    const ct = sealWithKey(k, 0n, metadata, new Uint8Array(4));
    expect(() => openWithKey(k, { ...decodeHeader(ct), kid: 2n }, metadata, ct)).toThrow(/KID does not match/);
  });

  it('different KIDs and CTRs give different ciphertexts of the same plaintext', () => {
    const pt = new Uint8Array(32);
    const seen = new Set<string>();
    for (const kid of [0n, 1n, 0x10000n]) for (const ctr of [0n, 1n, 2n]) seen.add(hex(sframeEncrypt(5, baseKey, kid, ctr, metadata, pt)));
    expect(seen.size).toBe(9);
  });
});
