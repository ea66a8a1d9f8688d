// The WebCrypto chunk sealer and opener (`sealAsync`, `openAsync`, `sealFileAsync`,
// `openFileAsync`) give the same bytes as the noble ones, on the stored vectors and on random
// sizes, and refuse every stream the noble opener refuses.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes, fromHex, hex } from '../src/bytes.ts';
import { ChunkOpener, ChunkSealer, MAX_CHUNK_SIZE, openFile, openFileAsync, SealError, sealFile, sealFileAsync, type SealKey } from '../src/seal.ts';
import { atOffset, flip } from './_helpers.ts';
import vectors from './vectors/sealroom-stream.json' with { type: 'json' };

const key: SealKey = { meetingId: '123456789', senderId: 'alice-0001', epoch: 3, baseKey: new Uint8Array(32).fill(7) };
const streamId = new Uint8Array(16).fill(0x42);

/** `data` sealed chunk by chunk, both ways, under one pinned stream id. */
async function sealBoth(kind: 'file' | 'recording', data: Uint8Array, chunkSize: number) {
  const noble = new ChunkSealer(kind, key, streamId);
  const webcrypto = new ChunkSealer(kind, key, streamId);
  const pieces: [Uint8Array, boolean][] = [];
  for (let pos = 0; pos === 0 || pos < data.length; pos += chunkSize) pieces.push([data.subarray(pos, pos + chunkSize), pos + chunkSize >= data.length]);
  return {
    header: noble.header,
    noble: pieces.map(([c, last]) => noble.seal(c, last)),
    webcrypto: await Promise.all(pieces.map(([c, last]) => webcrypto.sealAsync(atOffset(c), last))),
  };
}

describe('stored vectors (sealroom-stream.json, made with OpenSSL)', () => {
  for (const v of vectors.vectors) {
    const kind = v.kind as 'file' | 'recording';
    const k: SealKey = { ...v.key, baseKey: fromHex(v.key.baseKey) };

    it(`${v.name}: intermediates agree with noble's HKDF and AES-GCM`, () => {
      expect(
        hex(hkdf(sha256, k.baseKey, fromHex(v.salt), new Uint8Array([...new TextEncoder().encode(`Sealroom 1.0 ${kind}`), ...fromHex(v.streamId)]), 32)),
      ).toBe(v.streamKey);
      for (const c of v.chunks) expect(hex(gcm(fromHex(v.streamKey), fromHex(c.nonce), fromHex(c.aad)).encrypt(fromHex(c.pt)))).toBe(c.sealed.slice(2));
    });

    it(`${v.name}: seal and sealAsync give the stored bytes; open and openAsync give the plaintext back`, async () => {
      const s = new ChunkSealer(kind, k, fromHex(v.streamId));
      const a = new ChunkSealer(kind, { ...k, baseKey: atOffset(k.baseKey) }, atOffset(fromHex(v.streamId)));
      expect(hex(s.header)).toBe(v.header);
      expect(hex(a.header)).toBe(v.header);
      for (const c of v.chunks) {
        expect(hex(s.seal(fromHex(c.pt), c.last))).toBe(c.sealed);
        expect(hex(await a.sealAsync(atOffset(fromHex(c.pt)), c.last))).toBe(c.sealed);
      }
      const o = new ChunkOpener(kind, k, atOffset(fromHex(v.header)));
      const oa = new ChunkOpener(kind, k, fromHex(v.header));
      for (const c of v.chunks) {
        expect(hex(o.open(atOffset(fromHex(c.sealed))))).toBe(c.pt);
        expect(hex(await oa.openAsync(atOffset(fromHex(c.sealed))))).toBe(c.pt);
      }
      o.finish();
      oa.finish();
    });

    it(`${v.name}: every flipped byte of a chunk fails openAsync`, async () => {
      for (const [n, c] of v.chunks.entries()) {
        const sealed = fromHex(c.sealed);
        for (let i = 0; i < sealed.length; i += sealed.length > 200 ? 37 : 1) {
          const o = new ChunkOpener(kind, k, fromHex(v.header));
          for (const before of v.chunks.slice(0, n)) await o.openAsync(fromHex(before.sealed));
          await expect(o.openAsync(flip(sealed, i)), `chunk ${n} byte ${i}`).rejects.toThrow(SealError);
        }
      }
    });
  }
});

