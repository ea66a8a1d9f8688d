/**
 * One client's view of a meeting's keys, as a pure state machine: no I/O, no timers, no clock.
 * The caller feeds it roster events and received blobs, passes the time in, sends what it
 * returns, and forwards the key updates it drains to the frame worker. The same class runs in
 * the browser (web/src/e2ee/manager.ts) and in the multi-party simulation test.
 *
 * Events and what they do (RFC 9605 §5.1 sender keys; see key-schedule.ts for the crypto):
 * - `welcome(members)`: draw our epoch-0 key, use it at once, seal it to everyone present.
 * - `memberJoined(m)`: everyone ratchets every sender key it knows, its own included, one
 *   epoch forward. Deterministic, so nobody sends anything to existing members; we send only
 *   our ratcheted key, to the newcomer only. The newcomer cannot run the ratchet backwards.
 *   We seal with the ratcheted key at once (see "The send-key rule").
 * - `memberLeft(id)`: forget the leaver's keys; draw a fresh random own key in a new epoch
 *   and seal it only to those who remain.
 *
 * The send-key rule. Receivers must hold a key before frames use it, or they drop those frames
 * (RFC 9605 §4.4.1: decryption keys at once, encryption keys after a timeout). Which receivers
 * could lack the key decides whether to wait:
 * - welcome: nobody holds an older key of ours; the first key is used at once.
 * - join: used at once. Existing receivers need no message: a frame under the next epoch makes
 *   their frame opener ratchet the key it holds (RFC 9605 §5.1), before or after they process
 *   the join themselves. Only the newcomer lacks it, and nothing we sent before its blob is
 *   for it anyway: waiting would only delay its first frame (it used to cost a second).
 * - leave: the fresh key is *pending* and becomes the send key at `activateAt = now +
 *   sendKeyDelayMs`, when the caller next calls `poll(now)`: every receiver needs our blob
 *   relayed by the Room DO first. Meanwhile the old key (which the leaver knows) stays in use,
 *   while the origin has already stopped forwarding media to the leaver.
 * A join during a pending leave key ratchets the pending key and keeps its deadline: the
 * remaining members may not hold it yet, so it cannot be used early.
 *
 * Epochs in step. Every sender moves one epoch per join (ratchet) and per leave (fresh key), and
 * every member sees the same joins and leaves in the Room's order, so each member mirrors each
 * sender's epoch. A blob can arrive after events the sender had not yet seen when it sealed it
 * (a leave's fresh key behind a join, a first key behind later joins); the receiver ratchets it
 * to the mirrored epoch, as the sender did. Envelopes need this: unlike frames (RFC 9605 §5.1),
 * they open only with their own epoch's key. crypto/test/key-group.property.test.ts checks it
 * under random interleavings.
 * @module
 */
import { aint, aobject, astring, abytes } from './_assert.ts';
import { fromB64url, toB64url } from './bytes.ts';
import {
  derivePairwiseKeys,
  KeyBlobError,
  openBaseKey,
  PARTICIPANT_ID,
  randomBaseKey,
  ratchetBaseKey,
  sealBaseKey,
  type KeyPair,
  type PairwiseKeys,
} from './key-schedule.ts';

/** A participant as the roster gives it. */
export type Member = { id: string; index: number; publicKey: Uint8Array };
/** One `key-blobs` message body (protocol/src/room.ts KeyBlobsMsg without `type`). */
export type KeyBlobsOut = { epoch: number; blobs: { to: string; blob: string }[] };
/** A receive key for the frame worker: frames with KID (senderIndex, epoch) open with `key`. */
export type KeyUpdate = { senderIndex: number; epoch: number; key: Uint8Array };
/** Our key for sealing frames. */
export type SendKey = { epoch: number; key: Uint8Array };

/** The protocol caps one key-blobs message at 1000 blobs; larger rosters get several. */
export const MAX_BLOBS_PER_MESSAGE = 1000;
/**
 * Default pending-send-key delay after a leave. The Room DO relays a blob in well under 100 ms
 * on a healthy connection; one second leaves room for a slow link without leaving a leaver's
 * key in use for long. Joins do not wait (see the module comment).
 */
export const SEND_KEY_DELAY_MS = 1000;

