import { describe, expect, it } from 'vitest';
import { RecordingOpener, RecordingSealer } from './container.ts';
import { NO_CLUSTER, PREAMBLE, decodeIndex, encodeIndex, indexCandidates, isIndex } from './seek-index.ts';
import { firstCluster } from './webm.ts';

const ID = 'rec-seek-index-0001';
const KEY = new Uint8Array(32).fill(3);

/** A Cluster header as MediaRecorder writes it: ID, unknown size, Timecode element. */
const cluster = (timecode: number) =>
  new Uint8Array([0x1f, 0x43, 0xb6, 0x75, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xe7, 0x82, timecode >> 8, timecode & 0xff]);
const concat = (...a: Uint8Array[]) => {
  const out = new Uint8Array(a.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of a) {
    out.set(x, o);
    o += x.length;
  }
  return out;
};

describe('WebM cluster starts', () => {
  it('finds the first cluster and its timecode, after other bytes', () => {
    expect(firstCluster(concat(new Uint8Array([1, 2, 0x1f, 0x43]), cluster(1234), cluster(2000)))).toEqual({ offset: 4, timecode: 1234 });
  });

  it('ignores look-alikes: an ID without a Timecode after it, or a header cut at the end', () => {
    expect(firstCluster(new Uint8Array([0x1f, 0x43, 0xb6, 0x75, 0x81, 0xa3, 0x00]))).toBeNull();
    expect(firstCluster(cluster(5).subarray(0, 14))).toBeNull();
    expect(firstCluster(new Uint8Array(0))).toBeNull();
  });
});

describe('seek index', () => {
  /** What the uploader does: data chunks, then the index as the last chunk. */
  function stream(chunks: Uint8Array[]) {
    const s = new RecordingSealer(ID, KEY);
    const frames = chunks.map((c) => s.seal(c, false));
    const entries = frames.map((f, i) => {
      const c = firstCluster(chunks[i]!);
      return { sealedLength: (i === 0 ? f.length - PREAMBLE : f.length) - 4, clusterOffset: c?.offset ?? NO_CLUSTER, clusterTimeMs: c?.timecode ?? NO_CLUSTER };
    });
    return concat(...frames, s.seal(encodeIndex(entries), true));
  }

  it('round-trips, and tells itself apart from media', () => {
    const entries = [
      { sealedLength: 10, clusterOffset: 3, clusterTimeMs: 0 },
      { sealedLength: 20, clusterOffset: NO_CLUSTER, clusterTimeMs: NO_CLUSTER },
    ];
    const plain = encodeIndex(entries);
    expect(isIndex(plain)).toBe(true);
    expect(decodeIndex(plain)).toEqual([
      { offset: PREAMBLE, ...entries[0] },
      { offset: PREAMBLE + 14, ...entries[1] },
    ]);
    expect(isIndex(cluster(0))).toBe(false);
    expect(decodeIndex(plain.subarray(0, plain.length - 1))).toBeNull();
  });

  it('is found from the end of a stream, opens there, and each entry opens the chunk it points at', () => {
    const chunks = [concat(new Uint8Array(50), cluster(0)), new Uint8Array(300), concat(new Uint8Array(7), cluster(1000), new Uint8Array(90)), cluster(2000)];
    const data = stream(chunks);
    const header = data.subarray(4, PREAMBLE);
    const found = indexCandidates(data.subarray(data.length - 4000), data.length)
      .map((c) => {
        const o = RecordingOpener.resume(ID, KEY, header, c.count);
        return decodeIndex(o.push(c.frame)[0]!);
      })
      .find(Boolean)!;
    expect(found.map((e) => [e.clusterOffset, e.clusterTimeMs])).toEqual([
      [50, 0],
      [NO_CLUSTER, NO_CLUSTER],
      [7, 1000],
      [0, 2000],
    ]);
    for (const [i, e] of found.entries()) {
      const o = RecordingOpener.resume(ID, KEY, header, i);
      expect(o.push(data.subarray(e.offset, e.offset + 4 + e.sealedLength))[0]).toEqual(chunks[i]);
    }
    // Read from the start, the index is the last chunk: the player leaves it out of the media.
    const all = new RecordingOpener(ID, KEY).push(data);
    expect(all).toHaveLength(5);
    expect(isIndex(all[4]!)).toBe(true);
  });

  it('a chunk opened at the wrong index does not open', () => {
    const data = stream([new Uint8Array(10), new Uint8Array(20)]);
    const o = RecordingOpener.resume(ID, KEY, data.subarray(4, PREAMBLE), 1);
    expect(() => o.push(data.subarray(PREAMBLE, PREAMBLE + 4 + 1 + 10 + 16))).toThrow(expect.objectContaining({ code: 'auth' }));
  });
});
