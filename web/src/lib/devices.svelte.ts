/**
 * Local capture: the camera and microphone tracks this client sends, the device lists for
 * the pickers, the microphone level meter and the speaker choice. The pre-join check and
 * the call share one instance, so joining never opens the devices a second time.
 */
import { CAMERA_CONSTRAINTS } from './media.svelte.ts';

export type DeviceError = 'denied' | 'unavailable' | null;

export interface DeviceOption {
  id: string;
  /** The browser's label; empty when it gives none (the picker then shows a numbered name). */
  label: string;
  /** 1-based position within its kind. */
  n: number;
}

export interface DeviceLists {
  cameras: DeviceOption[];
  microphones: DeviceOption[];
  speakers: DeviceOption[];
}

/**
 * Sorts `enumerateDevices()` output into the three pickers. Entries without an id (no
 * permission yet) and Chromium's duplicate "default"/"communications" aliases are left out.
 */
export function groupDevices(devices: readonly Pick<MediaDeviceInfo, 'deviceId' | 'kind' | 'label'>[]): DeviceLists {
  const out: DeviceLists = { cameras: [], microphones: [], speakers: [] };
  const lists: Record<MediaDeviceKind, DeviceOption[]> = { videoinput: out.cameras, audioinput: out.microphones, audiooutput: out.speakers };
  for (const d of devices) {
    if (!d.deviceId || d.deviceId === 'default' || d.deviceId === 'communications') continue;
    const list = lists[d.kind];
    if (!list || list.some((o) => o.id === d.deviceId)) continue;
    list.push({ id: d.deviceId, label: d.label, n: list.length + 1 });
  }
  return out;
}

/**
 * Level 0..1 from an analyser's time-domain bytes (128 = silence): RMS, scaled so that
 * normal speech (RMS around 0.1 of full scale) fills most of the meter.
 */
export function levelFromSamples(samples: Uint8Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const s of samples) {
    const v = (s - 128) / 128;
    sum += v * v;
  }
  const rms = Math.sqrt(sum / samples.length);
  return Math.min(1, rms * 5);
}

function errorKind(err: unknown): DeviceError {
  const name = err instanceof DOMException || err instanceof Error ? err.name : '';
  return name === 'NotAllowedError' || name === 'SecurityError' ? 'denied' : 'unavailable';
}

export class LocalDevices {
  #audio = $state.raw<MediaStreamTrack | null>(null);
  #video = $state.raw<MediaStreamTrack | null>(null);
  #lists = $state.raw<DeviceLists>({ cameras: [], microphones: [], speakers: [] });
  #error = $state<DeviceError>(null);
  #level = $state(0);
  #started = $state(false);
  cameraId = $state('');
  microphoneId = $state('');
  speakerId = $state('');

  #meter: { ctx: AudioContext; raf: number } | null = null;
  /** Called when a picker swaps a track, so the call can replace what it sends. */
  onTrackChanged: ((kind: 'audio' | 'video', track: MediaStreamTrack) => void) | null = null;

  get audioTrack(): MediaStreamTrack | null {
    return this.#audio;
  }
  get videoTrack(): MediaStreamTrack | null {
    return this.#video;
  }
  get lists(): DeviceLists {
    return this.#lists;
  }
  get error(): DeviceError {
    return this.#error;
  }
  /** Microphone level, 0..1, updated every animation frame while the meter runs. */
  get level(): number {
    return this.#level;
  }
  get started(): boolean {
    return this.#started;
  }

  #starting: Promise<void> | null = null;

