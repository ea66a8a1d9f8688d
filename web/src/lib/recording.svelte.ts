/**
 * Meeting recording in the browser: a canvas composites the decrypted videos on screen (tiles
 * and shared screens) and WebAudio mixes every participant's decrypted audio with our
 * microphone; a MediaRecorder turns both into WebM slices. The slices go either into a file
 * kept on this device (`local`) or, sealed here with a recording key, to the cloud as they are
 * recorded (`cloud`, web/src/recordings/uploader.ts). The room is told before the first frame
 * is recorded (Meeting.announceRecording), so everyone sees the indicator.
 */
import type { RecordingView } from '@sealroom/protocol';
import { RecordingUploader, type UploadStats } from '../recordings/uploader.ts';

export interface RecordingSources {
  /** The <video> elements to draw, in order (screens first look best). */
  videos(): HTMLVideoElement[];
  /** Audio tracks to mix (remote audio and our microphone while it is on). */
  audio(): MediaStreamTrack[];
}

export type RecordTarget = 'local' | 'cloud';
export type RecorderState = 'idle' | 'starting' | 'recording' | 'saving';
export type RecordingResult = { target: 'local'; blob: Blob } | { target: 'cloud'; recording: RecordingView };

export const RECORDING_SIZE = { width: 1280, height: 720 };
const FPS = 15;
/** MediaRecorder slice length: a cloud recording loses at most this much when the tab dies between slices. */
export const SLICE_MS = 1000;
/**
 * A key frame (and so a new WebM cluster) every second: the player can start decoding at any
 * second of a recording it fetches by range, at a few percent more bytes than the default.
 */
const KEY_FRAME_INTERVAL_MS = 1000;
/**
 * Slices waiting for the uploader past this many bytes pause the recorder (and say so) until
 * the upload catches up: memory stays bounded however slow the network is. 8 MiB is ~25 s of
 * 2.5 Mbit/s video, on top of the uploader's own part buffers.
 */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/** The container/codec pair this browser records, or null when it cannot. */
export function recordingMime(): string | null {
  if (typeof MediaRecorder === 'undefined') return null;
  for (const m of ['video/webm;codecs=vp8,opus', 'video/webm;codecs=vp9,opus', 'video/webm']) if (MediaRecorder.isTypeSupported(m)) return m;
  return null;
}

/** Grid cells for n videos in a w×h frame. */
export function cells(n: number, w: number, h: number): { x: number; y: number; w: number; h: number }[] {
  if (n === 0) return [];
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const cw = w / cols;
  const ch = h / rows;
  return Array.from({ length: n }, (_, i) => ({ x: (i % cols) * cw, y: Math.floor(i / cols) * ch, w: cw, h: ch }));
}

/** The composed meeting as one stream: a canvas redrawn on a timer plus an audio mix that follows who is present. */
class Composite {
  readonly stream: MediaStream;
  #timer: ReturnType<typeof setInterval>;
  #audioCtx: AudioContext;
  #mixed = new Map<string, MediaStreamAudioSourceNode>();

