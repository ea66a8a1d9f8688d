/**
 * The codec-aware SFrame transform that the encoded-transform worker runs on every media
 * frame (RFC 9605 §4.1 "per frame" integration, §9.3 anti-replay, §5.1 ratcheting).
 *
 * Output of the sender: `clearPrefix ‖ SFrame header ‖ ciphertext ‖ tag`. The clear prefix is
 * the few codec bytes the SFU and the browser's depacketizer must read; it is passed as SFrame
 * metadata, so it is authenticated (§9.4) even though it is not encrypted.
 *
 * KID = epoch · 2^16 + sender index (sender index 0..65535 from the server, never reused in a
 * meeting; epoch = the sender's key generation, u32). CTR is one counter per sender that only
 * goes up, across epochs and codecs, so no (key, nonce) pair can repeat (§9.1).
 * @module
 */
import { abytes, aint, abigint } from './_assert.ts';
import { concatBytes } from './bytes.ts';
import { ratchetBaseKey } from './key-schedule.ts';
import {
  AES_256_GCM_SHA512_128,
  decodeHeader,
  deriveSFrameKey,
  openWithKey,
  openWithKeyAsync,
  sealWithKey,
  sealWithKeyAsync,
  type SFrameKey,
} from './sframe.ts';

/** Codecs the transform knows the clear prefix of. */
export type Codec = 'vp8' | 'vp9' | 'opus';
const CODECS: readonly Codec[] = ['vp8', 'vp9', 'opus'];

/**
 * Bytes left in clear per codec, and why (see docs/ARCHITECTURE.md, "Which bytes of a frame stay clear"):
 * - VP8 key frame, 10: the 3-byte frame tag plus the 7-byte key-frame header (start code,
 *   width, height). Chromium's depacketizer reads frame type and size from them and mediasoup
 *   detects key frames from them; without them simulcast layer switching falls apart.
 * - VP8 delta frame, 3: the frame tag (key/delta bit, version, show_frame, partition size).
 * - Opus, 1: the TOC byte (mode, bandwidth, frame count) the receiver's depacketizer inspects.
 * - VP9, 0: mediasoup reads VP9 layer information from the RTP payload descriptor, which the
 *   browser writes outside the encoded frame.
 */
export const UNENCRYPTED_BYTES = { vp8Key: 10, vp8Delta: 3, opus: 1, vp9: 0 } as const;

/** Cipher suite for media: AES_256_GCM_SHA512_128 (docs/ARCHITECTURE.md, "The key schedule"). */
export const MEDIA_SUITE = AES_256_GCM_SHA512_128;

/**
 * Frames at least this large go through WebCrypto in the async paths; smaller ones through
 * noble. Chosen per runtime from docs/bench/crypto.md (both paths produce identical bytes):
 * - browsers (where the media path runs): WebCrypto wins at every size, 100 B audio included
 *   (Chromium 156: 25 µs vs noble's 56 µs), so everything takes it;
 * - Node: its WebCrypto hops to the libuv thread pool, a round trip that costs more than
 *   noble's AES below about 512 B.
 */
export const WEBCRYPTO_MIN_BYTES = isNode() ? 512 : 0;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof p?.versions?.node === 'string';
}

/**
 * How long a sender's previous epoch keeps opening frames after its first frame under a newer
 * epoch was opened: frames sealed just before the switch can still be in flight or sitting in
 * a jitter buffer. Two seconds is far above media jitter and far below a meeting's lifetime.
 */
export const EPOCH_GRACE_MS = 2000;

/**
 * Anti-replay window per KID (RFC 3711 §3.3.2 style). One CTR space is shared by all of a
 * sender's streams (audio, camera layers, screen), so frames of different streams arrive
 * interleaved and skewed by their jitter buffers: 1024 counters covers several seconds of skew
 * at the ~150 frames/s a sender produces across streams.
 */
export const REPLAY_WINDOW = 1024;

/** Receivers derive at most this many §5.1 ratchet steps ahead of a key they hold. */
export const MAX_RATCHET_AHEAD = 8;

/** Keys kept per sender: current, previous (grace) and pending ones from ratchets or rekeys. */
const MAX_EPOCHS_PER_SENDER = 4;

