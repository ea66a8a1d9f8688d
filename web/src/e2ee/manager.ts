/**
 * Main-thread side of end-to-end encryption for one meeting page. It owns the X25519 key pair
 * and the KeyGroup (the key schedule state machine from @sealroom/crypto), relays key blobs
 * through the `send` callback the meeting page gives it, and keeps the one frame worker's keys
 * current. Timers live here (the pending send-key activation); decisions live in KeyGroup.
 *
 * Attach transforms *before* negotiation (mediasoup-client's `onRtpSender` / `onRtpReceiver`):
 * a transform set after produce()/consume() fires but sees no frames, and media goes out in
 * clear (docs/ARCHITECTURE.md). Skip mediasoup-client's 'probator' receiver.
 */
import { fromB64url, toB64url } from '@sealroom/crypto/bytes';
import { KeyGroup, KeyGroupError, type KeyBlobsOut as GroupBlobs } from '@sealroom/crypto/key-group';
import { derivePairwiseKeys, generateKeyPair, openMessageKey, randomBaseKey, sealMessageKey, type KeyPair } from '@sealroom/crypto/key-schedule';
import { openChat, sealChat, sealedEpoch, type SealKey } from '@sealroom/crypto/seal';
import { securityCode } from '@sealroom/crypto/security-code';
import type { Codec } from '@sealroom/crypto/frame-transform';
import type { FrameStats, WorkerIn, WorkerOut } from './frame-worker.ts';
import { TEST_HOOKS } from '../lib/test-hooks.ts';

/** A participant as the Room DO announces it (public key in base64url). */
export interface E2eeMember {
  id: string;
  index: number;
  publicKey: string;
}
/** The protocol message the manager asks the page to send to the Room DO. */
export interface KeyBlobsOut {
  type: 'key-blobs';
  epoch: number;
  blobs: { to: string; blob: string }[];
}
export type E2eeStats = { sealed: number; opened: number; dropped: number } & Partial<FrameStats>;

type StartOptions = {
  meetingId: string;
  self: { id: string; index: number };
  members: E2eeMember[];
  send: (msg: KeyBlobsOut) => void;
};

/** End-to-end encryption for one meeting on one page. */
export class E2ee {
  /** Our X25519 public key, base64url, to put in the `join` message. */
  readonly publicKey: string;
  /**
   * Test hook for the end-to-end suite: when true this client neither sends its key nor
   * installs anyone's key, so it must decode nothing. Set it before `start`. Read only in
   * builds with TEST_HOOKS on.
   */
  disableKeyExchange = false;
  #keyPair: KeyPair;
  #worker: Worker;
  #group: KeyGroup | null = null;
  #send: ((msg: KeyBlobsOut) => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #postedSendEpoch: number | null = null;
  #statsId = 0;
  #statsWaiters = new Map<number, (s: E2eeStats) => void>();
  #closed = false;
  #meetingId = '';
  /** Participant id → sender index, for picking a sender's seal keys. */
  #indexOf = new Map<string, number>();
  /** Receive keys by sender index and epoch, for opening sealed envelopes (the frame worker has its own copy). */
  #envelopeKeys = new Map<number, Map<number, Uint8Array>>();

  private constructor(keyPair: KeyPair, worker: Worker) {
    this.#keyPair = keyPair;
    this.publicKey = toB64url(keyPair.publicKey);
    this.#worker = worker;
    worker.onmessage = (ev: MessageEvent<WorkerOut>) => {
      const msg = ev.data;
      if (msg?.kind !== 'stats' || msg.id === undefined) return;
      const { kind: _kind, id, ...stats } = msg;
      this.#statsWaiters.get(id)?.(stats);
      this.#statsWaiters.delete(id);
    };
  }

  /**
   * Makes the key pair (so `publicKey` is ready before joining) and starts the frame worker.
   * @param opts.worker - factory for the worker (tests); defaults to ./worker.ts as a module worker
   */
  static create(opts: { worker?: () => Worker } = {}): E2ee {
    const worker = opts.worker ? opts.worker() : new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    return new E2ee(generateKeyPair(), worker);
  }

