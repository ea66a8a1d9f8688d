import { describe, expect, it } from 'vitest';
import { ChunkOpener, ChunkSealer, SealError, type SealKey } from '../src/seal.ts';

const key: SealKey = { meetingId: 'rec-0000000000000001', senderId: 'recording', epoch: 0, baseKey: new Uint8Array(32).fill(9) };

describe('ChunkOpener.seek (reading a stream from the middle)', () => {
  const s = new ChunkSealer('recording', key, new Uint8Array(16).fill(1));
  const sealed = [0, 1, 2, 3].map((i) => s.seal(new Uint8Array([i, i, i]), i === 3));

  it('opens chunk k and those after it, in order, and still sees the last flag', () => {
    const o = new ChunkOpener('recording', key, s.header);
    o.seek(2);
    expect(o.open(sealed[2]!)).toEqual(new Uint8Array([2, 2, 2]));
    expect(o.open(sealed[3]!)).toEqual(new Uint8Array([3, 3, 3]));
    expect(o.done).toBe(true);
    expect(() => o.finish()).not.toThrow();
  });

  it('refuses a chunk that is not the one it was moved to, and one replayed after a seek back', () => {
    const o = new ChunkOpener('recording', key, s.header);
    o.seek(1);
    expect(() => o.open(sealed[2]!)).toThrow(expect.objectContaining({ code: 'auth' }));
    o.seek(3);
    o.open(sealed[3]!);
    o.seek(0);
    expect(() => o.open(sealed[1]!)).toThrow(SealError);
  });

  it('rejects a bad index', () => {
    const o = new ChunkOpener('recording', key, s.header);
    expect(() => o.seek(-1)).toThrow(RangeError);
    expect(() => o.seek(1.5)).toThrow(TypeError);
    expect(() => o.seek('2' as unknown as number)).toThrow(TypeError);
  });
});
