/**
 * The seek index of a cloud recording: sealed as the stream's last chunk by the uploader, so
 * the server learns nothing new from it (it already sees frame lengths; times stay sealed).
 *
 *   plaintext = "SRI1" ‖ u32 count ‖ count × ( u32 sealedLength ‖ u32 clusterOffset ‖ u32 clusterTimeMs )
 *
 * Entry i describes data chunk i: the length of its sealed chunk (so a reader can add up where
 * each frame starts), and where the first WebM cluster starting in its plaintext is, with that
 * cluster's time (NO_CLUSTER when none starts there). The last chunk's frame is then exactly
 * 29 + 12·count bytes long, which is how a reader finds it from the end without a trailer.
 */

const MAGIC = [0x53, 0x52, 0x49, 0x31]; // "SRI1"
export const NO_CLUSTER = 0xffff_ffff;
/** Bytes of stream before the first frame: "SRR1" ‖ seal header. */
export const PREAMBLE = 4 + 22;
/** Frame bytes around an index of n entries: u32 length, last flag, AES-GCM tag, magic and count. */
export const indexFrameLength = (n: number) => 4 + 1 + 16 + 8 + 12 * n;

export interface IndexEntry {
  /** Where the chunk's frame starts in the stream. */
  offset: number;
  sealedLength: number;
  clusterOffset: number;
  clusterTimeMs: number;
}

export function encodeIndex(entries: readonly { sealedLength: number; clusterOffset: number; clusterTimeMs: number }[]): Uint8Array {
  const out = new Uint8Array(8 + 12 * entries.length);
  const v = new DataView(out.buffer);
  out.set(MAGIC);
  v.setUint32(4, entries.length);
  entries.forEach((e, i) => {
    v.setUint32(8 + 12 * i, e.sealedLength);
    v.setUint32(12 + 12 * i, e.clusterOffset);
    v.setUint32(16 + 12 * i, Math.min(e.clusterTimeMs, NO_CLUSTER));
  });
  return out;
}

/** True for the plaintext of an index chunk (as opposed to media). */
export const isIndex = (plain: Uint8Array) => plain.length >= 8 && MAGIC.every((b, i) => plain[i] === b) && (plain.length - 8) % 12 === 0;

/** @returns the entries, with each frame's offset in the stream, or null if `plain` is not an index */
export function decodeIndex(plain: Uint8Array): IndexEntry[] | null {
  if (!isIndex(plain)) return null;
  const v = new DataView(plain.buffer, plain.byteOffset, plain.length);
  const n = v.getUint32(4);
  if (plain.length !== 8 + 12 * n) return null;
  const out: IndexEntry[] = [];
  let offset = PREAMBLE;
  for (let i = 0; i < n; i++) {
    const sealedLength = v.getUint32(8 + 12 * i);
    out.push({ offset, sealedLength, clusterOffset: v.getUint32(12 + 12 * i), clusterTimeMs: v.getUint32(16 + 12 * i) });
    offset += 4 + sealedLength;
  }
  return out;
}

/**
 * Where the index frame may sit in the last `tail.length` bytes of a `size`-byte stream: every
 * n for which the (29 + 12n)-byte suffix starts with the right frame length. Usually one; the
 * AEAD decides.
 */
export function indexCandidates(tail: Uint8Array, size: number): { count: number; frame: Uint8Array }[] {
  const out: { count: number; frame: Uint8Array }[] = [];
  const v = new DataView(tail.buffer, tail.byteOffset, tail.length);
  for (let n = 0; indexFrameLength(n) <= tail.length && indexFrameLength(n) <= size - PREAMBLE; n++) {
    const at = tail.length - indexFrameLength(n);
    if (v.getUint32(at) === indexFrameLength(n) - 4) out.push({ count: n, frame: tail.subarray(at) });
  }
  return out;
}
