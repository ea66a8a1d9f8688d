/**
 * Sealing of chat lines, files and cloud-recording chunks with keys from the meeting key
 * schedule (docs/ARCHITECTURE.md, "Chat, files and recordings"). Each kind has its own HKDF-SHA-256 label, so
 * a key for one can never open another; the sender's participant id is in both the key
 * derivation salt and the AAD, so a sealed item cannot be re-attributed to someone else.
 *
 * Keys: `HKDF-SHA-256(ikm = sender's base key for the epoch, salt = lp(meetingId, senderId),
 * info = label [‖ streamId])`, AES-256-GCM.
 *
 * Chat line: `0x01 ‖ kind ‖ epoch(u32) ‖ nonce(12) ‖ ciphertext ‖ tag`, random nonce.
 *
 * Files and recordings are streams of chunks (the STREAM construction of Hoang, Reyhanitabar,
 * Rogaway and Vizár, "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance",
 * CRYPTO 2015): a header `0x01 ‖ kind ‖ epoch(u32) ‖ streamId(16)` with a random stream id
 * that makes a fresh key per stream, then chunks `last(1) ‖ ciphertext ‖ tag` whose nonce is
 * `u64(index) ‖ u32(last)`. Reordering or dropping a chunk changes the index and fails the
 * tag; cutting the stream short leaves no chunk with `last = 1`, which `finish()` reports.
 *
 * Chunks seal and open with noble (`seal`, `open`) or with WebCrypto's AES-GCM (`sealAsync`,
 * `openAsync`, `sealFileAsync`, `openFileAsync`): the same bytes either way, pinned by tests and
 * by `test/vectors/sealroom-stream.json`. WebCrypto runs on the platform's AES instructions,
 * 9× noble's JavaScript for 64 KiB chunks and 25× for 1 MiB (docs/bench/crypto.md), and off
 * the calling thread.
 * @module
 */
import { gcm } from '@noble/ciphers/aes.js';
import { randomBytes } from '@noble/ciphers/utils.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, aint, aobject, astring } from './_assert.ts';
import { concatBytes, fromUtf8, lp, u32be, u64be, utf8 } from './bytes.ts';
import { PARTICIPANT_ID } from './key-schedule.ts';

/** What a seal key is for; each kind has its own label. */
export type SealKind = 'chat' | 'file' | 'recording';
const KIND_BYTE: Record<SealKind, number> = { chat: 1, file: 2, recording: 3 };
const LABELS: Record<SealKind, Uint8Array> = {
  chat: utf8('Sealroom 1.0 chat'),
  file: utf8('Sealroom 1.0 file'),
  recording: utf8('Sealroom 1.0 recording'),
};
const VERSION = 1;

/** The sender's key material for one epoch, plus who it belongs to. */
export type SealKey = { meetingId: string; senderId: string; epoch: number; baseKey: Uint8Array };

/** Longest chat line, in UTF-8 bytes (the chat UI caps lines far below this). */
export const MAX_CHAT_BYTES = 16 * 1024;
/** Default and largest file/recording chunk. */
export const CHUNK_SIZE = 64 * 1024;
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024;
const STREAM_HEADER_LEN = 1 + 1 + 4 + 16;

/** A sealed item that does not open, or a stream that is out of order or cut short (a RangeError subclass, like SFrameError: right type, unacceptable value). */
export class SealError extends RangeError {
  readonly code: 'malformed' | 'kind' | 'epoch' | 'auth' | 'truncated' | 'finished';
  constructor(code: SealError['code'], message: string) {
    super(message);
    this.name = 'SealError';
    this.code = code;
  }
}

function checkKey(k: SealKey): SealKey {
  aobject(k, 'key');
  astring(k.meetingId, 'key.meetingId', /^[\x21-\x7e]{1,64}$/);
  astring(k.senderId, 'key.senderId', PARTICIPANT_ID);
  aint(k.epoch, 'key.epoch', 0, 0xffff_ffff);
  abytes(k.baseKey, 'key.baseKey', 32);
  return k;
}

