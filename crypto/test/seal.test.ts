import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hex } from '../src/bytes.ts';
import { ChunkOpener, ChunkSealer, openChat, openFile, SealError, sealChat, sealedEpoch, sealFile, type SealKey } from '../src/seal.ts';
import { atOffset, flip } from './_helpers.ts';

const key: SealKey = { meetingId: '123456789', senderId: 'alice-0001', epoch: 3, baseKey: new Uint8Array(32).fill(7) };

describe('chat lines', () => {
  it('round trip, on offset views too, and report their epoch', () => {
    const sealed = sealChat(key, 'héllo, wörld 👋');
    expect(sealedEpoch(sealed)).toBe(3);
    expect(openChat(key, atOffset(sealed))).toBe('héllo, wörld 👋');
    expect(openChat({ ...key, baseKey: atOffset(key.baseKey) }, sealed)).toBe('héllo, wörld 👋');
  });

  it('fail on every flipped byte, another sender, meeting, epoch or key', () => {
    const sealed = sealChat(key, 'secret');
    for (let i = 0; i < sealed.length; i++) expect(() => openChat(key, flip(sealed, i))).toThrow(SealError);
    expect(() => openChat({ ...key, senderId: 'bob-00002' }, sealed)).toThrow(SealError);
    expect(() => openChat({ ...key, meetingId: '123456780' }, sealed)).toThrow(SealError);
    expect(() => openChat({ ...key, epoch: 4 }, sealed)).toThrow(expect.objectContaining({ code: 'epoch' }));
    expect(() => openChat({ ...key, baseKey: new Uint8Array(32) }, sealed)).toThrow(SealError);
  });

  it('round trip any text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: 'grapheme' }), (t) => {
        expect(openChat(key, sealChat(key, t))).toBe(t);
      }),
      { numRuns: 100 },
    );
  });
});

describe('files and recordings', () => {
  const data = new Uint8Array(10_000).map((_, i) => (i * 31) & 0xff);

  it('round trip in chunks; an empty file is one empty last chunk', () => {
    const parts = sealFile(key, data, 4096);
    expect(parts).toHaveLength(4);
    expect(
      hex(
        openFile(
          key,
          parts.map((p) => atOffset(p)),
        ),
      ),
    ).toBe(hex(data));
    const empty = sealFile(key, new Uint8Array(0));
    expect(empty).toHaveLength(2);
    expect(openFile(key, empty)).toHaveLength(0);
  });

  it('detect reordered, dropped, duplicated, truncated and tampered chunks', () => {
    const parts = sealFile(key, data, 4096);
    expect(parts).toHaveLength(4);
    const [h, a, b, c] = parts as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    expect(() => openFile(key, [h, b, a, c])).toThrow(SealError); // reordered
    expect(() => openFile(key, [h, a, c])).toThrow(SealError); // middle chunk dropped
    expect(() => openFile(key, [h, a, a, b, c])).toThrow(SealError); // duplicated
    expect(() => openFile(key, [h, a, b])).toThrow(expect.objectContaining({ code: 'truncated' })); // last chunk cut
    expect(() => openFile(key, [h, a, b, c, c])).toThrow(expect.objectContaining({ code: 'finished' })); // extra after last
    // Marking a middle chunk as last (to hide the truncation) breaks its tag.
    expect(() => openFile(key, [h, a, flip(b, 0)])).toThrow(SealError);
    for (let i = 0; i < h.length; i++) expect(() => openFile(key, [flip(h, i), a, b, c])).toThrow(SealError);
    for (let i = 0; i < c.length; i += 97) expect(() => openFile(key, [h, a, b, flip(c, i)])).toThrow(SealError);
  });

  it('a file key never opens a recording and vice versa (separate HKDF labels)', () => {
    const s = new ChunkSealer('recording', key);
    const chunk = s.seal(data.subarray(0, 100), true);
    const o = new ChunkOpener('recording', key, s.header);
    expect(hex(o.open(chunk))).toBe(hex(data.subarray(0, 100)));
    o.finish();
    expect(() => new ChunkOpener('file', key, s.header)).toThrow(expect.objectContaining({ code: 'kind' }));
    // Even with the kind byte forged, the derived key differs, so the chunk does not open.
    const forged = s.header.slice();
    forged[1] = 2;
    expect(() => new ChunkOpener('file', key, forged).open(chunk)).toThrow(SealError);
  });

  it('bind the sender: another sender id cannot open them', () => {
    const parts = sealFile(key, data);
    expect(() => openFile({ ...key, senderId: 'mallory-01' }, parts)).toThrow(SealError);
  });

  it('refuse to seal after the last chunk', () => {
    const s = new ChunkSealer('file', key);
    s.seal(new Uint8Array(1), true);
    expect(() => s.seal(new Uint8Array(1), false)).toThrow(expect.objectContaining({ code: 'finished' }));
  });
});
