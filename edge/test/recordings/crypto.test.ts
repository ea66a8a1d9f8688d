/**
 * The browser's layer, checked on bytes that made the round trip through the edge: a stream
 * whose chunks were reordered, dropped, cut or altered (by a server, a proxy or storage) does
 * not open, and the wrong key is refused with a clear error. crypto/src/seal.ts does the work;
 * web/src/recordings/container.ts frames it.
 */
import { describe, expect, it } from 'vitest';
import { RecordingFormatError } from '../../../web/src/recordings/container.ts';
import { bytes, concat, download, equal, openStream, owner, uploaded } from './helpers.ts';

const PREAMBLE = 4 + 22;

/** Splits stream bytes into preamble and frames (u32 length + sealed chunk). */
function frames(data: Uint8Array): { pre: Uint8Array; frames: Uint8Array[] } {
  const out: Uint8Array[] = [];
  let pos = PREAMBLE;
  while (pos < data.length) {
    const len = new DataView(data.buffer, data.byteOffset + pos, 4).getUint32(0);
    out.push(data.slice(pos, pos + 4 + len));
    pos += 4 + len;
  }
  return { pre: data.slice(0, PREAMBLE), frames: out };
}

const code = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(RecordingFormatError);
    return (err as RecordingFormatError).code;
  }
  return 'opened';
};

describe('client-side sealing of recording chunks', { timeout: 30_000 }, () => {
  it('round-trips, and detects reorder, drop, truncation, tampering, a wrong key and a swapped recording', async () => {
    const { owner: a } = await owner();
    const plain = [bytes(5000, 1), bytes(7000, 2), bytes(9000, 3), bytes(100, 4)];
    const { rec, key } = await uploaded(a, plain);
    const { body } = await download(a, `/api/recordings/${rec.id}/content`);
    const ok = openStream(rec.id, key, body, 333);
    expect(ok.complete).toBe(true);
    expect(equal(concat(ok.chunks), concat(plain))).toBe(true);

    const { pre, frames: f } = frames(body);
    expect(f).toHaveLength(4);
    const open =
      (fs: Uint8Array[], k = key, id = rec.id) =>
      () =>
        openStream(id, k, concat([pre, ...fs]));

    expect(code(open([f[1]!, f[0]!, f[2]!, f[3]!]))).toBe('auth'); // reordered
    expect(code(open([f[0]!, f[2]!, f[3]!]))).toBe('auth'); // dropped
    expect(code(open([f[0]!, f[1]!, f[2]!, f[3]!, f[3]!]))).toBe('format'); // replayed after the end
    const tampered = f[2]!.slice();
    tampered[100]! ^= 0x20;
    expect(code(open([f[0]!, f[1]!, tampered, f[3]!]))).toBe('auth');
    expect(code(open(f, bytes(32, 12345)))).toBe('auth'); // wrong key
    expect(code(open(f, key, 'AAAAAAAAAAAAAAAAAAAAAA'))).toBe('auth'); // bytes of another recording
    expect(code(() => openStream(rec.id, key, body.slice(4)))).toBe('format'); // not our stream

    // Truncated (last chunk never arrived, or cut mid-frame): what came before still plays, flagged incomplete.
    const cut = openStream(rec.id, key, concat([pre, f[0]!, f[1]!]));
    expect(cut.complete).toBe(false);
    expect(equal(concat(cut.chunks), concat(plain.slice(0, 2)))).toBe(true);
    const midFrame = openStream(rec.id, key, concat([pre, f[0]!, f[1]!.subarray(0, 50)]));
    expect(midFrame).toMatchObject({ complete: false });
    expect(midFrame.chunks).toHaveLength(1);
  });
});