function deriveKey(k: SealKey, kind: SealKind, streamId?: Uint8Array): Uint8Array {
  const info = streamId ? concatBytes(LABELS[kind], streamId) : LABELS[kind];
  return hkdf(sha256, k.baseKey, lp(k.meetingId, k.senderId), info, 32);
}

function aadFor(k: SealKey, kind: SealKind, header: Uint8Array, ...rest: Uint8Array[]): Uint8Array {
  return concatBytes(LABELS[kind], lp(k.meetingId, k.senderId), header, ...rest);
}

function readHeader(sealed: Uint8Array, kind: SealKind, k: SealKey, len: number): void {
  if (sealed.length < len || sealed[0] !== VERSION) throw new SealError('malformed', 'sealed: not a Sealroom envelope');
  if (sealed[1] !== KIND_BYTE[kind]) throw new SealError('kind', `sealed: not a ${kind} envelope`);
  const epoch = new DataView(sealed.buffer, sealed.byteOffset + 2, 4).getUint32(0);
  if (epoch !== k.epoch) throw new SealError('epoch', `sealed: epoch ${epoch}, key is for epoch ${k.epoch}`);
}

/**
 * Epoch a sealed chat line or stream header was made under, so the receiver can pick the key.
 * @throws TypeError if not bytes; SealError if too short to be an envelope
 */
export function sealedEpoch(sealed: Uint8Array): number {
  abytes(sealed, 'sealed');
  if (sealed.length < 6 || sealed[0] !== VERSION) throw new SealError('malformed', 'sealed: not a Sealroom envelope');
  return new DataView(sealed.buffer, sealed.byteOffset + 2, 4).getUint32(0);
}

/**
 * Seals one chat line.
 * @param key - sender's seal key for its current epoch
 * @param text - the line (≤ 16 KiB UTF-8)
 * @returns the envelope, 34 bytes + the line's UTF-8 length
 * @throws TypeError / RangeError naming the bad argument
 */
export function sealChat(key: SealKey, text: string): Uint8Array {
  checkKey(key);
  const pt = utf8(astring(text, 'text'));
  if (pt.length > MAX_CHAT_BYTES) throw new RangeError(`text: longer than ${MAX_CHAT_BYTES} UTF-8 bytes`);
  const header = new Uint8Array([VERSION, KIND_BYTE.chat, ...u32be(key.epoch)]);
  const nonce = randomBytes(12);
  const ct = gcm(deriveKey(key, 'chat'), nonce, aadFor(key, 'chat', header)).encrypt(pt);
  return concatBytes(header, nonce, ct);
}

/**
 * Opens a chat line.
 * @param key - the sender's seal key for the envelope's epoch (see `sealedEpoch`)
 * @returns the line
 * @throws SealError if it is not a chat envelope, is for another epoch, or does not open
 */
export function openChat(key: SealKey, sealed: Uint8Array): string {
  checkKey(key);
  abytes(sealed, 'sealed', [0, 6 + 12 + MAX_CHAT_BYTES + 16]);
  readHeader(sealed, 'chat', key, 6 + 12 + 16);
  let pt: Uint8Array;
  try {
    pt = gcm(deriveKey(key, 'chat'), sealed.subarray(6, 18), aadFor(key, 'chat', sealed.subarray(0, 6))).decrypt(sealed.subarray(18));
  } catch {
    throw new SealError('auth', 'sealed: does not open with this key');
  }
  try {
    return fromUtf8(pt);
  } catch {
    throw new SealError('malformed', 'sealed: not UTF-8');
  }
}

function chunkNonce(index: bigint, last: boolean): Uint8Array {
  return concatBytes(u64be(index), u32be(last ? 1 : 0));
}

/**
 * A stream key as WebCrypto AES-256-GCM, imported on first use and kept: one import per stream.
 * Once imported, `run` hands `data` to WebCrypto before it returns (WebCrypto copies its input
 * then); the first call copies `data` itself, since it awaits the import first. Either way the
 * caller may reuse its buffer as soon as the call returns, as with noble.
 */
class SubtleGcm {
  readonly #raw: Uint8Array;
  #key: CryptoKey | undefined;
  #importing: Promise<CryptoKey> | undefined;

  constructor(raw: Uint8Array) {
    this.#raw = raw;
  }