/** A roster event or blob the group cannot accept. */
export class KeyGroupError extends Error {
  readonly code: 'not_started' | 'already_started' | 'unknown_member' | 'duplicate_member' | 'bad_blob';
  constructor(code: KeyGroupError['code'], message: string) {
    super(message);
    this.name = 'KeyGroupError';
    this.code = code;
  }
}

type Peer = {
  id: string;
  index: number;
  publicKey: Uint8Array;
  pairwise: PairwiseKeys;
  /** Newest key we hold for this sender (from a blob, possibly ratcheted since). */
  key: SendKey | null;
  /** Highest epoch received in a blob: older blobs are duplicates or replays. */
  blobEpoch: number;
  /**
   * The sender's epoch now, mirrored: every join and every leave moves each sender one epoch on,
   * and we see the same events in the same order. null until its first blob tells us where it started.
   */
  epoch: number | null;
  /** Joins and leaves seen since this peer was added, while `epoch` is still unknown. */
  events: number;
};

/** Options of `new KeyGroup`. */
export type KeyGroupOptions = {
  meetingId: string;
  self: { id: string; index: number };
  keyPair: KeyPair;
  /** Delay before a fresh own key drawn on a leave is used for sending; see the module comment. */
  sendKeyDelayMs?: number;
  /** Source of fresh base keys; tests may inject one, production uses the CSPRNG. */
  randomKey?: () => Uint8Array;
  /** Blobs per key-blobs message; the protocol's cap unless a test wants smaller messages. */
  maxBlobsPerMessage?: number;
};

/** A meeting key group as seen by one client. */
export class KeyGroup {
  readonly meetingId: string;
  readonly self: { readonly id: string; readonly index: number };
  readonly publicKey: Uint8Array;
  #keyPair: KeyPair;
  #delay: number;
  #random: () => Uint8Array;
  #maxBlobs: number;
  #started = false;
  #peers = new Map<string, Peer>();
  /** Newest own key (pending if its epoch differs from #active). */
  #own: SendKey | null = null;
  #active: SendKey | null = null;
  #activateAt: number | null = null;
  #updates: KeyUpdate[] = [];
  #removed: number[] = [];

  /** @throws TypeError / RangeError naming the bad option */
  constructor(opts: KeyGroupOptions) {
    aobject(opts, 'opts');
    this.meetingId = astring(opts.meetingId, 'meetingId', /^[\x21-\x7e]{1,64}$/);
    aobject(opts.self, 'self');
    this.self = Object.freeze({ id: astring(opts.self.id, 'self.id', PARTICIPANT_ID), index: aint(opts.self.index, 'self.index', 0, 0xffff) });
    aobject(opts.keyPair, 'keyPair');
    abytes(opts.keyPair.secretKey, 'keyPair.secretKey', 32);
    this.publicKey = abytes(opts.keyPair.publicKey, 'keyPair.publicKey', 32);
    this.#keyPair = opts.keyPair;
    this.#delay = aint(opts.sendKeyDelayMs ?? SEND_KEY_DELAY_MS, 'sendKeyDelayMs', 0, 600_000);
    this.#random = opts.randomKey ?? randomBaseKey;
    this.#maxBlobs = aint(opts.maxBlobsPerMessage ?? MAX_BLOBS_PER_MESSAGE, 'maxBlobsPerMessage', 1, MAX_BLOBS_PER_MESSAGE);
  }

  /** The key frames are sealed with now, or null before `welcome`. */
  get sendKey(): SendKey | null {
    return this.#active;
  }

