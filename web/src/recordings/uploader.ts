/**
 * Cloud recording from the browser: takes MediaRecorder chunks, seals each with a fresh
 * recording key (container.ts → crypto/ seal.ts), and uploads the sealed stream to
 * /api/recordings in parts of exactly `RECORDING_PART_SIZE` bytes (R2 multipart wants equal parts).
 *
 * Resumable: a part that fails is retried with backoff; before each retry the uploader asks the
 * edge which parts arrived (a lost answer is not a lost part). Bounded memory: at most one part
 * being filled plus MAX_QUEUED_PARTS waiting; when the network falls behind that far, `push()`
 * waits, which the caller sees as backpressure (`backlog`).
 *
 * If this browser dies mid-recording, what reached the edge stays: its sweep completes the
 * upload with the parts that arrived, and the player plays up to there.
 * @example
 * const up = await RecordingUploader.create({ title: 'Standup', mimeType: rec.mimeType });
 * rec.ondataavailable = (e) => up.push(e.data);
 * rec.onstop = () => up.finish(Date.now() - started);
 */
import type { RecordingView } from '@sealroom/protocol';
import { RecordingsApi } from './api.ts';
import { RecordingSealer } from './container.ts';
import { wrapRecordingKey } from './keyring.ts';
import { NO_CLUSTER, PREAMBLE, encodeIndex } from './seek-index.ts';
import { firstCluster } from './webm.ts';

/** Container bytes per sealed chunk: MediaRecorder slices are usually far smaller; a big Blob is split so one chunk never nears seal.ts's 4 MiB cap. */
const MAX_PLAIN_CHUNK = 1024 * 1024;
/** Parts waiting for the network before push() waits: 3 × 5 MiB, about two minutes of 1 Mbit/s video. */
const MAX_QUEUED_PARTS = 3;
/** Largest seek index sealed in the last chunk (12 bytes an entry): ~97 hours of 1 s slices; longer recordings play without it. */
const MAX_INDEX_ENTRIES = 349_000;
/**
 * How often the part being filled is sent as a tail (edge tails.ts): a tab that closes loses at
 * most this much plus one slice, where without it a low-bitrate meeting could lose minutes.
 */
const TAIL_INTERVAL_MS = 2000;
/** Retries of one part before the upload gives up; backoff doubles from 500 ms up to 10 s (~1 min in all). */
const MAX_ATTEMPTS = 9;

export interface UploaderOptions {
  title: string;
  mimeType: string;
  meetingId?: string | null;
  api?: RecordingsApi;
  /** A test may shrink it; the edge accepts any size ≤ its own, the last part may be shorter. */
  partSize?: number;
  onProgress?: (s: UploadStats) => void;
  /** How the owner keeps the key: this browser's keyring by default; the bench (Node, no IndexedDB) passes its own. */
  wrapKey?: (key: Uint8Array) => Promise<string>;
}

export interface UploadStats {
  bytesIn: number;
  bytesSealed: number;
  partsUploaded: number;
  retries: number;
  /** Parts sealed but not yet acknowledged by the edge. */
  backlog: number;
  /** Largest number of sealed bytes held in memory at once. */
  peakBuffered: number;
  /** Tail segments the edge acknowledged. */
  tails: number;
}

export class UploadError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RecordingUploader {
  readonly recording: RecordingView;
  /** The recording key: for the owner's share links. Never sent to the server in clear. */
  readonly key: Uint8Array;
  #api: RecordingsApi;
  #sealer: RecordingSealer;
  #partSize: number;
  #part: Uint8Array;
  #fill = 0;
  #nextPart = 1;
  #queue: Array<{ n: number; bytes: Uint8Array }> = [];
  #sending: Promise<void> | null = null;
  #failure: Error | null = null;
  #chain: Promise<void> = Promise.resolve();
  #finished = false;
  #onProgress?: (s: UploadStats) => void;
  /** Per data chunk: sealed length, first cluster's offset and time (seek-index.ts), as flat u32 triples. */
  #index: number[] = [];
  /** Bytes of the part being filled already sent as tails, and when the last went. */
  #tailSent = 0;
  #tailAt = 0;
  #tailBusy = false;
  readonly stats: UploadStats = { bytesIn: 0, bytesSealed: 0, partsUploaded: 0, retries: 0, backlog: 0, peakBuffered: 0, tails: 0 };

  private constructor(api: RecordingsApi, recording: RecordingView, key: Uint8Array, partSize: number, onProgress?: (s: UploadStats) => void) {
    this.#api = api;
    this.recording = recording;
    this.key = key;
    this.#sealer = new RecordingSealer(recording.id, key);
    this.#partSize = partSize;
    this.#part = new Uint8Array(partSize);
    // The part being filled is allocated whole from the start.
    this.stats.peakBuffered = partSize;
    this.#onProgress = onProgress;
  }

  /** Makes the recording key, registers the recording (with the key wrapped for this browser only). */
  static async create(o: UploaderOptions): Promise<RecordingUploader> {
    const api = o.api ?? new RecordingsApi();
    const key = crypto.getRandomValues(new Uint8Array(32));
    const recording = await api.create({
      title: o.title,
      mimeType: o.mimeType,
      meetingId: o.meetingId ?? null,
      keyWrap: await (o.wrapKey ?? wrapRecordingKey)(key),
    });
    const partSize = Math.min(o.partSize ?? recording.partSize, recording.partSize);
    return new RecordingUploader(api, recording, key, partSize, o.onProgress);
  }