/**
 * Length of the clear prefix of `frame` for `codec`. VP8 key/delta is the P bit, bit 0 of the
 * first byte (RFC 6386 §9.1: 0 = key frame).
 * @throws TypeError on a wrong type; RangeError on an unknown codec
 */
export function clearPrefixLength(codec: Codec, frame: Uint8Array): number {
  acodec(codec);
  abytes(frame, 'frame');
  if (codec === 'opus') return UNENCRYPTED_BYTES.opus;
  if (codec === 'vp9') return UNENCRYPTED_BYTES.vp9;
  if (frame.length === 0) return UNENCRYPTED_BYTES.vp8Delta;
  return (frame[0]! & 1) === 0 ? UNENCRYPTED_BYTES.vp8Key : UNENCRYPTED_BYTES.vp8Delta;
}

function acodec(codec: unknown): Codec {
  if (typeof codec !== 'string') throw new TypeError(`codec: expected string, got ${typeof codec}`);
  if (!CODECS.includes(codec as Codec)) throw new RangeError(`codec: expected one of ${CODECS.join(', ')}, got ${codec}`);
  return codec as Codec;
}

/**
 * The KID for a sender's key epoch: `epoch · 2^16 + senderIndex` (fits in 48 bits, so a KID
 * costs at most 6 header bytes; a young meeting's KIDs fit in 2–3).
 * @param senderIndex - 0..65535
 * @param epoch - 0..2^32-1
 * @throws TypeError / RangeError naming the argument
 * @example kidFor(3, 1) // 0x10003n
 */
export function kidFor(senderIndex: number, epoch: number): bigint {
  aint(senderIndex, 'senderIndex', 0, 0xffff);
  aint(epoch, 'epoch', 0, 0xffff_ffff);
  return (BigInt(epoch) << 16n) | BigInt(senderIndex);
}

/**
 * Inverse of `kidFor`.
 * @throws TypeError if `kid` is not a bigint; RangeError if it is not below 2^48
 */
export function parseKid(kid: bigint): { senderIndex: number; epoch: number } {
  abigint(kid, 'kid', (1n << 48n) - 1n);
  return { senderIndex: Number(kid & 0xffffn), epoch: Number(kid >> 16n) };
}

/** A frame was handed to the sealer before it had a key, or was too short for its codec. */
export class FrameSealError extends Error {
  readonly code: 'no_key' | 'short_frame' | 'counter_exhausted';
  constructor(code: 'no_key' | 'short_frame' | 'counter_exhausted', message: string) {
    super(message);
    this.name = 'FrameSealError';
    this.code = code;
  }
}

/**
 * Seals outgoing frames of one sender. One instance per sender (per worker), shared by all of
 * its RTP senders so that the counter is shared too.
 * @example
 * const sealer = new FrameSealer(3);
 * sealer.setKey(0, baseKey);
 * const wire = sealer.seal('vp8', frame);
 */
export class FrameSealer {
  readonly senderIndex: number;
  readonly stats = { sealed: 0 };
  #suite: number;
  #key: SFrameKey | null = null;
  #epoch: number | null = null;
  #ctr = 0n;

  /**
   * @param senderIndex - this participant's index, 0..65535
   * @param opts.suite - cipher suite, AES_256_GCM_SHA512_128 unless a test says otherwise
   */
  constructor(senderIndex: number, opts: { suite?: number } = {}) {
    this.senderIndex = aint(senderIndex, 'senderIndex', 0, 0xffff);
    this.#suite = opts.suite ?? MEDIA_SUITE;
  }

  /** Epoch of the key frames are sealed with now, or null before the first key. */
  get epoch(): number | null {
    return this.#epoch;
  }

  /**
   * Switches the send key. The counter is not reset: it keeps every (key, nonce) pair unique
   * even if the same base key is installed twice.
   * @throws TypeError / RangeError on bad arguments
   */
  setKey(epoch: number, baseKey: Uint8Array): void {
    aint(epoch, 'epoch', 0, 0xffff_ffff);
    this.#key = deriveSFrameKey(this.#suite, baseKey, kidFor(this.senderIndex, epoch));
    this.#epoch = epoch;
  }