  async run(op: 'encrypt' | 'decrypt', nonce: Uint8Array, aad: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    let key = this.#key;
    if (!key) {
      data = data.slice();
      this.#importing ??= globalThis.crypto.subtle.importKey('raw', this.#raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);
      key = this.#key = await this.#importing;
    }
    const params = { name: 'AES-GCM', iv: nonce as Uint8Array<ArrayBuffer>, additionalData: aad as Uint8Array<ArrayBuffer> };
    return new Uint8Array(await globalThis.crypto.subtle[op](params, key, data as Uint8Array<ArrayBuffer>));
  }
}

/**
 * Seals a file or a recording as a stream of chunks. Chunks are sealed in order; the last one
 * must be marked so that a receiver can tell a complete stream from a cut one.
 * @example
 * const s = new ChunkSealer('file', key);
 * send(s.header); send(s.seal(part1, false)); send(s.seal(part2, true));
 */
export class ChunkSealer {
  readonly kind: 'file' | 'recording';
  /** Stream header: send or store it before the first chunk. */
  readonly header: Uint8Array;
  #key: SealKey;
  #aead: Uint8Array;
  #subtle: SubtleGcm;
  #index = 0n;
  #done = false;

  /**
   * @param kind - 'file' or 'recording' (different labels, so different keys)
   * @param key - the sender's seal key
   * @param streamId - 16 random bytes; a test may pin it
   * @throws TypeError / RangeError naming the bad argument
   */
  constructor(kind: 'file' | 'recording', key: SealKey, streamId: Uint8Array = randomBytes(16)) {
    if (kind !== 'file' && kind !== 'recording') throw new RangeError(`kind: expected 'file' or 'recording'`);
    this.kind = kind;
    this.#key = checkKey(key);
    abytes(streamId, 'streamId', 16);
    this.header = concatBytes(new Uint8Array([VERSION, KIND_BYTE[kind]]), u32be(key.epoch), streamId);
    this.#aead = deriveKey(key, kind, streamId);
    this.#subtle = new SubtleGcm(this.#aead);
  }