  /** A newer own key waiting for `poll`, and when it becomes due. */
  get pendingSendKey(): (SendKey & { activateAt: number }) | null {
    if (!this.#own || this.#activateAt === null || this.#own === this.#active) return null;
    return { ...this.#own, activateAt: this.#activateAt };
  }

  /** Everyone in the meeting including us, for the security code. */
  roster(): { id: string; index: number; publicKey: Uint8Array }[] {
    const all = [...this.#peers.values()].map(({ id, index, publicKey }) => ({ id, index, publicKey }));
    return [{ id: this.self.id, index: this.self.index, publicKey: this.publicKey }, ...all];
  }

  /** Receive keys learnt since the last call, oldest first. */
  drainKeyUpdates(): KeyUpdate[] {
    const out = this.#updates;
    this.#updates = [];
    return out;
  }

  /** Sender indexes whose keys must be forgotten (they left), since the last call. */
  drainRemovedSenders(): number[] {
    const out = this.#removed;
    this.#removed = [];
    return out;
  }

  /**
   * Makes the pending own key the send key if it is due.
   * @param now - the caller's clock, ms
   * @returns true if the send key changed
   */
  poll(now: number): boolean {
    if (typeof now !== 'number' || Number.isNaN(now)) throw new TypeError('now: expected a number');
    if (!this.#own || this.#own === this.#active || this.#activateAt === null || now < this.#activateAt) return false;
    this.#active = this.#own;
    this.#activateAt = null;
    return true;
  }

  #member(m: Member, title: string): { id: string; index: number; publicKey: Uint8Array } {
    aobject(m, title);
    const id = astring(m.id, `${title}.id`, PARTICIPANT_ID);
    const index = aint(m.index, `${title}.index`, 0, 0xffff);
    const publicKey = abytes(m.publicKey, `${title}.publicKey`, 32);
    if (this.#peers.has(id) || id === this.self.id) throw new KeyGroupError('duplicate_member', `${title}.id: ${id} is already in the group`);
    if (index === this.self.index || [...this.#peers.values()].some((p) => p.index === index))
      throw new KeyGroupError('duplicate_member', `${title}.index: ${index} is already taken`);
    return { id, index, publicKey };
  }

  #addPeer(m: { id: string; index: number; publicKey: Uint8Array }): Peer {
    const pairwise = derivePairwiseKeys({ meetingId: this.meetingId, self: { id: this.self.id, keyPair: this.#keyPair }, peer: m });
    const peer: Peer = { ...m, publicKey: m.publicKey.slice(), pairwise, key: null, blobEpoch: -1, epoch: null, events: 0 };
    this.#peers.set(m.id, peer);
    return peer;
  }

  #seal(peers: Peer[], own: SendKey): KeyBlobsOut[] {
    const out: KeyBlobsOut[] = [];
    for (let i = 0; i < peers.length; i += this.#maxBlobs) {
      const blobs = peers.slice(i, i + this.#maxBlobs).map((p) => ({
        to: p.id,
        blob: toB64url(sealBaseKey(p.pairwise.send, { meetingId: this.meetingId, from: this.self.id, to: p.id, epoch: own.epoch }, own.key)),
      }));
      out.push({ epoch: own.epoch, blobs });
    }
    return out;
  }

  #requireStarted(): void {
    if (!this.#started) throw new KeyGroupError('not_started', 'welcome() has not been called');
  }

  /**
   * Joins the meeting: records who is there, draws our epoch-0 key (active at once) and seals
   * it to every member.
   * @param members - everyone already in the meeting; an entry for ourselves is skipped
   * @returns key-blobs messages to send (none if we are alone)
   * @throws KeyGroupError if called twice or with duplicate members; TypeError / RangeError on bad entries
   */
  welcome(members: Member[]): KeyBlobsOut[] {
    if (this.#started) throw new KeyGroupError('already_started', 'welcome() was already called');
    if (!Array.isArray(members)) throw new TypeError('members: expected array');
    const others = members.filter((m) => !(m && typeof m === 'object' && m.id === this.self.id));
    others.forEach((m, i) => this.#addPeer(this.#member(m, `members[${i}]`)));
    this.#started = true;
    this.#own = this.#active = { epoch: 0, key: this.#random() };
    return this.#seal([...this.#peers.values()], this.#own);
  }

  /**
   * A participant was admitted. Ratchets every known sender key (ours included) one epoch;
   * our ratcheted key goes to the newcomer only and is the send key at once, unless a leave's
   * fresh key is still pending: then the ratcheted pending key keeps that key's deadline.
   * @param member - the newcomer
   * @param now - the caller's clock, ms (checked; a join itself sets no deadline)
   * @returns one key-blobs message for the newcomer
   * @throws KeyGroupError before `welcome` or for a duplicate id or index
   */
  memberJoined(member: Member, now: number): KeyBlobsOut[] {
    this.#requireStarted();
    if (typeof now !== 'number' || Number.isNaN(now)) throw new TypeError('now: expected a number');
    const m = this.#member(member, 'member');
    for (const p of this.#peers.values()) {
      // Only a current key ratchets: after a leave the sender's next key is a fresh one, on its way.
      if (p.key && p.key.epoch === p.epoch) {
        p.key = { epoch: p.key.epoch + 1, key: ratchetBaseKey(p.key.key) };
        this.#updates.push({ senderIndex: p.index, ...p.key });
      }
      this.#advance(p);
    }
    const own = this.#own!;
    const pending = own !== this.#active;
    this.#own = { epoch: own.epoch + 1, key: ratchetBaseKey(own.key) };
    if (!pending) this.#active = this.#own;
    const newcomer = this.#addPeer(m);
    return this.#seal([newcomer], this.#own);
  }

  /**
   * A participant left or was removed. Forgets its keys and draws a fresh own key, sealed to
   * those who remain; it becomes the send key after the delay.
   * @param id - the leaver's participant id
   * @param now - the caller's clock, ms
   * @returns key-blobs messages for everyone who remains
   * @throws KeyGroupError before `welcome` or for an unknown id
   */
  memberLeft(id: string, now: number): KeyBlobsOut[] {
    this.#requireStarted();
    astring(id, 'id', PARTICIPANT_ID);
    if (typeof now !== 'number' || Number.isNaN(now)) throw new TypeError('now: expected a number');
    const p = this.#peers.get(id);
    if (!p) throw new KeyGroupError('unknown_member', `id: ${id} is not in the group`);
    this.#peers.delete(id);
    for (const q of this.#peers.values()) this.#advance(q);
    this.#removed.push(p.index);
    this.#updates = this.#updates.filter((u) => u.senderIndex !== p.index);
    this.#own = { epoch: this.#own!.epoch + 1, key: this.#random() };
    this.#activateAt = now + this.#delay;
    return this.#seal([...this.#peers.values()], this.#own);
  }

  /** One join or leave seen: the sender's epoch moves on by one (or, before its first blob, is counted). */
  #advance(p: Peer): void {
    if (p.epoch === null) p.events++;
    else p.epoch++;
  }

  /**
   * A sealed key from another participant, relayed by the Room DO.
   * @param fromId - sender's participant id (from the DO's `key-blob` message)
   * @param epoch - epoch the blob claims (bound in its AAD)
   * @param blob - base64url blob
   * @returns false if it was an older epoch than one already received (ignored), true otherwise
   * @throws KeyGroupError `unknown_member` for a sender not in the roster, `bad_blob` if it does not open
   */
  receiveBlob(fromId: string, epoch: number, blob: string): boolean {
    this.#requireStarted();
    astring(fromId, 'fromId', PARTICIPANT_ID);
    aint(epoch, 'epoch', 0, 0xffff_ffff);
    astring(blob, 'blob', undefined, 256);
    const p = this.#peers.get(fromId);
    if (!p) throw new KeyGroupError('unknown_member', `fromId: ${fromId} is not in the group`);
    let key: Uint8Array;
    try {
      key = openBaseKey(p.pairwise.recv, { meetingId: this.meetingId, from: fromId, to: this.self.id, epoch }, fromB64url(blob));
    } catch (e) {
      if (e instanceof KeyBlobError || e instanceof TypeError) throw new KeyGroupError('bad_blob', `blob from ${fromId} does not open`);
      throw e;
    }
    if (epoch <= p.blobEpoch) return false;
    p.blobEpoch = epoch;
    // The first blob says which epoch the sender was at when it added us (or we it); every
    // event we have seen since moved it one on.
    if (p.epoch === null) p.epoch = epoch + p.events;
    if (epoch > p.epoch) p.epoch = epoch;
    // Joins we processed after the sender sealed this blob ratcheted its key there too (RFC 9605
    // §5.1); our copy must follow them to the sender's epoch now.
    let current: SendKey = { epoch, key };
    this.#updates.push({ senderIndex: p.index, ...current });
    while (current.epoch < p.epoch) {
      current = { epoch: current.epoch + 1, key: ratchetBaseKey(current.key) };
      this.#updates.push({ senderIndex: p.index, ...current });
    }
    p.key = current;
    return true;
  }
}