  constructor(sources: RecordingSources, ctx: CanvasRenderingContext2D) {
    const canvas = ctx.canvas;
    const audioCtx = new AudioContext();
    const dest = audioCtx.createMediaStreamDestination();
    this.#audioCtx = audioCtx;
    const mix = () => {
      const tracks = sources.audio().filter((t) => t.readyState === 'live');
      const ids = new Set(tracks.map((t) => t.id));
      for (const [id, node] of this.#mixed) {
        if (ids.has(id)) continue;
        node.disconnect();
        this.#mixed.delete(id);
      }
      for (const t of tracks) {
        if (this.#mixed.has(t.id)) continue;
        const node = audioCtx.createMediaStreamSource(new MediaStream([t]));
        node.connect(dest);
        this.#mixed.set(t.id, node);
      }
    };
    const draw = () => {
      ctx.fillStyle = '#111';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      const videos = sources.videos().filter((v) => v.readyState >= 2 && v.videoWidth > 0);
      cells(videos.length, canvas.width, canvas.height).forEach((c, i) => {
        const v = videos[i]!;
        const scale = Math.min(c.w / v.videoWidth, c.h / v.videoHeight);
        const w = v.videoWidth * scale;
        const h = v.videoHeight * scale;
        ctx.drawImage(v, c.x + (c.w - w) / 2, c.y + (c.h - h) / 2, w, h);
      });
    };
    mix();
    draw();
    // A timer, not requestAnimationFrame: the recording goes on while the tab is in the background.
    let tick = 0;
    this.#timer = setInterval(() => {
      draw();
      if (++tick % FPS === 0) mix();
    }, 1000 / FPS);
    this.stream = new MediaStream([...(canvas as HTMLCanvasElement).captureStream(FPS).getVideoTracks(), ...dest.stream.getAudioTracks()]);
  }

  close(): void {
    clearInterval(this.#timer);
    for (const t of this.stream.getTracks()) t.stop();
    for (const node of this.#mixed.values()) node.disconnect();
    this.#mixed.clear();
    void this.#audioCtx.close();
  }
}

export interface CloudOptions {
  title: string;
  meetingId: string;
  /** The uploader to use; a test may pass one that talks to another API. */
  createUploader?: (o: { title: string; meetingId: string; mimeType: string; onProgress: (s: UploadStats) => void }) => Promise<RecordingUploader>;
}

export class MeetingRecorder {
  #state = $state<RecorderState>('idle');
  #target = $state<RecordTarget>('local');
  #startedAt = $state(0);
  #bytes = $state(0);
  #uploaded = $state(0);
  #behind = $state(false);
  #error = $state<string | null>(null);
  /** Largest amount of recorded bytes held in this page at once (slices waiting + the uploader's parts). */
  #peakHeld = $state(0);
  #recorder: MediaRecorder | null = null;
  #composite: Composite | null = null;
  #chunks: Blob[] = [];
  #uploader: RecordingUploader | null = null;
  #pending = 0;
  #pushes: Promise<void> = Promise.resolve();

  get state(): RecorderState {
    return this.#state;
  }
  get recording(): boolean {
    return this.#state === 'recording';
  }
  get target(): RecordTarget {
    return this.#target;
  }
  get startedAt(): number {
    return this.#startedAt;
  }
  /** Bytes recorded so far. */
  get bytes(): number {
    return this.#bytes;
  }
  /** Cloud: sealed bytes the edge has acknowledged. */
  get uploaded(): number {
    return this.#uploaded;
  }
  /** Cloud: the recorder is paused because the upload fell behind. */
  get behind(): boolean {
    return this.#behind;
  }
  /** Why the last cloud recording failed, if it did. */
  get error(): string | null {
    return this.#error;
  }
  get peakHeld(): number {
    return this.#peakHeld;
  }
  /** Cloud: the recording's id once it is registered. */
  get recordingId(): string | null {
    return this.#uploader?.recording.id ?? null;
  }
  static get supported(): boolean {
    return recordingMime() !== null && typeof HTMLCanvasElement !== 'undefined' && 'captureStream' in HTMLCanvasElement.prototype;
  }

  /**
   * Starts recording `sources`. For the cloud, the recording is registered (and its key made)
   * first; a failure there (not signed in, storage refused) returns false with `error` set.
   */
  async start(sources: RecordingSources, target: RecordTarget, cloud?: CloudOptions): Promise<boolean> {
    const mime = recordingMime();
    if (this.#state !== 'idle' || !mime) return false;
    const canvas = document.createElement('canvas');
    canvas.width = RECORDING_SIZE.width;
    canvas.height = RECORDING_SIZE.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) return false;
    this.#state = 'starting';
    this.#target = target;
    this.#error = null;
    this.#bytes = 0;
    this.#uploaded = 0;
    this.#peakHeld = 0;
    this.#chunks = [];
    if (target === 'cloud') {
      if (!cloud) throw new TypeError('cloud: options required for a cloud recording');
      try {
        const onProgress = (s: UploadStats) => {
          this.#uploaded = s.partsUploaded === 0 ? 0 : Math.min(s.bytesSealed, s.partsUploaded * this.#uploader!.recording.partSize);
          this.#peakHeld = Math.max(this.#peakHeld, this.#pending + s.peakBuffered);
        };
        const make = cloud.createUploader ?? ((o) => RecordingUploader.create(o));
        this.#uploader = await make({ title: cloud.title, meetingId: cloud.meetingId, mimeType: mime, onProgress });
      } catch (err) {
        this.#error = err instanceof Error ? err.message : String(err);
        this.#state = 'idle';
        return false;
      }
    }
    const composite = new Composite(sources, ctx);
    // Chromium reads these two options; other browsers ignore them (and cut clusters their own way).
    const options = { mimeType: mime, videoBitsPerSecond: 2_500_000, videoKeyFrameIntervalDuration: KEY_FRAME_INTERVAL_MS } as MediaRecorderOptions;
    const recorder = new MediaRecorder(composite.stream, options);
    recorder.ondataavailable = (e) => {
      if (e.data.size === 0) return;
      this.#bytes += e.data.size;
      if (this.#uploader) this.#toCloud(this.#uploader, recorder, e.data);
      else this.#chunks.push(e.data);
    };
    recorder.start(SLICE_MS);
    this.#recorder = recorder;
    this.#composite = composite;
    this.#startedAt = Date.now();
    this.#state = 'recording';
    return true;
  }

  /** Hands a slice to the uploader; pauses the recorder while too much waits for the network. */
  #toCloud(uploader: RecordingUploader, recorder: MediaRecorder, slice: Blob): void {
    const size = slice.size;
    this.#pending += size;
    this.#peakHeld = Math.max(this.#peakHeld, this.#pending + uploader.stats.peakBuffered);
    if (this.#pending > MAX_PENDING_BYTES && recorder.state === 'recording') {
      recorder.pause();
      this.#behind = true;
    }
    const pushed = uploader.push(slice).finally(() => {
      this.#pending -= size;
      if (this.#behind && this.#pending < MAX_PENDING_BYTES / 2 && recorder.state === 'paused') {
        recorder.resume();
        this.#behind = false;
      }
    });
    pushed.catch((err: unknown) => {
      this.#error ??= err instanceof Error ? err.message : String(err);
    });
    this.#pushes = this.#pushes.then(() => pushed).catch(() => undefined);
  }

  /**
   * Stops and returns the recording: a local file, or the completed cloud recording (its upload
   * finished here). Null if nothing was running; throws when the cloud upload failed.
   * @param captureEnded - called once nothing more is captured, before the upload finishes
   */
  async stop(captureEnded?: () => void): Promise<RecordingResult | null> {
    const recorder = this.#recorder;
    if (!recorder || this.#state !== 'recording') return null;
    this.#state = 'saving';
    const done = new Promise<void>((resolve) => (recorder.onstop = () => resolve()));
    recorder.stop();
    await done;
    this.#composite?.close();
    this.#composite = null;
    this.#recorder = null;
    this.#behind = false;
    captureEnded?.();
    const uploader = this.#uploader;
    const durationMs = Date.now() - this.#startedAt;
    try {
      if (!uploader) {
        const blob = new Blob(this.#chunks, { type: 'video/webm' });
        return { target: 'local', blob };
      }
      await this.#pushes;
      if (this.#error) throw new Error(this.#error);
      const recording = await uploader.finish(durationMs);
      this.#uploaded = recording.size;
      return { target: 'cloud', recording };
    } catch (err) {
      this.#error ??= err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      this.#chunks = [];
      this.#uploader = null;
      this.#state = 'idle';
    }
  }
}