describe('noble and WebCrypto agree', () => {
  it('on random data and chunk sizes, both ways round (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 20_000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.constantFrom('file' as const, 'recording' as const),
        async (data, chunkSize, kind) => {
          const { header, noble, webcrypto } = await sealBoth(kind, data, chunkSize);
          expect(webcrypto.map(hex)).toEqual(noble.map(hex));
          const o = new ChunkOpener(kind, key, header);
          const opened = await Promise.all(noble.map((c) => o.openAsync(c)));
          o.finish();
          expect(hex(new Uint8Array(opened.flatMap((c) => [...c])))).toBe(hex(data));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('at file-transfer sizes: 64 KiB, 96 KiB and the 4 MiB largest chunk', { timeout: 60_000 }, async () => {
    const data = new Uint8Array(randomBytes(MAX_CHUNK_SIZE));
    for (const size of [64 * 1024, 96 * 1024, MAX_CHUNK_SIZE]) {
      const { noble, webcrypto } = await sealBoth('file', data.subarray(0, Math.min(data.length, 3 * size + 17)), size);
      expect(webcrypto).toHaveLength(noble.length);
      for (const [i, c] of noble.entries()) expect(equalBytes(webcrypto[i]!, c), `${size}-byte chunks: chunk ${i}`).toBe(true);
    }
  });

  it('whole files: sealFileAsync opens with openFile, sealFile with openFileAsync', async () => {
    const data = new Uint8Array(100_003).map((_, i) => i & 0xff);
    expect(hex(openFile(key, await sealFileAsync(key, data, 4096)))).toBe(hex(data));
    expect(hex(await openFileAsync(key, sealFile(key, data, 4096)))).toBe(hex(data));
    const empty = await sealFileAsync(key, new Uint8Array(0));
    expect(empty).toHaveLength(2);
    expect(await openFileAsync(key, empty)).toHaveLength(0);
  });

  it('the caller may reuse its buffer as soon as a call returns', async () => {
    const buf = new Uint8Array(5000).fill(1);
    const s = new ChunkSealer('file', key, streamId);
    const p0 = s.sealAsync(buf, false); // the stream key is still being imported
    buf.fill(2);
    const p1 = s.sealAsync(buf, false);
    buf.fill(3);
    const [c0, c1] = [await p0, await p1];
    const p2 = s.sealAsync(buf, true); // imported by now: WebCrypto itself takes the copy
    buf.fill(4);
    const c2 = await p2;
    const o = new ChunkOpener('file', key, s.header);
    const opened = [o.openAsync(c0), o.openAsync(c1), o.openAsync(c2)]; // the last two wait their turn
    c1.fill(0);
    c2.fill(0);
    expect(await Promise.all(opened.map(async (p) => [...new Set(await p)]))).toEqual([[1], [2], [3]]);
    o.finish();
  });
});

describe('the async opener refuses what the noble one refuses', () => {
  const data = new Uint8Array(10_000).map((_, i) => (i * 31) & 0xff);

  it('reordered, dropped, duplicated, truncated, extra and tampered chunks', async () => {
    const parts = await sealFileAsync(key, data, 4096);
    expect(parts).toHaveLength(4);
    const [h, a, b, c] = parts as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    await expect(openFileAsync(key, [h, b, a, c])).rejects.toThrow(expect.objectContaining({ code: 'auth' }));
    await expect(openFileAsync(key, [h, a, c])).rejects.toThrow(expect.objectContaining({ code: 'auth' }));
    await expect(openFileAsync(key, [h, a, a, b, c])).rejects.toThrow(expect.objectContaining({ code: 'auth' }));
    await expect(openFileAsync(key, [h, a, b])).rejects.toThrow(expect.objectContaining({ code: 'truncated' }));
    await expect(openFileAsync(key, [h, a, b, c, c])).rejects.toThrow(expect.objectContaining({ code: 'finished' }));
    // Marking a middle chunk as last, to pass off a cut stream as whole, breaks its tag.
    await expect(openFileAsync(key, [h, a, flip(b, 0)])).rejects.toThrow(SealError);
    for (let i = 0; i < h.length; i++) await expect(openFileAsync(key, [flip(h, i), a, b, c])).rejects.toThrow(SealError);
    for (let i = 0; i < c.length; i += 97) await expect(openFileAsync(key, [h, a, b, flip(c, i)])).rejects.toThrow(SealError);
    await expect(openFileAsync({ ...key, senderId: 'mallory-01' }, parts)).rejects.toThrow(SealError);
  });

  it('a chunk that fails does not move the stream on: the ones queued behind it fail, the right one still opens', async () => {
    const [h, a, b, c] = (await sealFileAsync(key, data, 4096)) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const o = new ChunkOpener('file', key, h);
    const results = await Promise.allSettled([o.openAsync(a), o.openAsync(flip(b, 9)), o.openAsync(c)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(o.done).toBe(false);
    expect(() => o.finish()).toThrow(expect.objectContaining({ code: 'truncated' }));
    expect(hex(await o.openAsync(b))).toBe(hex(data.subarray(4096, 8192)));
    expect(hex(o.open(c))).toBe(hex(data.subarray(8192)));
    o.finish();
    await expect(o.openAsync(c)).rejects.toThrow(expect.objectContaining({ code: 'finished' }));
  });

  it('a file stream never opens as a recording, even with the kind byte forged', async () => {
    const s = new ChunkSealer('recording', key);
    const chunk = await s.sealAsync(data.subarray(0, 100), true);
    const forged = s.header.slice();
    forged[1] = 2;
    await expect(new ChunkOpener('file', key, forged).openAsync(chunk)).rejects.toThrow(SealError);
  });

  it('sealAsync refuses after the last chunk; open and seek refuse while openAsync calls are pending', async () => {
    const s = new ChunkSealer('file', key);
    const last = await s.sealAsync(new Uint8Array(1), true);
    await expect(s.sealAsync(new Uint8Array(1), false)).rejects.toThrow(expect.objectContaining({ code: 'finished' }));
    const o = new ChunkOpener('file', key, s.header);
    const pending = o.openAsync(last);
    expect(() => o.open(last)).toThrow(/pending/);
    expect(() => o.seek(0)).toThrow(/pending/);
    await pending;
    expect(o.done).toBe(true);
  });
});