  #next(codec: Codec, frame: Uint8Array): { key: SFrameKey; ctr: bigint; prefix: Uint8Array; body: Uint8Array } {
    acodec(codec);
    abytes(frame, 'frame');
    const key = this.#key;
    if (!key) throw new FrameSealError('no_key', 'no send key yet');
    const n = clearPrefixLength(codec, frame);
    // A frame shorter than its codec's prefix is not a valid frame of that codec; sealing it
    // with a shorter prefix would make the receiver misparse it, so it is refused.
    if (frame.length < n || (codec !== 'vp9' && frame.length === 0))
      throw new FrameSealError('short_frame', `frame: ${frame.length} bytes, shorter than the ${codec} prefix`);
    if (this.#ctr > 0xffff_ffff_ffff_fffen) throw new FrameSealError('counter_exhausted', 'CTR space exhausted');
    const ctr = this.#ctr++;
    return { key, ctr, prefix: frame.subarray(0, n), body: frame.subarray(n) };
  }

  /**
   * Seals one encoded frame with noble.
   * @param codec - codec of the RTP sender the frame belongs to
   * @param frame - the encoded frame as the browser produced it
   * @returns clearPrefix ‖ SFrame header ‖ ciphertext ‖ tag
   * @throws FrameSealError without a key or for a frame shorter than its prefix (drop it)
   */
  seal(codec: Codec, frame: Uint8Array): Uint8Array {
    const { key, ctr, prefix, body } = this.#next(codec, frame);
    const out = sealWithKey(key, ctr, prefix, body, prefix);
    this.stats.sealed++;
    return out;
  }

  /**
   * Same bytes as `seal`, over WebCrypto for frames of `WEBCRYPTO_MIN_BYTES` or more. The CTR
   * is taken before the first await, so concurrent calls never share one.
   * @throws as `seal` (as a rejected promise)
   */
  async sealAsync(codec: Codec, frame: Uint8Array): Promise<Uint8Array> {
    const { key, ctr, prefix, body } = this.#next(codec, frame);
    const out = body.length >= WEBCRYPTO_MIN_BYTES ? await sealWithKeyAsync(key, ctr, prefix, body, prefix) : sealWithKey(key, ctr, prefix, body, prefix);
    this.stats.sealed++;
    return out;
  }
}

/**
 * Sliding anti-replay window over CTR values (RFC 3711 §3.3.2 adapted, as RFC 9605 §9.3
 * suggests): accepts each CTR once, and nothing older than `size` below the highest seen.
 */
export class ReplayWindow {
  readonly size: number;
  #top = -1n;
  #bits: Uint32Array;

  /** @param size - window width, a multiple of 32 */
  constructor(size: number = REPLAY_WINDOW) {
    aint(size, 'size', 32, 1 << 20);
    if (size % 32 !== 0) throw new RangeError('size: expected a multiple of 32');
    this.size = size;
    this.#bits = new Uint32Array(size / 32);
  }

