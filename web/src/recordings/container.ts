/**
 * The client-sealed recording stream, as uploaded to and downloaded from the edge:
 *
 *   "SRR1" ‖ header(22) ‖ frame*        frame = u32be(len) ‖ sealedChunk(len)
 *
 * `header` and each `sealedChunk` come from crypto/src/seal.ts (ChunkSealer kind 'recording'):
 * the chunk index and last flag are in every chunk's nonce and AAD, so a reordered, dropped,
 * altered or cut stream does not open. The seal key's `meetingId` is the recording's id, so
 * the server cannot swap one recording's bytes for another's: they would not open.
 *
 * The edge sees this stream only as bytes cut into equal parts; the frame lengths are sealed
 * by nothing but are checked by the chunk tags they delimit.
 * @module
 */
import { ChunkOpener, ChunkSealer, MAX_CHUNK_SIZE, type SealKey } from '@sealroom/crypto/seal';

const MAGIC = new Uint8Array([0x53, 0x52, 0x52, 0x31]); // "SRR1"
const HEADER_LEN = 22;
/** Largest frame: one sealed chunk (flag + ciphertext + tag). */
const MAX_FRAME = 1 + MAX_CHUNK_SIZE + 16;
/** senderId in the seal key: a fixed name, since a recording key belongs to one recording, not a participant. */
const SENDER = 'recording';

/** A recording stream that is not ours, or was altered. */
export class RecordingFormatError extends Error {
  readonly code: 'format' | 'auth';
  constructor(code: 'format' | 'auth', message: string) {
    super(message);
    this.name = 'RecordingFormatError';
    this.code = code;
  }
}

/** The seal key of a recording: its random 32-byte key bound to its id. */
export function recordingSealKey(recordingId: string, recordingKey: Uint8Array): SealKey {
  return { meetingId: recordingId, senderId: SENDER, epoch: 0, baseKey: recordingKey };
}

function frame(sealed: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + sealed.length);
  new DataView(out.buffer).setUint32(0, sealed.length);
  out.set(sealed, 4);
  return out;
}

/** Seals plaintext chunks into stream bytes. */
export class RecordingSealer {
  #sealer: ChunkSealer;
  #started = false;
  constructor(recordingId: string, recordingKey: Uint8Array, streamId?: Uint8Array) {
    this.#sealer = new ChunkSealer('recording', recordingSealKey(recordingId, recordingKey), streamId);
  }

  /**
   * @param chunk - up to 4 MiB of container bytes (split larger blobs before)
   * @param last - true for the final chunk
   * @returns the stream bytes to append (the preamble comes with the first call)
   */
  seal(chunk: Uint8Array, last: boolean): Uint8Array {
    const f = frame(this.#sealer.seal(chunk, last));
    if (this.#started) return f;
    this.#started = true;
    const out = new Uint8Array(MAGIC.length + HEADER_LEN + f.length);
    out.set(MAGIC);
    out.set(this.#sealer.header, MAGIC.length);
    out.set(f, MAGIC.length + HEADER_LEN);
    return out;
  }
}

/**
 * Opens stream bytes as they arrive, in any slicing.
 * @example
 * const o = new RecordingOpener(id, key);
 * for await (const bytes of body) for (const chunk of o.push(bytes)) play(chunk);
 * const { complete } = o.end();
 */
export class RecordingOpener {
  #key: SealKey;
  #opener: ChunkOpener | null = null;
  #header: Uint8Array | null = null;
  #buf = new Uint8Array(0);
  constructor(recordingId: string, recordingKey: Uint8Array) {
    this.#key = recordingSealKey(recordingId, recordingKey);
  }

  /**
   * An opener for bytes fetched from the middle of a stream: frames from chunk `index` on.
   * @param header - the stream's seal header (`header` of an opener that read the start)
   * @throws RecordingFormatError `format` if the header is not this recording's
   */
  static resume(recordingId: string, recordingKey: Uint8Array, header: Uint8Array, index: number): RecordingOpener {
    const o = new RecordingOpener(recordingId, recordingKey);
    try {
      o.#opener = new ChunkOpener('recording', o.#key, header);
    } catch (err) {
      throw new RecordingFormatError('format', `recording header: ${(err as Error).message}`);
    }
    o.#header = header;
    o.#opener.seek(index);
    return o;
  }

  /** The stream's seal header, once read. */
  get header(): Uint8Array | null {
    return this.#header;
  }

  /** True once the last chunk has opened (the chunks returned by the latest push end with it). */
  get done(): boolean {
    return this.#opener?.done ?? false;
  }

  /**
   * @returns the chunks that became complete with these bytes
   * @throws RecordingFormatError `format` on a foreign stream, `auth` on a chunk that does not open
   *   (wrong key, reordered, dropped or altered)
   */
  push(bytes: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#buf.length + bytes.length);
    joined.set(this.#buf);
    joined.set(bytes, this.#buf.length);
    let pos = 0;
    const out: Uint8Array[] = [];
    if (!this.#opener) {
      if (joined.length < MAGIC.length + HEADER_LEN) {
        this.#buf = joined;
        return out;
      }
      if (!MAGIC.every((b, i) => joined[i] === b)) throw new RecordingFormatError('format', 'not a Sealroom recording');
      try {
        this.#header = joined.slice(MAGIC.length, MAGIC.length + HEADER_LEN);
        this.#opener = new ChunkOpener('recording', this.#key, this.#header);
      } catch (err) {
        throw new RecordingFormatError('format', `recording header: ${(err as Error).message}`);
      }
      pos = MAGIC.length + HEADER_LEN;
    }
    while (joined.length - pos >= 4) {
      const len = new DataView(joined.buffer, joined.byteOffset + pos, 4).getUint32(0);
      if (len < 17 || len > MAX_FRAME) throw new RecordingFormatError('format', `frame of ${len} bytes`);
      if (joined.length - pos - 4 < len) break;
      if (this.#opener.done) throw new RecordingFormatError('format', 'bytes after the last chunk');
      try {
        out.push(this.#opener.open(joined.subarray(pos + 4, pos + 4 + len)));
      } catch {
        throw new RecordingFormatError('auth', 'a chunk does not open: wrong key, or the recording was altered');
      }
      pos += 4 + len;
    }
    this.#buf = joined.slice(pos);
    return out;
  }

  /**
   * Call at the end of input.
   * @returns complete: false when the stream was cut short (a recording whose browser stopped
   *   mid-way): everything before the cut has been returned and plays
   */
  end(): { complete: boolean } {
    return { complete: Boolean(this.#opener?.done) && this.#buf.length === 0 };
  }
}