  #post(msg: WorkerIn): void {
    this.#worker.postMessage(msg);
  }

  /**
   * Begins the meeting's key schedule after the Room DO's `welcome`.
   * @param opts.members - everyone else in the meeting (an entry for ourselves is ignored)
   * @param opts.send - sends a `key-blobs` message to the Room DO
   */
  start(opts: StartOptions): void {
    if (this.#group) throw new Error('E2ee.start: already started');
    this.#send = opts.send;
    this.#meetingId = opts.meetingId;
    for (const m of opts.members) this.#indexOf.set(m.id, m.index);
    this.#group = new KeyGroup({ meetingId: opts.meetingId, self: opts.self, keyPair: this.#keyPair });
    this.#post({ kind: 'init', senderIndex: opts.self.index });
    const members = opts.members.filter((m) => m.id !== opts.self.id).map(toMember);
    this.#flush(this.#group.welcome(members));
  }

  /** Whether `start` has run (the room's welcome arrived). */
  get started(): boolean {
    return this.#group !== null;
  }

  /**
   * Starts over in another key group (a breakout room, or back to the main room) with the same
   * key pair, which the room announced with our join: the frame worker forgets every sender,
   * we draw a fresh key and seal it to the new group's members only.
   */
  restart(members: E2eeMember[]): void {
    const g = this.#requireGroup();
    for (const index of this.#indexOf.values()) this.#post({ kind: 'removeSender', senderIndex: index });
    this.#indexOf.clear();
    this.#envelopeKeys.clear();
    this.#postedSendEpoch = null;
    this.#group = null;
    this.start({ meetingId: this.#meetingId, self: g.self, members, send: this.#send ?? (() => {}) });
  }

  /** A participant was admitted (Room DO `participant-joined`). */
  memberJoined(p: E2eeMember): void {
    const g = this.#requireGroup();
    this.#indexOf.set(p.id, p.index);
    this.#flush(g.memberJoined(toMember(p), performance.now()));
  }

  /** A participant left or was removed (Room DO `participant-left`). */
  memberLeft(id: string): void {
    const g = this.#requireGroup();
    this.#flush(g.memberLeft(id, performance.now()));
    this.#indexOf.delete(id);
  }

  /** A sealed key from another participant (Room DO `key-blob`). Bad blobs are reported, not thrown. */
  onKeyBlob(fromId: string, epoch: number, blob: string): void {
    const g = this.#requireGroup();
    if (this.#keyExchangeDisabled) return;
    try {
      if (g.receiveBlob(fromId, epoch, blob)) performance.mark('sealroom:key-received');
    } catch (e) {
      // Log the code only: never a blob, never a key.
      if (e instanceof KeyGroupError) console.warn('e2ee: key blob rejected', { from: fromId, epoch, code: e.code });
      else throw e;
    }
    this.#flush([]);
  }

  get #keyExchangeDisabled(): boolean {
    return TEST_HOOKS && this.disableKeyExchange;
  }

  #requireGroup(): KeyGroup {
    if (!this.#group) throw new Error('E2ee: start() has not been called');
    return this.#group;
  }

  /** Sends what the group produced and brings the worker's keys up to date. */
  #flush(outgoing: GroupBlobs[]): void {
    const g = this.#requireGroup();
    const updates = g.drainKeyUpdates();
    if (!this.#keyExchangeDisabled) {
      for (const m of outgoing) if (m.blobs.length > 0) this.#send?.({ type: 'key-blobs', epoch: m.epoch, blobs: m.blobs });
      for (const u of updates) {
        this.#post({ kind: 'setRecvKey', senderIndex: u.senderIndex, epoch: u.epoch, key: u.key });
        this.#keepEnvelopeKey(u.senderIndex, u.epoch, u.key);
      }
    }
    for (const senderIndex of g.drainRemovedSenders()) {
      this.#post({ kind: 'removeSender', senderIndex });
      this.#envelopeKeys.delete(senderIndex);
    }
    const sk = g.sendKey;
    if (sk && sk.epoch !== this.#postedSendEpoch) {
      this.#post({ kind: 'setSendKey', epoch: sk.epoch, key: sk.key });
      this.#postedSendEpoch = sk.epoch;
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const pending = this.#group?.pendingSendKey;
    if (!pending || this.#closed) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#group?.poll(performance.now());
        this.#flush([]);
      },
      Math.max(0, pending.activateAt - performance.now()),
    );
  }

  #transform(target: RTCRtpSender | RTCRtpReceiver, role: 'send' | 'recv', codec: Codec): void {
    if ('RTCRtpScriptTransform' in globalThis) {
      target.transform = new RTCRtpScriptTransform(this.#worker, { role, codec });
      return;
    }
    if (typeof target.createEncodedStreams === 'function') {
      const { readable, writable } = target.createEncodedStreams();
      this.#worker.postMessage({ kind: 'streams', role, codec, readable, writable }, [readable, writable]);
      return;
    }
    throw new Error('E2ee: this browser has no encoded transform API');
  }

  /** Seals every frame this sender sends. Call from mediasoup-client's `onRtpSender`. */
  attachSender(sender: RTCRtpSender, codec: Codec): void {
    this.#transform(sender, 'send', codec);
  }

  /** Opens every frame this receiver receives. Call from mediasoup-client's `onRtpReceiver`. */
  attachReceiver(receiver: RTCRtpReceiver, codec: Codec): void {
    this.#transform(receiver, 'recv', codec);
  }

  #keepEnvelopeKey(senderIndex: number, epoch: number, key: Uint8Array): void {
    let keys = this.#envelopeKeys.get(senderIndex);
    if (!keys) this.#envelopeKeys.set(senderIndex, (keys = new Map()));
    keys.set(epoch, key);
    // Lines sealed a few epochs ago may still be in flight; older keys go.
    for (const e of keys.keys()) if (e + ENVELOPE_EPOCHS_KEPT <= epoch) keys.delete(e);
  }

  /**
   * Seals a chat line or annotation payload (crypto/seal.ts `sealChat`: sender id bound in the
   * key derivation and the AAD) under our newest key. The newest key, even while it is still
   * pending for frames, is right here: every recipient got its blob (or ratcheted to it on the
   * join) before this envelope, which the room relays after on the same ordered socket.
   * @returns base64url envelope for the room
   */
  sealEnvelope(plaintext: string): string {
    return toB64url(sealChat(this.ownSealKey(), plaintext));
  }

  /**
   * Our newest seal key, the one envelopes are sealed under; file transfers seal their stream
   * with it too (crypto/seal.ts gives files their own label, so it never opens a chat line).
   * @throws before our first key exists
   */
  ownSealKey(): SealKey {
    const g = this.#requireGroup();
    const own = g.pendingSendKey ?? g.sendKey;
    if (!own) throw new Error('E2ee: no send key yet');
    return { meetingId: this.#meetingId, senderId: g.self.id, epoch: own.epoch, baseKey: own.key };
  }

  /**
   * `fromId`'s seal key for `epoch`, to open what they sealed.
   * @throws when we hold no key for that sender and epoch
   */
  sealKeyOf(fromId: string, epoch: number): SealKey {
    const index = this.#indexOf.get(fromId);
    if (index === undefined) throw new Error('E2ee: unknown sender');
    const baseKey = this.#envelopeKeys.get(index)?.get(epoch);
    if (!baseKey) throw new Error('E2ee: no key for that epoch');
    return { meetingId: this.#meetingId, senderId: fromId, epoch, baseKey };
  }

  /**
   * Opens an envelope from `fromId` with the key of the epoch it names.
   * @throws when we hold no key for that sender and epoch, or it does not open
   */
  openEnvelope(fromId: string, envelope: string): string {
    const sealed = fromB64url(envelope);
    return openChat(this.sealKeyOf(fromId, sealedEpoch(sealed)), sealed);
  }

  /**
   * Seals a payload for people who share no group key with us (a host's broadcast into breakout
   * rooms, each its own key group): once under a fresh one-time key, that key wrapped for each
   * recipient with our pairwise keys. `n` numbers our messages; it is bound into every wrap.
   * @returns the envelope and one base64url wrap per recipient
   */
  sealForEach(
    n: number,
    recipients: readonly { id: string; publicKey: string }[],
    plaintext: string,
  ): { envelope: string; keys: { to: string; key: string }[] } {
    const self = this.#requireGroup().self.id;
    const messageKey = randomBaseKey();
    const envelope = toB64url(sealChat({ meetingId: this.#meetingId, senderId: self, epoch: n, baseKey: messageKey }, plaintext));
    const keys = recipients
      .filter((r) => r.id !== self)
      .map((r) => {
        const { send } = this.#pairwise(r);
        return { to: r.id, key: toB64url(sealMessageKey(send, { meetingId: this.#meetingId, from: self, to: r.id, epoch: n }, messageKey)) };
      });
    return { envelope, keys };
  }

  /**
   * Opens what `from` sealed with `sealForEach`, with our wrap of its key.
   * @throws when the wrap or the envelope does not open (wrong sender key, tampered, not ours)
   */
  openFromEach(from: { id: string; publicKey: string }, n: number, envelope: string, key: string): string {
    const self = this.#requireGroup().self.id;
    const messageKey = openMessageKey(this.#pairwise(from).recv, { meetingId: this.#meetingId, from: from.id, to: self, epoch: n }, fromB64url(key));
    return openChat({ meetingId: this.#meetingId, senderId: from.id, epoch: n, baseKey: messageKey }, fromB64url(envelope));
  }

  #pairwise(peer: { id: string; publicKey: string }) {
    const self = { id: this.#requireGroup().self.id, keyPair: this.#keyPair };
    return derivePairwiseKeys({ meetingId: this.#meetingId, self, peer: { id: peer.id, publicKey: fromB64url(peer.publicKey) } });
  }

  /** The meeting's security code over everyone's public keys (ours included). */
  securityCode(): string {
    if (!this.#group) return securityCode([{ id: 'not-started', publicKey: this.#keyPair.publicKey }]);
    return securityCode(this.#group.roster());
  }

  /** Frame counters from the worker. */
  stats(): Promise<E2eeStats> {
    const id = ++this.#statsId;
    return new Promise((resolve) => {
      this.#statsWaiters.set(id, resolve);
      this.#post({ kind: 'stats', id });
    });
  }

  /** Test hook: the key frames are being sealed with now (always null outside test builds). */
  debugSendKey(): { senderIndex: number; epoch: number; key: string } | null {
    if (!TEST_HOOKS) return null;
    const sk = this.#group?.sendKey;
    if (!sk || !this.#group) return null;
    return { senderIndex: this.#group.self.index, epoch: sk.epoch, key: toB64url(sk.key) };
  }

  /** Stops the worker and the timer. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#worker.terminate();
  }
}

/** Epochs of each sender's keys kept for opening envelopes that were in flight during a rekey. */
const ENVELOPE_EPOCHS_KEPT = 4;

function toMember(p: E2eeMember): { id: string; index: number; publicKey: Uint8Array } {
  return { id: p.id, index: p.index, publicKey: fromB64url(p.publicKey) };
}
