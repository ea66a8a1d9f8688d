/**
 * Just enough WebM (Matroska, RFC 9559) to seek in what MediaRecorder writes: where a Cluster
 * starts in a slice, and its Timecode. MediaRecorder's WebM has no Cues (the index a player
 * would seek with), so the uploader records cluster starts itself (index.ts).
 */

const CLUSTER = [0x1f, 0x43, 0xb6, 0x75];
const TIMECODE = 0xe7;

/** Length of an EBML variable-size integer from its first byte (RFC 8794 §4), 0 if invalid. */
function vintLength(first: number): number {
  for (let n = 1; n <= 8; n++) if (first & (0x80 >> (n - 1))) return n;
  return 0;
}

/**
 * The first Cluster that starts in `bytes` whose header (ID, size, Timecode) lies wholly inside.
 * @returns its offset in `bytes` and its timecode (in TimecodeScale units: milliseconds as MediaRecorder writes it), or null
 */
export function firstCluster(bytes: Uint8Array): { offset: number; timecode: number } | null {
  for (let i = bytes.indexOf(CLUSTER[0]!); i !== -1 && i + 4 < bytes.length; i = bytes.indexOf(CLUSTER[0]!, i + 1)) {
    if (bytes[i + 1] !== CLUSTER[1] || bytes[i + 2] !== CLUSTER[2] || bytes[i + 3] !== CLUSTER[3]) continue;
    const sizeLen = vintLength(bytes[i + 4]!);
    const tc = i + 4 + sizeLen;
    // The Timecode is the Cluster's first child in MediaRecorder's output; anything else is not a cluster start.
    if (sizeLen === 0 || tc + 2 > bytes.length || bytes[tc] !== TIMECODE) continue;
    const lenByte = bytes[tc + 1]!;
    const valueLen = vintLength(lenByte) === 1 ? lenByte & 0x7f : 0;
    if (valueLen < 1 || valueLen > 6 || tc + 2 + valueLen > bytes.length) continue;
    let timecode = 0;
    for (let j = 0; j < valueLen; j++) timecode = timecode * 256 + bytes[tc + 2 + j]!;
    return { offset: i, timecode };
  }
  return null;
}