  /** Opens camera and microphone; falls back to whichever one works. Never throws. A second call waits for the first. */
  start(): Promise<void> {
    if (this.#started && this.#starting) return this.#starting;
    if (this.#started) return Promise.resolve();
    this.#started = true;
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const md = navigator.mediaDevices;
    if (!md?.getUserMedia) {
      this.#error = 'unavailable';
      return;
    }
    await this.#open(md);
    // A remembered camera or microphone that is gone (unplugged, or the browser's ids changed):
    // the default devices instead, rather than none.
    if (this.#error === 'unavailable' && (this.cameraId || this.microphoneId)) {
      for (const track of [this.#audio, this.#video]) track?.stop();
      this.#audio = this.#video = null;
      this.cameraId = this.microphoneId = '';
      await this.#open(md);
    }
    await this.refreshLists();
    md.addEventListener?.('devicechange', this.#onDeviceChange);
  }

  async #open(md: MediaDevices): Promise<void> {
    try {
      const stream = await md.getUserMedia({ audio: this.#audioConstraints(), video: this.#videoConstraints() });
      this.#setTrack('audio', stream.getAudioTracks()[0] ?? null);
      this.#setTrack('video', stream.getVideoTracks()[0] ?? null);
      this.#error = null;
    } catch (err) {
      this.#error = errorKind(err);
      // One of the two may still work (no camera attached, camera busy in another app).
      for (const kind of ['audio', 'video'] as const) {
        try {
          const s = await md.getUserMedia(kind === 'audio' ? { audio: this.#audioConstraints() } : { video: this.#videoConstraints() });
          this.#setTrack(kind, s.getTracks()[0] ?? null);
        } catch {
          // Keep the first error; this kind stays off.
        }
      }
    }
  }

  refreshLists = async (): Promise<void> => {
    try {
      const all = await navigator.mediaDevices.enumerateDevices();
      this.#lists = groupDevices(all);
    } catch {
      // Lists stay as they were.
    }
    this.cameraId ||= this.#video?.getSettings().deviceId ?? '';
    this.microphoneId ||= this.#audio?.getSettings().deviceId ?? '';
  };

  #onDeviceChange = (): void => {
    void this.refreshLists();
  };

  /** Switches to another camera or microphone; the old track stops after the new one is live. */
  async use(kind: 'audio' | 'video', deviceId: string): Promise<void> {
    if (kind === 'audio') this.microphoneId = deviceId;
    else this.cameraId = deviceId;
    try {
      const s = await navigator.mediaDevices.getUserMedia(kind === 'audio' ? { audio: this.#audioConstraints() } : { video: this.#videoConstraints() });
      const track = s.getTracks()[0];
      if (!track) return;
      const old = kind === 'audio' ? this.#audio : this.#video;
      if (old) track.enabled = old.enabled;
      this.#setTrack(kind, track);
      old?.stop();
      this.onTrackChanged?.(kind, track);
    } catch (err) {
      this.#error = errorKind(err);
    }
  }

  /** Starts the level meter on the current microphone track. */
  startMeter(): void {
    this.stopMeter();
    const track = this.#audio;
    if (!track || typeof AudioContext === 'undefined') return;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    ctx.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const buf = new Uint8Array(analyser.fftSize);
    const tick = () => {
      analyser.getByteTimeDomainData(buf);
      // Smooth the fall so the meter does not flicker between words.
      const next = levelFromSamples(buf);
      this.#level = next >= this.#level ? next : this.#level * 0.85 + next * 0.15;
      if (this.#meter) this.#meter.raf = requestAnimationFrame(tick);
    };
    this.#meter = { ctx, raf: requestAnimationFrame(tick) };
  }

  stopMeter(): void {
    if (!this.#meter) return;
    cancelAnimationFrame(this.#meter.raf);
    void this.#meter.ctx.close();
    this.#meter = null;
    this.#level = 0;
  }

  /** Plays a short tone on the chosen speaker. */
  async testSpeaker(): Promise<void> {
    if (typeof AudioContext === 'undefined') return;
    const ctx = new AudioContext();
    const sink = (ctx as AudioContext & { setSinkId?: (id: string) => Promise<void> }).setSinkId;
    if (this.speakerId && sink) await sink.call(ctx, this.speakerId).catch(() => {});
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 440;
    gain.gain.setValueAtTime(0.2, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.8);
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.8);
    osc.onended = () => void ctx.close();
  }

  /** Stops every track and the meter. Safe to call twice. */
  stop(): void {
    this.stopMeter();
    this.#audio?.stop();
    this.#video?.stop();
    this.#audio = null;
    this.#video = null;
    this.#started = false;
    this.#starting = null;
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.#onDeviceChange);
  }

  #setTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): void {
    if (kind === 'audio') {
      this.#audio = track;
      if (this.#meter) this.startMeter();
    } else this.#video = track;
  }

  #audioConstraints(): MediaTrackConstraints {
    return { echoCancellation: true, noiseSuppression: true, autoGainControl: true, ...(this.microphoneId ? { deviceId: { exact: this.microphoneId } } : {}) };
  }

  #videoConstraints(): MediaTrackConstraints {
    return { ...CAMERA_CONSTRAINTS, ...(this.cameraId ? { deviceId: { exact: this.cameraId } } : {}) };
  }
}