  #slot(ctr: bigint): [number, number] {
    const i = Number(ctr % BigInt(this.size));
    return [i >>> 5, 1 << (i & 31)];
  }

  /** True if `ctr` would be accepted (not seen, not too old). Does not record it. */
  check(ctr: bigint): boolean {
    if (ctr > this.#top) return true;
    if (this.#top - ctr >= BigInt(this.size)) return false;
    const [w, b] = this.#slot(ctr);
    return (this.#bits[w]! & b) === 0;
  }

  /** Records `ctr` as seen; false if it was already seen or is too old. */
  mark(ctr: bigint): boolean {
    if (!this.check(ctr)) return false;
    if (ctr > this.#top) {
      const advance = ctr - this.#top;
      if (advance >= BigInt(this.size)) this.#bits.fill(0);
      else
        for (let c = this.#top + 1n; c <= ctr; c++) {
          const [w, b] = this.#slot(c);
          this.#bits[w]! &= ~b;
        }
      this.#top = ctr;
    }
    const [w, b] = this.#slot(ctr);
    this.#bits[w]! |= b;
    return true;
  }
}

type Entry = { baseKey: Uint8Array; key: SFrameKey; window: ReplayWindow; retireAt: number | null };
type Sender = { epochs: Map<number, Entry>; newestOpened: number };
type Prepared = {
  header: { kid: bigint; ctr: bigint; length: number };
  prefix: Uint8Array;
  body: Uint8Array;
  senderIndex: number;
  epoch: number;
  entry: Entry;
  /** True when `entry` was ratcheted on demand and is not stored yet. */
  derived: boolean;
};

/** Why a frame was dropped; every drop is counted in `FrameOpener.stats`. */
export type DropReason = 'noKey' | 'replayed' | 'invalid';

/**
 * Opens incoming frames from every sender of a meeting. Never throws on frame content: a frame
 * that cannot be opened returns null and is counted, and the caller drops it (passing
 * ciphertext on makes VP8 decoders fail and Opus play noise; see docs/ARCHITECTURE.md).
 */
export class FrameOpener {
  readonly stats = { opened: 0, dropped: 0, noKey: 0, replayed: 0, invalid: 0 };
  #suite: number;
  #now: () => number;
  #graceMs: number;
  #senders = new Map<number, Sender>();

  /**
   * @param opts.suite - cipher suite (media default)
   * @param opts.now - clock in ms, injectable so tests control the grace period
   * @param opts.graceMs - previous-epoch grace period
   */
  constructor(opts: { suite?: number; now?: () => number; graceMs?: number } = {}) {
    this.#suite = opts.suite ?? MEDIA_SUITE;
    this.#now = opts.now ?? (() => performance.now());
    this.#graceMs = opts.graceMs ?? EPOCH_GRACE_MS;
  }

  /**
   * Installs (or replaces) the base key of one sender's epoch. A replaced key gets a fresh
   * replay window: its KID now names a different key. The same key installed again changes
   * nothing: a sender switches to a ratcheted key at once on a join, so frames may have made
   * us ratchet to it before the key schedule hands us the same key, and a fresh window would
   * let those frames be replayed.
   * @throws TypeError / RangeError on bad arguments
   */
  setKey(senderIndex: number, epoch: number, baseKey: Uint8Array): void {
    const kid = kidFor(senderIndex, epoch);
    abytes(baseKey, 'baseKey');
    let s = this.#senders.get(senderIndex);
    if (s?.epochs.get(epoch) && equalBytes(s.epochs.get(epoch)!.baseKey, baseKey)) return;
    const key = deriveSFrameKey(this.#suite, baseKey, kid);
    if (!s) this.#senders.set(senderIndex, (s = { epochs: new Map(), newestOpened: -1 }));
    const retireAt = epoch < s.newestOpened ? this.#now() + this.#graceMs : null;
    s.epochs.set(epoch, { baseKey: baseKey.slice(), key, window: new ReplayWindow(), retireAt });
    this.#prune(s);
  }

  /** Forgets every key of a sender (it left or was removed). */
  removeSender(senderIndex: number): void {
    aint(senderIndex, 'senderIndex', 0, 0xffff);
    this.#senders.delete(senderIndex);
  }

  /** Epochs currently held for a sender, ascending (for tests and diagnostics). */
  epochsOf(senderIndex: number): number[] {
    const s = this.#senders.get(senderIndex);
    return s ? [...s.epochs.keys()].sort((a, b) => a - b) : [];
  }

  #prune(s: Sender): void {
    const now = this.#now();
    for (const [e, entry] of s.epochs) if (entry.retireAt !== null && now >= entry.retireAt) s.epochs.delete(e);
    while (s.epochs.size > MAX_EPOCHS_PER_SENDER) s.epochs.delete(Math.min(...s.epochs.keys()));
  }

  #drop(reason: DropReason): null {
    this.stats.dropped++;
    this.stats[reason]++;
    return null;
  }

  /** Everything before the AEAD: parse, find (or ratchet to) the key, check replay. */
  #prepare(codec: Codec, data: Uint8Array): DropReason | Prepared {
    acodec(codec);
    abytes(data, 'data');
    const n = clearPrefixLength(codec, data);
    if (data.length < n + 1) return 'invalid';
    const prefix = data.subarray(0, n);
    const body = data.subarray(n);
    let header;
    try {
      header = decodeHeader(body);
    } catch {
      return 'invalid';
    }
    if (header.kid >= 1n << 48n) return 'invalid';
    const { senderIndex, epoch } = parseKid(header.kid);
    const s = this.#senders.get(senderIndex);
    if (!s) return 'noKey';
    let entry = s.epochs.get(epoch);
    let derived = false;
    if (entry && entry.retireAt !== null && this.#now() >= entry.retireAt) {
      s.epochs.delete(epoch);
      return 'noKey';
    }
    if (!entry) {
      entry = this.#ratchetTo(s, senderIndex, epoch);
      if (!entry) return 'noKey';
      derived = true;
    }
    if (!entry.window.check(header.ctr)) return 'replayed';
    return { header, prefix, body, senderIndex, epoch, entry, derived };
  }

  /**
   * RFC 9605 §5.1: a receiver that sees a newer KID ratchets the key it holds forward. This
   * covers the race where a newcomer's copy of a sender key arrives after a later join made
   * that sender ratchet again. Nothing is stored unless the frame then authenticates, so
   * forged KIDs cost a few HKDF calls and change no state.
   */
  #ratchetTo(s: Sender, senderIndex: number, epoch: number): Entry | undefined {
    let from = -1;
    for (const e of s.epochs.keys()) if (e < epoch && e > from) from = e;
    if (from < 0 || epoch - from > MAX_RATCHET_AHEAD) return undefined;
    let baseKey = s.epochs.get(from)!.baseKey;
    for (let e = from; e < epoch; e++) baseKey = ratchetBaseKey(baseKey);
    const key = deriveSFrameKey(this.#suite, baseKey, kidFor(senderIndex, epoch));
    return { baseKey, key, window: new ReplayWindow(), retireAt: null };
  }

  #finish(p: Prepared, plaintext: Uint8Array): Uint8Array | null {
    const s = this.#senders.get(p.senderIndex);
    if (!s) return this.#drop('noKey');
    if (p.derived) {
      if (s.epochs.has(p.epoch)) p.entry = s.epochs.get(p.epoch)!;
      else s.epochs.set(p.epoch, p.entry);
    } else if (s.epochs.get(p.epoch) !== p.entry) return this.#drop('noKey');
    if (!p.entry.window.mark(p.header.ctr)) return this.#drop('replayed');
    if (p.epoch > s.newestOpened) {
      // The sender has switched: older epochs now only serve late frames, for a grace period.
      s.newestOpened = p.epoch;
      const retireAt = this.#now() + this.#graceMs;
      for (const [e, entry] of s.epochs) if (e < p.epoch && (entry.retireAt === null || entry.retireAt > retireAt)) entry.retireAt = retireAt;
    }
    this.#prune(s);
    this.stats.opened++;
    return concatBytes(p.prefix, plaintext);
  }

  /**
   * Opens one received frame with noble.
   * @param codec - codec of the RTP receiver
   * @param data - clearPrefix ‖ SFrame header ‖ ciphertext ‖ tag
   * @returns the original frame, or null if it must be dropped (counted in `stats`)
   * @throws TypeError / RangeError only for wrong argument types or an unknown codec
   */
  open(codec: Codec, data: Uint8Array): Uint8Array | null {
    const p = this.#prepare(codec, data);
    if (typeof p === 'string') return this.#drop(p);
    let pt: Uint8Array;
    try {
      pt = openWithKey(p.entry.key, p.header, p.prefix, p.body);
    } catch {
      return this.#drop('invalid');
    }
    return this.#finish(p, pt);
  }

  /**
   * Same result as `open`, over WebCrypto for frames of `WEBCRYPTO_MIN_BYTES` or more.
   * The replay window is checked before and recorded after the await, so two copies of one
   * frame in flight at once still open only once.
   */
  async openAsync(codec: Codec, data: Uint8Array): Promise<Uint8Array | null> {
    const p = this.#prepare(codec, data);
    if (typeof p === 'string') return this.#drop(p);
    let pt: Uint8Array;
    try {
      pt =
        p.body.length >= WEBCRYPTO_MIN_BYTES
          ? await openWithKeyAsync(p.entry.key, p.header, p.prefix, p.body)
          : openWithKey(p.entry.key, p.header, p.prefix, p.body);
    } catch {
      return this.#drop('invalid');
    }
    return this.#finish(p, pt);
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