  /** Adds container bytes (a MediaRecorder `dataavailable` Blob). Calls are serialized; await it for backpressure. */
  push(data: Blob | Uint8Array): Promise<void> {
    const next = this.#chain.then(async () => {
      if (this.#finished) throw new UploadError('recording already finished');
      const bytes = data instanceof Uint8Array ? data : new Uint8Array(await data.arrayBuffer());
      this.stats.bytesIn += bytes.length;
      for (let i = 0; i < bytes.length; i += MAX_PLAIN_CHUNK) {
        const plain = bytes.subarray(i, i + MAX_PLAIN_CHUNK);
        const sealed = this.#sealer.seal(plain, false);
        const cluster = firstCluster(plain);
        // The first chunk also carries the stream preamble, which is not part of its frame.
        const framed = this.#index.length === 0 ? sealed.length - PREAMBLE : sealed.length;
        this.#index.push(framed - 4, cluster?.offset ?? NO_CLUSTER, cluster?.timecode ?? NO_CLUSTER);
        await this.#append(sealed);
      }
      this.#sendTail();
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /**
   * Seals the end marker, uploads what is left, completes.
   * @param durationMs - the recording's length, for the list
   */
  finish(durationMs: number): Promise<RecordingView> {
    const done = this.#chain.then(async () => {
      this.#finished = true;
      // The last chunk is the seek index: MediaRecorder's final slice is not known to be final when it arrives.
      await this.#append(this.#sealer.seal(this.#sealedIndex(), true));
      if (this.#fill > 0) this.#enqueue(this.#part.slice(0, this.#fill));
      this.#part = new Uint8Array(0);
      await this.#drain();
      return this.#api.complete(this.recording.id, { parts: this.#nextPart - 1, durationMs: Math.round(durationMs) });
    });
    this.#chain = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  #sealedIndex(): Uint8Array {
    const n = this.#index.length / 3;
    if (n > MAX_INDEX_ENTRIES) return new Uint8Array(0);
    const f = this.#index;
    return encodeIndex(Array.from({ length: n }, (_, i) => ({ sealedLength: f[3 * i]!, clusterOffset: f[3 * i + 1]!, clusterTimeMs: f[3 * i + 2]! })));
  }

  /** Stops and erases what was uploaded. */
  async abort(): Promise<void> {
    this.#finished = true;
    this.#queue = [];
    await this.#api.remove(this.recording.id).catch(() => undefined);
  }

  async #append(sealed: Uint8Array): Promise<void> {
    if (this.#failure) throw this.#failure;
    this.stats.bytesSealed += sealed.length;
    let pos = 0;
    while (pos < sealed.length) {
      const take = Math.min(this.#partSize - this.#fill, sealed.length - pos);
      this.#part.set(sealed.subarray(pos, pos + take), this.#fill);
      this.#fill += take;
      pos += take;
      if (this.#fill === this.#partSize) {
        this.#enqueue(this.#part);
        this.#part = new Uint8Array(this.#partSize);
        this.#fill = 0;
        this.#tailSent = 0;
        // Backpressure: wait while too many parts are waiting for the network.
        while (this.#queue.length > MAX_QUEUED_PARTS && this.#sending) await this.#sending;
        if (this.#failure) throw this.#failure;
      }
    }
  }

  /** Best effort: a failed tail is sent again with the next one; the part itself is what counts. */
  #sendTail(): void {
    const now = Date.now();
    if (this.#tailBusy || this.#finished || this.#fill <= this.#tailSent || now - this.#tailAt < TAIL_INTERVAL_MS) return;
    const n = this.#nextPart;
    const offset = this.#tailSent;
    // A view, not a copy: a full part is handed to the queue and replaced, never overwritten.
    const bytes = this.#part.subarray(offset, this.#fill);
    this.#tailSent = this.#fill;
    this.#tailAt = now;
    this.#tailBusy = true;
    this.#api
      .putTail(this.recording.id, n, offset, bytes)
      .then(() => void this.stats.tails++)
      .catch(() => {
        if (this.#nextPart === n) this.#tailSent = Math.min(this.#tailSent, offset);
      })
      .finally(() => (this.#tailBusy = false));
  }

  #enqueue(bytes: Uint8Array): void {
    this.#queue.push({ n: this.#nextPart++, bytes });
    this.#note();
    this.#kick();
  }

  /** Starts the sender unless it runs; when it stops with work left (enqueued as it finished), it starts again. */
  #kick(): void {
    if (this.#sending || this.#failure) return;
    this.#sending = this.#pump().finally(() => {
      this.#sending = null;
      if (this.#queue.length) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#sending) await this.#sending;
    if (this.#failure) throw this.#failure;
  }

  async #pump(): Promise<void> {
    while (this.#queue.length && !this.#failure) {
      const head = this.#queue[0]!;
      try {
        await this.#send(head.n, head.bytes);
        this.#queue.shift();
        this.stats.partsUploaded++;
        this.#note();
      } catch (err) {
        this.#failure = err instanceof Error ? err : new UploadError(String(err));
      }
    }
  }

  async #send(n: number, bytes: Uint8Array): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#api.putPart(this.recording.id, n, bytes);
        return;
      } catch (err) {
        if (attempt + 1 >= MAX_ATTEMPTS) throw new UploadError(`part ${n} did not upload after ${MAX_ATTEMPTS} attempts: ${(err as Error).message}`);
        this.stats.retries++;
        await sleep(Math.min(10_000, 500 * 2 ** attempt));
        // The answer may be what was lost, not the part: ask before sending it again.
        const arrived = await this.#api.parts(this.recording.id).catch(() => null);
        if (arrived?.parts.some((p) => p.partNumber === n && p.size === bytes.length)) return;
      }
    }
  }

  #note(): void {
    this.stats.backlog = this.#queue.length;
    this.stats.peakBuffered = Math.max(this.stats.peakBuffered, this.#queue.reduce((s, q) => s + q.bytes.length, 0) + this.#partSize);
    this.#onProgress?.({ ...this.stats });
  }
}
