/**
 * Opens a downloaded recording in the browser: the sealed bytes stream in, each chunk opens as
 * soon as its frame is whole (container.ts), and the plaintext goes to the video element through
 * Media Source Extensions as it arrives, or into a Blob where MSE cannot take the type.
 *
 * Seeking: MediaRecorder's WebM has no Cues, so the uploader seals its own index as the last
 * chunk (seek-index.ts). The player reads it from the end with two small range requests; a seek
 * outside what is buffered fetches from the chunk whose cluster starts at or before the target
 * (`Range: bytes=<offset>-`), opens it from there (ChunkOpener.seek) and appends from that
 * cluster on. A recording without an index (its browser died before the end) plays straight
 * through, seekable within what has arrived.
 */
import { RecordingOpener } from './container.ts';
import { type IndexEntry, NO_CLUSTER, PREAMBLE, decodeIndex, indexCandidates, indexFrameLength, isIndex } from './seek-index.ts';

export interface Opened {
  /** False when the recording was cut short (its browser stopped mid-way): it plays up to the cut. */
  complete: boolean;
  bytes: number;
}

/** Where the sealed bytes come from: the owner's API or a share link. */
export interface ContentSource {
  /** Client-sealed bytes in the stream. */
  size: number;
  /** @param range - a `Range` header value (`bytes=a-`, `bytes=a-b`, `bytes=-n`), null for all */
  fetch(range: string | null, signal?: AbortSignal): Promise<Response>;
}

/** Suffix read first when looking for the index: 64 KiB holds ~90 minutes of 1 s slices. */
const TAIL_STEPS = [64 * 1024, 1024 * 1024, 4 * 1024 * 1024 + 64];
/** Buffered media kept behind the playhead when the SourceBuffer is full. */
const KEEP_BEHIND_S = 10;
/**
 * A seek that lands just before the first decodable frame (a cluster that does not open with a
 * key frame, or a gap) moves on to it, as far as this: otherwise the video would wait forever.
 */
const MAX_GAP_JUMP_S = 5;

/** Feeds every media chunk (the seek index left out) of `res`'s body, opened by `opener`, to `sink`, in order. */
async function pump(res: Response, opener: RecordingOpener, sink: (chunk: Uint8Array) => void | Promise<void>): Promise<Opened> {
  if (!res.body) throw new Error('empty response');
  const reader = res.body.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunks = opener.push(value);
      // The stream's last chunk is its seek index, not media.
      if (opener.done && chunks.length > 0 && isIndex(chunks[chunks.length - 1]!)) chunks.pop();
      for (const chunk of chunks) {
        bytes += chunk.length;
        if (chunk.length) await sink(chunk);
      }
    }
  } finally {
    reader.releaseLock();
  }
  return { complete: opener.end().complete, bytes };
}

/** Feeds every plaintext media chunk of `res`'s body to `sink`, in order. */
export function openStream(res: Response, recordingId: string, key: Uint8Array, sink: (chunk: Uint8Array) => void | Promise<void>): Promise<Opened> {
  return pump(res, new RecordingOpener(recordingId, key), sink);
}

/** The whole decrypted recording as a Blob (for a download, or a player without MSE). */
export async function decryptToBlob(res: Response, recordingId: string, key: Uint8Array, mimeType: string): Promise<{ blob: Blob } & Opened> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  const opened = await openStream(res, recordingId, key, (c) => void parts.push(c as Uint8Array<ArrayBuffer>));
  return { blob: new Blob(parts, { type: mimeType }), ...opened };
}

