/**
 * Local recording: a canvas composites the decrypted videos on screen (tiles and shared
 * screens) and WebAudio mixes every participant's decrypted audio with our microphone; a
 * MediaRecorder turns both into a .webm kept in this browser until it is saved. Nothing leaves
 * the device, so nothing here needs sealing.
 */

export interface RecordingSources {
  /** The <video> elements to draw, in order (screens first look best). */
  videos(): HTMLVideoElement[];
  /** Audio tracks to mix (remote audio and our microphone while it is on). */
  audio(): MediaStreamTrack[];
}

export const RECORDING_SIZE = { width: 1280, height: 720 };
const FPS = 15;

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

export class LocalRecording {
  #state = $state<'idle' | 'recording'>('idle');
  #startedAt = $state(0);
  #bytes = $state(0);
  #recorder: MediaRecorder | null = null;
  #chunks: Blob[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #audioCtx: AudioContext | null = null;
  #mixed = new Map<string, MediaStreamAudioSourceNode>();

  get recording(): boolean {
    return this.#state === 'recording';
  }
  get startedAt(): number {
    return this.#startedAt;
  }
  /** Bytes recorded so far. */
  get bytes(): number {
    return this.#bytes;
  }
  static get supported(): boolean {
    return recordingMime() !== null && typeof HTMLCanvasElement !== 'undefined' && 'captureStream' in HTMLCanvasElement.prototype;
  }

  start(sources: RecordingSources): boolean {
    const mime = recordingMime();
    if (this.#state === 'recording' || !mime) return false;
    const canvas = document.createElement('canvas');
    canvas.width = RECORDING_SIZE.width;
    canvas.height = RECORDING_SIZE.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) return false;
    const audioCtx = new AudioContext();
    const dest = audioCtx.createMediaStreamDestination();
    this.#audioCtx = audioCtx;
    const mix = () => {
      const tracks = sources.audio().filter((t) => t.readyState === 'live');
      const ids = new Set(tracks.map((t) => t.id));
      for (const [id, node] of this.#mixed) if (!ids.has(id)) (node.disconnect(), this.#mixed.delete(id));
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
    const stream = new MediaStream([...canvas.captureStream(FPS).getVideoTracks(), ...dest.stream.getAudioTracks()]);
    const recorder = new MediaRecorder(stream, { mimeType: mime, videoBitsPerSecond: 2_500_000 });
    this.#chunks = [];
    this.#bytes = 0;
    recorder.ondataavailable = (e) => {
      if (e.data.size === 0) return;
      this.#chunks.push(e.data);
      this.#bytes += e.data.size;
    };
    recorder.start(1000);
    this.#recorder = recorder;
    this.#startedAt = Date.now();
    this.#state = 'recording';
    return true;
  }

  /** Stops and returns the recording (null if none was running). */
  async stop(): Promise<Blob | null> {
    const recorder = this.#recorder;
    if (!recorder) return null;
    const done = new Promise<void>((resolve) => (recorder.onstop = () => resolve()));
    recorder.stop();
    await done;
    clearInterval(this.#timer);
    for (const t of recorder.stream.getTracks()) t.stop();
    for (const node of this.#mixed.values()) node.disconnect();
    this.#mixed.clear();
    void this.#audioCtx?.close();
    this.#audioCtx = null;
    this.#recorder = null;
    this.#state = 'idle';
    const blob = new Blob(this.#chunks, { type: 'video/webm' });
    this.#chunks = [];
    return blob;
  }
}
