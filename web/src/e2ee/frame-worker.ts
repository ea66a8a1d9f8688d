/**
 * The logic of the E2EE frame worker, free of any worker global so that tests can drive it
 * with in-memory streams (crypto/test/worker.test.ts). worker.ts binds one instance to the
 * worker scope. It is a thin adapter: all cryptography is in @sealroom/crypto.
 *
 * Rules it enforces:
 * - every outgoing frame is sealed; with no send key yet (or a frame too short for its codec)
 *   the frame is dropped, never sent in clear;
 * - an incoming frame that does not open is dropped, never passed on (a VP8 decoder fed
 *   ciphertext fails and makes the receiver ask for key frames; Opus plays it as noise);
 * - a video receiver that dropped frames for want of a key asks its sender for a key frame as
 *   soon as a key arrives: the frames after it are deltas its decoder cannot use, and the
 *   browser would ask only after its own key-frame timeout.
 */
import { FrameOpener, FrameSealer, type Codec } from '@sealroom/crypto/frame-transform';

/** What the worker needs of RTCEncodedVideoFrame / RTCEncodedAudioFrame. */
export type EncodedFrameLike = { data: ArrayBuffer };

/** Messages from the main thread (E2ee manager) to the worker. */
export type WorkerIn =
  | { kind: 'init'; senderIndex: number }
  | { kind: 'setSendKey'; epoch: number; key: Uint8Array }
  | { kind: 'setRecvKey'; senderIndex: number; epoch: number; key: Uint8Array }
  | { kind: 'removeSender'; senderIndex: number }
  | { kind: 'stats'; id?: number }
  | { kind: 'streams'; role: 'send' | 'recv'; codec: Codec; readable: ReadableStream<EncodedFrameLike>; writable: WritableStream<EncodedFrameLike> };

/** Counters: `sealed` counts every frame that left through the sealer (the test hook). */
export type FrameStats = {
  sealed: number;
  opened: number;
  dropped: number;
  sendDropped: number;
  noKey: number;
  replayed: number;
  invalid: number;
  keyFrameRequests: number;
};
export type WorkerOut = { kind: 'stats'; id?: number } & FrameStats;

/** Options a transform is created with (RTCRtpScriptTransform options or the fallback message). */
export type TransformOptions = { role: 'send' | 'recv'; codec: Codec };

/** Asks the remote sender for a key frame (RTCRtpScriptTransformer.sendKeyFrameRequest). */
export type KeyFrameRequester = () => Promise<unknown>;

const CODECS: readonly string[] = ['vp8', 'vp9', 'opus'];

/** Checks transform options coming from another thread. */
export function parseTransformOptions(o: unknown): TransformOptions | null {
  if (typeof o !== 'object' || o === null) return null;
  const { role, codec } = o as Record<string, unknown>;
  if ((role !== 'send' && role !== 'recv') || typeof codec !== 'string' || !CODECS.includes(codec)) return null;
  return { role, codec: codec as Codec };
}

/** One worker's frame state: one sealer (created by `init`) and one opener. */
export class FrameWorker {
  #sealer: FrameSealer | null = null;
  #opener: FrameOpener;
  /** A send key that arrived before `init`: applied as soon as the sender index is known. */
  #earlySendKey: { epoch: number; key: Uint8Array } | null = null;
  #sendDropped = 0;
  /** Video receivers that dropped a frame for want of a key since the last key arrived. */
  #starved = new Set<KeyFrameRequester>();
  #keyFrameRequests = 0;

  constructor(opts: { now?: () => number } = {}) {
    this.#opener = new FrameOpener(opts.now ? { now: opts.now } : {});
  }

  /** Handles one main-thread message; returns the reply to post, if any. */
  handleMessage(msg: WorkerIn): WorkerOut | null {
    switch (msg.kind) {
      case 'init':
        this.#sealer = new FrameSealer(msg.senderIndex);
        if (this.#earlySendKey) this.#sealer.setKey(this.#earlySendKey.epoch, this.#earlySendKey.key);
        this.#earlySendKey = null;
        return null;
      case 'setSendKey':
        if (this.#sealer) this.#sealer.setKey(msg.epoch, msg.key);
        else this.#earlySendKey = { epoch: msg.epoch, key: msg.key };
        return null;
      case 'setRecvKey':
        this.#opener.setKey(msg.senderIndex, msg.epoch, msg.key);
        this.#requestKeyFrames();
        return null;
      case 'removeSender':
        this.#opener.removeSender(msg.senderIndex);
        return null;
      case 'stats':
        return { kind: 'stats', ...(msg.id === undefined ? {} : { id: msg.id }), ...this.stats() };
      case 'streams': {
        const opts = parseTransformOptions(msg);
        if (opts) void this.attach(opts, msg.readable, msg.writable);
        return null;
      }
      default:
        return null;
    }
  }

  #requestKeyFrames(): void {
    for (const request of this.#starved) {
      this.#keyFrameRequests++;
      request().catch(() => {
        // The receiver went away, or the browser refused; its own timeout asks later.
      });
    }
    this.#starved.clear();
  }

  stats(): FrameStats {
    const o = this.#opener.stats;
    return {
      keyFrameRequests: this.#keyFrameRequests,
      sealed: this.#sealer?.stats.sealed ?? 0,
      opened: o.opened,
      dropped: o.dropped,
      sendDropped: this.#sendDropped,
      noKey: o.noKey,
      replayed: o.replayed,
      invalid: o.invalid,
    };
  }

  /**
   * A TransformStream that seals (role 'send') or opens (role 'recv') frames of one codec.
   * @param requestKeyFrame - for a video receiver, how to ask its sender for a key frame
   */
  transform(opts: TransformOptions, requestKeyFrame?: KeyFrameRequester): TransformStream<EncodedFrameLike, EncodedFrameLike> {
    const { role, codec } = opts;
    const video = codec !== 'opus';
    return new TransformStream<EncodedFrameLike, EncodedFrameLike>({
      transform: async (frame, controller) => {
        const data = new Uint8Array(frame.data);
        if (role === 'send') {
          const sealer = this.#sealer;
          if (!sealer) {
            this.#sendDropped++;
            return;
          }
          let out: Uint8Array;
          try {
            out = await sealer.sealAsync(codec, data);
          } catch {
            this.#sendDropped++; // no key yet, or not a valid frame: never send it in clear
            return;
          }
          frame.data = exactBuffer(out);
          controller.enqueue(frame);
        } else {
          // A missing key is found before the first await, so the count tells this frame's fate.
          const noKey = this.#opener.stats.noKey;
          const opening = this.#opener.openAsync(codec, data);
          if (video && requestKeyFrame && this.#opener.stats.noKey > noKey) this.#starved.add(requestKeyFrame);
          const out = await opening;
          if (!out) return; // counted by the opener
          frame.data = exactBuffer(out);
          controller.enqueue(frame);
        }
      },
    });
  }

  /** Pipes an encoded-frame stream pair through `transform`. Resolves when the stream ends. */
  async attach(
    opts: TransformOptions,
    readable: ReadableStream<EncodedFrameLike>,
    writable: WritableStream<EncodedFrameLike>,
    requestKeyFrame?: KeyFrameRequester,
  ): Promise<void> {
    try {
      await readable.pipeThrough(this.transform(opts, requestKeyFrame)).pipeTo(writable);
    } catch {
      // The browser closes these streams when a sender or receiver goes away; nothing to do.
    } finally {
      if (requestKeyFrame) this.#starved.delete(requestKeyFrame);
    }
  }
}

function exactBuffer(b: Uint8Array): ArrayBuffer {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : (b.slice().buffer as ArrayBuffer);
}