async function ranged(src: ContentSource, range: string): Promise<Uint8Array | null> {
  const res = await src.fetch(range);
  if (res.status !== 206) {
    await res.body?.cancel();
    return null;
  }
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Reads the seek index from the end of the stream.
 * @returns the stream's seal header and the index entries, or null when it has none (or it does not open)
 */
export async function loadIndex(src: ContentSource, recordingId: string, key: Uint8Array): Promise<{ header: Uint8Array; entries: IndexEntry[] } | null> {
  if (src.size < PREAMBLE + indexFrameLength(0)) return null;
  const pre = await ranged(src, `bytes=0-${PREAMBLE - 1}`);
  if (!pre) return null;
  const start = new RecordingOpener(recordingId, key);
  start.push(pre);
  const header = start.header;
  if (!header) return null;
  for (const step of TAIL_STEPS) {
    const n = Math.min(step, src.size - PREAMBLE);
    const tail = await ranged(src, `bytes=-${n}`);
    if (!tail) return null;
    for (const c of indexCandidates(tail, src.size)) {
      try {
        const o = RecordingOpener.resume(recordingId, key, header, c.count);
        const plain = o.push(c.frame)[0];
        const entries = o.done && plain ? decodeIndex(plain) : null;
        const last = entries?.[entries.length - 1];
        // The frames it lists must end exactly where the index frame begins.
        const end = last ? last.offset + 4 + last.sealedLength : PREAMBLE;
        if (entries && entries.length === c.count && end === src.size - indexFrameLength(c.count)) return { header, entries };
      } catch {
        // Not the index frame: a length that only looked right.
      }
    }
    if (n === src.size - PREAMBLE) break;
  }
  return null;
}

/** The entry to start from for time `ms`: the last chunk whose first cluster starts at or before it. */
export function entryFor(entries: readonly IndexEntry[], ms: number): number {
  let best = -1;
  for (const [i, e] of entries.entries()) {
    if (e.clusterOffset === NO_CLUSTER) continue;
    if (e.clusterTimeMs > ms) break;
    best = i;
  }
  return best;
}

const once = (t: EventTarget, name: string) => new Promise<void>((r) => t.addEventListener(name, () => r(), { once: true }));

function isBuffered(sb: SourceBuffer, t: number): boolean {
  for (let i = 0; i < sb.buffered.length; i++) if (t >= sb.buffered.start(i) && t < sb.buffered.end(i) - 0.1) return true;
  return false;
}

/** Appends, making room behind the playhead when the SourceBuffer is full (memory stays bounded on long recordings). */
async function appendWithRoom(video: HTMLVideoElement, sb: SourceBuffer, chunk: Uint8Array): Promise<void> {
  for (let tries = 0; ; tries++) {
    if (sb.updating) await once(sb, 'updateend');
    try {
      sb.appendBuffer(chunk as Uint8Array<ArrayBuffer>);
      await once(sb, 'updateend');
      return;
    } catch (err) {
      if (!(err instanceof DOMException && err.name === 'QuotaExceededError') || tries > 100) throw err;
      const behind = video.currentTime - KEEP_BEHIND_S;
      if (sb.buffered.length > 0 && sb.buffered.start(0) < behind) {
        sb.remove(0, behind);
        await once(sb, 'updateend');
      } else await once(video, 'timeupdate');
    }
  }
}

class Superseded extends Error {}

/**
 * Plays a recording in `video` while it downloads, seekable through the recording's index.
 * @param durationMs - the recording's length, so the timeline shows all of it before it has arrived
 * @returns once a download has reached the end of the recording (the first, or the one a seek started)
 */
export async function playInto(
  video: HTMLVideoElement,
  src: ContentSource,
  recordingId: string,
  key: Uint8Array,
  mimeType: string,
  durationMs: number | null = null,
): Promise<Opened> {
  if (typeof MediaSource === 'undefined' || !MediaSource.isTypeSupported(mimeType)) {
    const { blob, ...opened } = await decryptToBlob(await src.fetch(null), recordingId, key, mimeType);
    video.src = URL.createObjectURL(blob);
    return opened;
  }
  const ms = new MediaSource();
  video.src = URL.createObjectURL(ms);
  await once(ms, 'sourceopen');
  const sb = ms.addSourceBuffer(mimeType);
  const index = loadIndex(src, recordingId, key).catch(() => null);
  let run = 0;
  let controller: AbortController | null = null;
  let finished: (o: Opened) => void = () => {};
  let failed: (e: unknown) => void = () => {};
  const result = new Promise<Opened>((resolve, reject) => ((finished = resolve), (failed = reject)));

  const stream = async (from: { entry: IndexEntry; index: number; header: Uint8Array } | null) => {
    const mine = ++run;
    controller?.abort();
    const ctl = new AbortController();
    controller = ctl;
    try {
      const res = await src.fetch(from ? `bytes=${from.entry.offset}-` : null, ctl.signal);
      const opener = from ? RecordingOpener.resume(recordingId, key, from.header, from.index) : new RecordingOpener(recordingId, key);
      let skip = from ? from.entry.clusterOffset : 0;
      const opened = await pump(res, opener, async (chunk) => {
        if (mine !== run) throw new Superseded();
        // A seek starts at the cluster, not at the slice boundary (which may fall inside one).
        const media = chunk.subarray(Math.min(skip, chunk.length));
        skip = 0;
        if (media.length) await appendWithRoom(video, sb, media);
        if (durationMs && ms.readyState === 'open' && !sb.updating && !Number.isFinite(ms.duration)) {
          try {
            ms.duration = durationMs / 1000;
          } catch {
            // More is buffered than the recorded length says: the browser's own figure stands.
          }
        }
      });
      if (mine !== run) return;
      if (ms.readyState === 'open') {
        if (sb.updating) await once(sb, 'updateend');
        ms.endOfStream();
      }
      finished(opened);
    } catch (err) {
      if (err instanceof Superseded || mine !== run) return;
      failed(err);
    }
  };

  // Jump over a gap the seek landed in: the next buffered range starts a little after the target.
  sb.addEventListener('updateend', () => {
    if (!video.seeking || isBuffered(sb, video.currentTime)) return;
    const t = video.currentTime;
    for (let i = 0; i < sb.buffered.length; i++) {
      const start = sb.buffered.start(i);
      if (start > t && start - t <= MAX_GAP_JUMP_S) {
        video.currentTime = start + 0.001;
        return;
      }
    }
  });

  video.addEventListener('seeking', () => {
    const t = video.currentTime;
    if (isBuffered(sb, t)) return;
    void index.then((idx) => {
      if (!idx || video.currentTime !== t) return;
      const k = entryFor(idx.entries, t * 1000);
      if (k < 0) return;
      // Whatever the parser holds belongs to the old position: the next bytes start a new cluster.
      run++;
      controller?.abort();
      if (ms.readyState === 'open') sb.abort();
      void stream({ entry: idx.entries[k]!, index: k, header: idx.header });
    });
  });
  void stream(null);
  return result;
}

/** Saves a Blob as a file through a temporary link. */
export function saveBlob(blob: Blob, filename: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}