  /**
   * Seals the next chunk.
   * @param chunk - up to 4 MiB
   * @param last - true for the final chunk
   * @returns `last(1) ‖ ciphertext ‖ tag`
   * @throws SealError `finished` after the last chunk; TypeError / RangeError on bad arguments
   */
  seal(chunk: Uint8Array, last: boolean): Uint8Array {
    const { flag, nonce, aad } = this.#next(chunk, last);
    return concatBytes(flag, gcm(this.#aead, nonce, aad).encrypt(chunk));
  }

  /**
   * `seal` over WebCrypto AES-GCM: the same bytes. The index is taken before the first await,
   * so calls may overlap; they seal chunks in call order, and `chunk` is read before the call
   * returns.
   * @returns `last(1) ‖ ciphertext ‖ tag`, as `seal`
   * @throws as `seal` (as a rejected promise)
   * @example
   * const sealed = await Promise.all([s.sealAsync(part1, false), s.sealAsync(part2, true)]);
   */
  async sealAsync(chunk: Uint8Array, last: boolean): Promise<Uint8Array> {
    const { flag, nonce, aad } = this.#next(chunk, last);
    return concatBytes(flag, await this.#subtle.run('encrypt', nonce, aad, chunk));
  }

  /** Checks a chunk and takes the next index for it. */
  #next(chunk: Uint8Array, last: boolean): { flag: Uint8Array; nonce: Uint8Array; aad: Uint8Array } {
    abytes(chunk, 'chunk', [0, MAX_CHUNK_SIZE]);
    if (typeof last !== 'boolean') throw new TypeError('last: expected boolean');
    if (this.#done) throw new SealError('finished', 'stream already ended');
    const index = this.#index++;
    this.#done = last;
    const flag = new Uint8Array([last ? 1 : 0]);
    return { flag, nonce: chunkNonce(index, last), aad: aadFor(this.#key, this.kind, this.header, u64be(index), flag) };
  }
}

/** Opens a chunk stream in order; see `ChunkSealer`. */
export class ChunkOpener {
  readonly kind: 'file' | 'recording';
  #key: SealKey;
  #header: Uint8Array;
  #aead: Uint8Array;
  #subtle: SubtleGcm;
  #index = 0n;
  #done = false;
  /** `openAsync` calls not yet settled, and the promise the next one waits for. */
  #pending = 0;
  #turn: Promise<void> = Promise.resolve();

  /**
   * @param kind - must match the sealer's
   * @param key - the sender's seal key for the header's epoch
   * @param header - `ChunkSealer.header`
   * @throws SealError if the header is not a stream header of this kind and epoch
   */
  constructor(kind: 'file' | 'recording', key: SealKey, header: Uint8Array) {
    if (kind !== 'file' && kind !== 'recording') throw new RangeError(`kind: expected 'file' or 'recording'`);
    this.kind = kind;
    this.#key = checkKey(key);
    abytes(header, 'header');
    if (header.length !== STREAM_HEADER_LEN) throw new SealError('malformed', 'header: not a stream header');
    readHeader(header, kind, key, STREAM_HEADER_LEN);
    this.#header = header.slice();
    this.#aead = deriveKey(key, kind, header.subarray(6));
    this.#subtle = new SubtleGcm(this.#aead);
  }

  /** True once the last chunk has opened. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Continues at chunk `index`: for a reader that starts mid-stream (a player seeking in a
   * recording it fetches by range). Order is enforced from there on, since the index is in
   * every nonce; what lies before `index` is simply not read, so `finish()` speaks only for
   * what follows.
   * @param index - the chunk the next `open()` expects
   * @throws TypeError on a non-integer, RangeError on a negative index; Error while `openAsync`
   *   calls are pending
   */
  seek(index: number): void {
    aint(index, 'index', 0, Number.MAX_SAFE_INTEGER);
    this.#idle('seek');
    this.#index = BigInt(index);
    this.#done = false;
  }

  /**
   * Opens the next chunk.
   * @returns the chunk's plaintext
   * @throws SealError `auth` if it is not the next chunk of this stream (reordered, dropped,
   *   tampered), `finished` after the last chunk; Error while `openAsync` calls are pending
   */
  open(sealed: Uint8Array): Uint8Array {
    abytes(sealed, 'sealed', [0, 1 + MAX_CHUNK_SIZE + 16]);
    this.#idle('open');
    const { last, nonce, aad } = this.#prepare(sealed);
    let pt: Uint8Array;
    try {
      pt = gcm(this.#aead, nonce, aad).decrypt(sealed.subarray(1));
    } catch {
      throw this.#authError();
    }
    return this.#opened(last, pt);
  }

  /**
   * `open` over WebCrypto AES-GCM: the same plaintext and the same errors. Calls may overlap;
   * they take turns in call order, each exactly as `open` would run at that point (a chunk
   * that fails does not move the stream on, so the ones after it fail too). `sealed` is read
   * before the call returns.
   * @returns the chunk's plaintext
   * @throws as `open` (as a rejected promise)
   * @example
   * const parts = await Promise.all(chunks.map((c) => o.openAsync(c))); o.finish();
   */
  async openAsync(sealed: Uint8Array): Promise<Uint8Array> {
    abytes(sealed, 'sealed', [0, 1 + MAX_CHUNK_SIZE + 16]);
    const before = this.#turn;
    let release!: () => void;
    this.#turn = new Promise((r) => (release = r));
    try {
      // Behind another call: keep our own copy while we wait, since the caller may reuse its buffer.
      if (this.#pending++ > 0) {
        sealed = sealed.slice();
        await before;
      }
      const { last, nonce, aad } = this.#prepare(sealed);
      let pt: Uint8Array;
      try {
        pt = await this.#subtle.run('decrypt', nonce, aad, sealed.subarray(1));
      } catch (err) {
        // WebCrypto's word for a tag that does not match; anything else (no WebCrypto here) is not the sender's fault.
        throw (err as Error | null)?.name === 'OperationError' ? this.#authError() : err;
      }
      return this.#opened(last, pt);
    } finally {
      this.#pending--;
      release();
    }
  }

  #idle(what: string): void {
    if (this.#pending > 0) throw new Error(`${what}: openAsync() calls are still pending`);
  }

  /** Nonce and AAD for `sealed` as the chunk at the current index. */
  #prepare(sealed: Uint8Array): { last: boolean; nonce: Uint8Array; aad: Uint8Array } {
    if (this.#done) throw new SealError('finished', 'stream already ended');
    if (sealed.length < 17 || sealed[0]! > 1) throw new SealError('malformed', 'sealed: not a stream chunk');
    const last = sealed[0] === 1;
    return { last, nonce: chunkNonce(this.#index, last), aad: aadFor(this.#key, this.kind, this.#header, u64be(this.#index), sealed.subarray(0, 1)) };
  }

  #authError(): SealError {
    return new SealError('auth', `sealed: chunk ${this.#index} does not open (reordered, dropped or tampered)`);
  }

  #opened(last: boolean, pt: Uint8Array): Uint8Array {
    this.#index++;
    this.#done = last;
    return pt;
  }

  /**
   * Call at end of input.
   * @throws SealError `truncated` if the last chunk never came
   */
  finish(): void {
    if (!this.#done) throw new SealError('truncated', `stream ended after ${this.#index} chunks without its last chunk`);
  }
}

/**
 * Seals a whole file.
 * @param key - sender's seal key
 * @param data - file contents
 * @param chunkSize - bytes per chunk (default 64 KiB)
 * @returns `[header, chunk0, chunk1, …]`; an empty file is one empty last chunk
 * @throws TypeError / RangeError naming the bad argument
 */
export function sealFile(key: SealKey, data: Uint8Array, chunkSize: number = CHUNK_SIZE): Uint8Array[] {
  const s = new ChunkSealer('file', key);
  return [s.header, ...eachChunk(data, chunkSize, (chunk, last) => s.seal(chunk, last))];
}

/**
 * `sealFile` over WebCrypto: the chunks are sealed concurrently, in the same bytes.
 * @throws as `sealFile` (as a rejected promise)
 */
export async function sealFileAsync(key: SealKey, data: Uint8Array, chunkSize: number = CHUNK_SIZE): Promise<Uint8Array[]> {
  const s = new ChunkSealer('file', key);
  return [s.header, ...(await Promise.all(eachChunk(data, chunkSize, (chunk, last) => s.sealAsync(chunk, last))))];
}

/** `seal(chunk, last)` over `data` cut into `chunkSize` pieces; an empty file is one empty last chunk. */
function eachChunk<T>(data: Uint8Array, chunkSize: number, seal: (chunk: Uint8Array, last: boolean) => T): T[] {
  abytes(data, 'data');
  aint(chunkSize, 'chunkSize', 1, MAX_CHUNK_SIZE);
  const out: T[] = [];
  let pos = 0;
  do {
    const end = Math.min(pos + chunkSize, data.length);
    out.push(seal(data.subarray(pos, end), end === data.length));
    pos = end;
  } while (pos < data.length);
  return out;
}

/**
 * Opens a file sealed by `sealFile`.
 * @param parts - `[header, chunk0, …]` in order
 * @returns the file contents
 * @throws SealError on any reordered, dropped, extra, tampered or missing chunk
 */
export function openFile(key: SealKey, parts: Uint8Array[]): Uint8Array {
  const o = fileOpener(key, parts);
  const chunks = parts.slice(1).map((c) => o.open(c));
  o.finish();
  return concatBytes(...chunks);
}

/**
 * `openFile` over WebCrypto.
 * @throws as `openFile` (as a rejected promise)
 */
export async function openFileAsync(key: SealKey, parts: Uint8Array[]): Promise<Uint8Array> {
  const o = fileOpener(key, parts);
  const chunks = await Promise.all(parts.slice(1).map((c) => o.openAsync(c)));
  o.finish();
  return concatBytes(...chunks);
}

function fileOpener(key: SealKey, parts: Uint8Array[]): ChunkOpener {
  if (!Array.isArray(parts)) throw new TypeError('parts: expected array');
  if (parts.length < 2) throw new SealError('truncated', 'parts: expected a header and at least one chunk');
  return new ChunkOpener('file', key, parts[0]!);
}
