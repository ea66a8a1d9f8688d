/**
 * In-meeting file transfer: a file goes to everyone in our room or to one
 * person, sealed end to end and relayed by the Room, which sees sizes only.
 *
 * The offer carries `{name, mime, size, chunks, stream header}` sealed like a chat envelope
 * (crypto/seal.ts `sealChat`, under our newest key); the contents go as a crypto/seal.ts chunk
 * stream under the same key with the file label, chunk index in the AAD, so a reordered,
 * dropped, cut or altered chunk fails to open and nothing is saved. The sender starts once
 * every recipient answered (or a minute passed), keeps the room socket's buffer bounded, and
 * resumes from the chunk the room names when it refuses one (rate limit): the room relays
 * chunks strictly in order, so a receiver never sees a gap. Chunks seal and open with WebCrypto
 * (`sealAsync`/`openAsync`, the same bytes as noble's): ten times noble's JavaScript AES-GCM at
 * this chunk size, and off the main thread.
 *
 * Keys and the socket are injected (`FilesLink`), so this class is testable with real crypto
 * and no browser.
 */
import type { ClientToRoom, ErrorCode, RoomToClient } from '@sealroom/protocol';
import { MAX_ENVELOPE_CHARS, MAX_FILE_CHUNK_CHARS } from '@sealroom/protocol';
import { fromB64url, toB64url } from '@sealroom/crypto/bytes';
import { ChunkOpener, ChunkSealer, openChat, sealChat, sealedEpoch, type SealKey } from '@sealroom/crypto/seal';

/** Plaintext per chunk: its sealed form (1-byte flag, 16-byte tag) in base64url fills the room's chunk cap. */
export const FILE_CHUNK_BYTES = Math.floor((MAX_FILE_CHUNK_CHARS * 3) / 4) - 17;
/** What the room enforced before its welcome said so (edge MAX_FILE_BYTES). */
export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;
/** Pause sending while this much is queued on the room socket: memory stays bounded and other messages are not stuck behind a file. */
export const SEND_HIGH_WATER = 1024 * 1024;
/** How often to look at the socket buffer while it is above the high-water mark (WebSocket has no "drained" event). */
const DRAIN_POLL_MS = 4;
/** Recipients who have not answered by then are left out; the transfer starts with those who accepted. */
export const ANSWER_TIMEOUT_MS = 60_000;
/** Sealed chunks kept for a resend (3 MiB): a refusal usually names one still in flight, which then needs no resealing. */
export const RESEND_WINDOW = 32;
/** A finished sender keeps its state this long, in case the room refuses one of the last chunks. */
const SENT_GRACE_MS = 30_000;
const MAX_NAME_CHARS = 200;

export type TransferStatus = 'waiting' | 'offered' | 'sending' | 'receiving' | 'done' | 'declined' | 'cancelled' | 'failed';
/** Why a transfer failed (each has a sentence, `files.problem.<name>`). */
export const TRANSFER_PROBLEMS = [
  'too-big',
  'empty',
  'nobody',
  'no-answer',
  'refused',
  'tampered',
  'unreadable',
  'sender-left',
  'gone',
  'disconnected',
  'read-failed',
] as const;
export type TransferProblem = (typeof TRANSFER_PROBLEMS)[number];

export interface Transfer {
  id: string;
  /** `out`: we send; `in`: someone sends to us. */
  direction: 'out' | 'in';
  /** out: the one recipient (null: everyone); in: the sender. */
  peer: string | null;
  name: string;
  mime: string;
  size: number;
  /** Bytes handed to the room (out) or opened (in). */
  done: number;
  status: TransferStatus;
  problem: TransferProblem | null;
  /** The room's refusal code when `problem` is `refused`. */
  code: ErrorCode | null;
  /** out: recipients asked, and how many accepted or declined so far. */
  recipients: number;
  accepted: number;
  declined: number;
  /** in, when done: the reassembled file and a URL to save it. */
  blob: Blob | null;
  url: string | null;
}

type FileOut = Extract<ClientToRoom, { type: 'file-offer' | 'file-answer' | 'file-chunk' | 'file-cancel' }>;
export type FileEvent = Extract<RoomToClient, { type: 'file-offer' | 'file-answer' | 'file-chunk' | 'file-cancel' }>;
type Offer = Extract<FileOut, { type: 'file-offer' }>;

/** What a Files instance needs from the meeting: keys, the room socket, who is in our room. */
export interface FilesLink {
  selfId: string;
  send(msg: FileOut): void;
  /** Our newest seal key (E2ee.ownSealKey). */
  ownKey(): SealKey;
  /** A sender's seal key for an epoch (E2ee.sealKeyOf); throws when we hold none. */
  keyOf(fromId: string, epoch: number): SealKey;
  /** Everyone else in our room now: who "everyone" is. */
  members(): readonly string[];
  /** Bytes queued on the room socket. */
  buffered(): number;
}

/** The sealed part of an offer. */
interface FileMeta {
  k: 'file';
  id: string;
  name: string;
  mime: string;
  size: number;
  chunks: number;
  /** base64url of the chunk stream's header. */
  header: string;
}

interface Outgoing {
  file: Blob;
  key: SealKey;
  streamId: Uint8Array;
  chunks: number;
  offer: Offer;
  waiting: Set<string>;
  accepted: Set<string>;
  sealer: ChunkSealer;
  /** Index the sealer seals next. */
  sealed: number;
  recent: Map<number, string>;
  /** Index to send next. */
  next: number;
  /** Not before this time (ms): the room asked us to slow down. */
  resumeAt: number;
  pumping: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Incoming {
  opener: ChunkOpener;
  chunks: number;
  parts: Uint8Array[];
  /** Index of the next chunk to arrive (opening lags behind it). */
  next: number;
  /** Bytes opened so far. */
  opened: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Random id the protocol accepts (`FileId`). */
function newFileId(): string {
  return toB64url(crypto.getRandomValues(new Uint8Array(12)));
}

/** A name safe to show and to save under: no path, no control characters, bounded. */
export function safeFileName(name: string): string {
  const clean = name
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
    .replace(/[\u0000-\u001f\u007f/\\]/g, '_')
    .replace(/^\.+/, '')
    .trim()
    .slice(0, MAX_NAME_CHARS);
  return clean || 'file';
}

const MIME = /^[\w.+-]{1,60}\/[\w.+-]{1,60}$/;

function parseMeta(text: string, offer: { id: string; size: number; chunks: number }): FileMeta {
  const v: unknown = JSON.parse(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('file meta: not an object');
  const o = v as Record<string, unknown>;
  const keys = ['k', 'id', 'name', 'mime', 'size', 'chunks', 'header'];
  if (Object.keys(o).some((k) => !keys.includes(k))) throw new Error('file meta: unknown field');
  const { k, id, name, mime, size, chunks, header } = o;
  if (k !== 'file' || id !== offer.id || size !== offer.size || chunks !== offer.chunks) throw new Error('file meta: does not match its offer');
  if (typeof name !== 'string' || typeof mime !== 'string' || typeof header !== 'string') throw new Error('file meta: bad field');
  if (mime !== '' && !MIME.test(mime)) throw new Error('file meta: bad type');
  return { k, id, name: safeFileName(name), mime, size: offer.size, chunks: offer.chunks, header };
}

export class Files {
  #list = $state.raw<readonly Transfer[]>([]);
  #maxBytes = $state(DEFAULT_MAX_FILE_BYTES);
  #link: FilesLink | null = $state.raw(null);
  #out = new Map<string, Outgoing>();
  #in = new Map<string, Incoming>();
  readonly #resendWindow: number;
  /** Called when an offer arrives (the meeting announces it). */
  onOffer: ((t: Transfer) => void) | null = null;

  /** @param opts.resendWindow - sealed chunks kept per transfer for resends (tests shrink it) */
  constructor(opts: { resendWindow?: number } = {}) {
    this.#resendWindow = opts.resendWindow ?? RESEND_WINDOW;
  }

  /** Newest first. */
  get transfers(): readonly Transfer[] {
    return this.#list;
  }
  /** Offers waiting for our answer. */
  get pending(): number {
    return this.#list.filter((t) => t.direction === 'in' && t.status === 'offered').length;
  }
  /** Largest file the room relays. */
  get maxBytes(): number {
    return this.#maxBytes;
  }
  get available(): boolean {
    return this.#link !== null;
  }

  /** Binds to a room session; `maxBytes` is the room's limit from its welcome. */
  attach(link: FilesLink, maxBytes = DEFAULT_MAX_FILE_BYTES): void {
    this.#link = link;
    this.#maxBytes = maxBytes;
  }

  /** The room session ended: whatever is still moving cannot finish. Finished files stay to be saved. */
  detach(): void {
    this.#link = null;
    for (const t of this.#list) if (!isFinal(t.status)) this.#fail(t.id, 'disconnected');
  }

  /**
   * Offers a file to one participant or (to = null) everyone in our room.
   * @returns the transfer id, or null when the file cannot be offered (its card says why)
   */
  async send(file: File, to: string | null = null): Promise<string | null> {
    const link = this.#link;
    const id = newFileId();
    const name = safeFileName(file.name);
    const mime = MIME.test(file.type) ? file.type : '';
    const recipients = to === null ? [...(link?.members() ?? [])] : [to];
    const base: Transfer = {
      id,
      direction: 'out',
      peer: to,
      name,
      mime,
      size: file.size,
      done: 0,
      status: 'waiting',
      problem: null,
      code: null,
      recipients: recipients.length,
      accepted: 0,
      declined: 0,
      blob: null,
      url: null,
    };
    const refuse = (problem: TransferProblem) => {
      this.#add({ ...base, status: 'failed', problem });
      return null;
    };
    if (!link) return refuse('disconnected');
    if (file.size === 0) return refuse('empty');
    if (file.size > this.#maxBytes) return refuse('too-big');
    if (recipients.length === 0) return refuse('nobody');
    let key: SealKey;
    try {
      key = link.ownKey();
    } catch {
      return refuse('disconnected');
    }
    const streamId = crypto.getRandomValues(new Uint8Array(16));
    const sealer = new ChunkSealer('file', key, streamId);
    const chunks = Math.ceil(file.size / FILE_CHUNK_BYTES);
    const meta: FileMeta = { k: 'file', id, name, mime, size: file.size, chunks, header: toB64url(sealer.header) };
    const sealedMeta = toB64url(sealChat(key, JSON.stringify(meta)));
    if (sealedMeta.length > MAX_ENVELOPE_CHARS) return refuse('unreadable');
    const offer: Offer = { type: 'file-offer', id, to, meta: sealedMeta, size: file.size, chunks };
    const o: Outgoing = {
      file,
      key,
      streamId,
      chunks,
      offer,
      waiting: new Set(recipients),
      accepted: new Set(),
      sealer,
      sealed: 0,
      recent: new Map(),
      next: 0,
      resumeAt: 0,
      pumping: false,
      timer: undefined,
    };
    this.#out.set(id, o);
    this.#add(base);
    link.send(offer);
    o.timer = setTimeout(() => this.#answersTimedOut(id), ANSWER_TIMEOUT_MS);
    return id;
  }

  /** Accepts an offer: chunks start once the sender has everyone's answer. */
  accept(id: string): void {
    const t = this.#get(id);
    if (!t || t.direction !== 'in' || t.status !== 'offered' || !this.#link) return;
    this.#link.send({ type: 'file-answer', id, from: t.peer!, accept: true });
    this.#update(id, { status: 'receiving' });
  }

  decline(id: string): void {
    const t = this.#get(id);
    if (!t || t.direction !== 'in' || t.status !== 'offered') return;
    this.#link?.send({ type: 'file-answer', id, from: t.peer!, accept: false });
    this.#in.delete(id);
    this.#update(id, { status: 'declined' });
  }

  /** Stops a transfer from either side; the other side is told. */
  cancel(id: string): void {
    const t = this.#get(id);
    if (!t || isFinal(t.status)) return;
    if (t.direction === 'in' && t.status === 'offered') return this.decline(id);
    this.#link?.send({ type: 'file-cancel', id });
    this.#drop(id);
    this.#update(id, { status: 'cancelled' });
  }

  /** Removes a finished transfer's card and frees its file. */
  dismiss(id: string): void {
    const t = this.#get(id);
    if (!t || !isFinal(t.status)) return;
    if (t.url) URL.revokeObjectURL(t.url);
    this.#list = this.#list.filter((x) => x.id !== id);
  }

  /** A file message relayed by the room. */
  receive(msg: FileEvent): void {
    switch (msg.type) {
      case 'file-offer':
        return this.#onOffer(msg);
      case 'file-answer':
        return this.#onAnswer(msg.id, msg.from, msg.accept);
      case 'file-chunk':
        return this.#onChunk(msg.id, msg.from, msg.index, msg.data);
      case 'file-cancel':
        return this.#onCancel(msg.id, msg.from);
    }
  }

  /** The room refused a file message (`file` names the transfer, `next` where to resume). */
  refused(code: ErrorCode, file: { id: string; next?: number }, retryAfter = 0): void {
    const t = this.#get(file.id);
    if (!t || (isFinal(t.status) && t.status !== 'done')) return;
    if (t.direction === 'in') {
      if (t.status !== 'done') this.#fail(t.id, 'gone');
      return;
    }
    const o = this.#out.get(t.id);
    if (!o) return;
    const pause = Date.now() + retryAfter * 1000;
    if (t.status === 'waiting' && file.next === undefined) {
      // The offer itself was refused: only a rate limit is worth another try.
      if (code !== 'rate_limited') return this.#fail(t.id, 'refused', code);
      setTimeout(() => {
        if (this.#out.get(t.id) === o && this.#get(t.id)?.status === 'waiting') this.#link?.send(o.offer);
      }, pause - Date.now());
      return;
    }
    if (file.next === undefined) return this.#fail(t.id, 'refused', code);
    // The room is authoritative about where the stream stands: resume there.
    o.next = file.next;
    if (code === 'rate_limited') o.resumeAt = Math.max(o.resumeAt, pause);
    if (t.status === 'done') this.#update(t.id, { status: 'sending' });
    void this.#pump(t.id);
  }

  /** Someone left the meeting: their offers die, and they answer nothing more. */
  memberLeft(id: string): void {
    for (const t of this.#list) {
      if (isFinal(t.status)) continue;
      if (t.direction === 'in' && t.peer === id) this.#fail(t.id, 'sender-left');
      const o = t.direction === 'out' ? this.#out.get(t.id) : undefined;
      if (o && (o.waiting.delete(id) || o.accepted.delete(id))) this.#answersChanged(t.id);
    }
  }

  /** Forgets everything (a new meeting session). */
  clear(): void {
    for (const t of this.#list) {
      if (t.url) URL.revokeObjectURL(t.url);
      this.#drop(t.id);
    }
    this.#list = [];
  }

  // ── sending ────────────────────────────────────────────────────────────────

  #onAnswer(id: string, from: string, accept: boolean): void {
    const o = this.#out.get(id);
    const t = this.#get(id);
    if (!o || !t || t.status !== 'waiting' || !o.waiting.delete(from)) return;
    if (accept) o.accepted.add(from);
    this.#answersChanged(id);
  }

  #answersTimedOut(id: string): void {
    const o = this.#out.get(id);
    if (!o || this.#get(id)?.status !== 'waiting') return;
    const silent = o.waiting.size;
    o.waiting.clear();
    if (o.accepted.size === 0 && silent > 0) {
      this.#link?.send({ type: 'file-cancel', id });
      return this.#fail(id, 'no-answer');
    }
    this.#answersChanged(id);
  }

  /** Starts once nobody is left to answer; ends when nobody (left) wants the file. */
  #answersChanged(id: string): void {
    const o = this.#out.get(id);
    const t = this.#get(id);
    if (!o || !t) return;
    this.#update(id, { accepted: o.accepted.size, declined: t.recipients - o.accepted.size - o.waiting.size });
    if (o.waiting.size > 0) return;
    if (o.accepted.size > 0) {
      if (t.status === 'waiting') {
        clearTimeout(o.timer);
        this.#update(id, { status: 'sending' });
        void this.#pump(id);
      }
      return;
    }
    if (t.status === 'waiting' || t.status === 'sending') {
      this.#link?.send({ type: 'file-cancel', id });
      this.#drop(id);
      this.#update(id, { status: t.status === 'waiting' ? 'declined' : 'cancelled' });
    }
  }

  /** Sends chunks from `next` until the end, pausing while the socket is full or the room asked us to wait. */
  async #pump(id: string): Promise<void> {
    const o = this.#out.get(id);
    if (!o || o.pumping) return;
    o.pumping = true;
    const live = () => this.#out.get(id) === o && this.#get(id)?.status === 'sending' && this.#link !== null;
    try {
      while (live() && o.next < o.chunks) {
        const wait = Math.max(o.resumeAt - Date.now(), this.#link!.buffered() > SEND_HIGH_WATER ? DRAIN_POLL_MS : 0);
        if (wait > 0) {
          await sleep(wait);
          continue;
        }
        const index = o.next;
        const data = await this.#sealedChunk(o, index);
        // A refusal may have moved `next` while the file was read.
        if (!live() || o.next !== index) continue;
        this.#link!.send({ type: 'file-chunk', id, index, data });
        o.next = index + 1;
        this.#update(id, { done: Math.min(o.file.size, o.next * FILE_CHUNK_BYTES) });
      }
      if (live() && o.next >= o.chunks) {
        this.#update(id, { status: 'done' });
        clearTimeout(o.timer);
        o.timer = setTimeout(() => {
          if (this.#get(id)?.status === 'done') this.#out.delete(id);
        }, SENT_GRACE_MS);
      }
    } catch (err) {
      console.warn('sealroom: could not read the file to send', String(err));
      if (this.#out.get(id) === o) {
        this.#link?.send({ type: 'file-cancel', id });
        this.#fail(id, 'read-failed');
      }
    } finally {
      o.pumping = false;
    }
  }

  /**
   * Chunk `index` sealed, as base64url. The sealer only goes forward, so a resend of a chunk
   * no longer in `recent` reseals the stream from its start: sealing is deterministic (same
   * key, nonce and bytes give the same output), so nothing new is revealed.
   */
  async #sealedChunk(o: Outgoing, index: number): Promise<string> {
    const kept = o.recent.get(index);
    if (kept) return kept;
    if (index < o.sealed) {
      o.sealer = new ChunkSealer('file', o.key, o.streamId);
      o.sealed = 0;
    }
    let data = '';
    while (o.sealed <= index) {
      const i = o.sealed;
      const start = i * FILE_CHUNK_BYTES;
      const plain = new Uint8Array(await o.file.slice(start, Math.min(o.file.size, start + FILE_CHUNK_BYTES)).arrayBuffer());
      const sealed = await o.sealer.sealAsync(plain, i === o.chunks - 1);
      o.sealed = i + 1;
      if (i === index) data = toB64url(sealed);
    }
    o.recent.set(index, data);
    if (o.recent.size > this.#resendWindow) o.recent.delete(o.recent.keys().next().value!);
    return data;
  }

  // ── receiving ──────────────────────────────────────────────────────────────

  #onOffer(msg: Extract<FileEvent, { type: 'file-offer' }>): void {
    const link = this.#link;
    if (!link || msg.from === link.selfId || this.#get(msg.id)) return;
    const base: Transfer = {
      id: msg.id,
      direction: 'in',
      peer: msg.from,
      name: '',
      mime: '',
      size: msg.size,
      done: 0,
      status: 'offered',
      problem: null,
      code: null,
      recipients: 1,
      accepted: 0,
      declined: 0,
      blob: null,
      url: null,
    };
    let meta: FileMeta;
    let opener: ChunkOpener;
    try {
      const sealed = fromB64url(msg.meta);
      const key = link.keyOf(msg.from, sealedEpoch(sealed));
      meta = parseMeta(openChat(key, sealed), msg);
      const header = fromB64url(meta.header);
      // The stream must be sealed under the same key as its meta.
      if (sealedEpoch(header) !== key.epoch) throw new Error('file stream: another epoch than its offer');
      opener = new ChunkOpener('file', key, header);
    } catch {
      // Unreadable: say no, so the sender is not left waiting for us.
      link.send({ type: 'file-answer', id: msg.id, from: msg.from, accept: false });
      this.#add({ ...base, status: 'failed', problem: 'unreadable' });
      return;
    }
    if (msg.size > this.#maxBytes) {
      link.send({ type: 'file-answer', id: msg.id, from: msg.from, accept: false });
      this.#add({ ...base, name: meta.name, mime: meta.mime, status: 'failed', problem: 'too-big' });
      return;
    }
    this.#in.set(msg.id, { opener, chunks: msg.chunks, parts: [], next: 0, opened: 0 });
    const t: Transfer = { ...base, name: meta.name, mime: meta.mime };
    this.#add(t);
    this.onOffer?.(t);
  }

  #onChunk(id: string, from: string, index: number, data: string): void {
    const r = this.#in.get(id);
    const t = this.#get(id);
    if (!r || !t || t.peer !== from || t.status !== 'receiving') return;
    let sealed: Uint8Array;
    try {
      if (index !== r.next || index >= r.chunks) throw new Error(`file chunk ${index} where ${r.next} of ${r.chunks} was due`);
      sealed = fromB64url(data);
    } catch (err) {
      return this.#refuseIncoming(id, err);
    }
    r.next++;
    // openAsync takes its calls in turn, so chunks open (and land here) in arrival order.
    r.opener.openAsync(sealed).then(
      (plain) => {
        if (this.#in.get(id) === r) this.#opened(id, r, plain);
      },
      (err: unknown) => {
        if (this.#in.get(id) === r) this.#refuseIncoming(id, err);
      },
    );
  }

  #opened(id: string, r: Incoming, plain: Uint8Array): void {
    const size = this.#get(id)!.size;
    r.parts.push(plain);
    r.opened += plain.length;
    if (r.opened > size) return this.#refuseIncoming(id, new Error('file: more bytes than offered'));
    if (r.parts.length < r.chunks) return this.#update(id, { done: r.opened });
    // A last flag on an earlier chunk already failed the chunks after it ('finished').
    if (!r.opener.done) return this.#refuseIncoming(id, new Error('file: the last chunk is not marked last'));
    if (r.opened !== size) return this.#refuseIncoming(id, new Error('file: fewer bytes than offered'));
    // Never the sender's type: a blob: URL is same-origin, and an HTML "file" opened from it would run as this app.
    const blob = new Blob(r.parts as BlobPart[], { type: 'application/octet-stream' });
    this.#in.delete(id);
    this.#update(id, { done: r.opened, status: 'done', blob, url: URL.createObjectURL(blob) });
  }

  /** A chunk that does not fit the offer or does not open: nothing is saved, and the room stops relaying. */
  #refuseIncoming(id: string, err: unknown): void {
    console.warn('sealroom: file transfer refused', { id, error: String(err) });
    this.#link?.send({ type: 'file-cancel', id });
    this.#fail(id, 'tampered');
  }

  #onCancel(id: string, from: string): void {
    const t = this.#get(id);
    if (!t || isFinal(t.status)) return;
    if (t.direction === 'in') {
      if (t.peer !== from) return;
      this.#drop(id);
      this.#update(id, { status: 'cancelled' });
      return;
    }
    // A recipient changed their mind.
    const o = this.#out.get(id);
    if (o && (o.accepted.delete(from) || o.waiting.delete(from))) this.#answersChanged(id);
  }

  // ── bookkeeping ────────────────────────────────────────────────────────────

  #get(id: string): Transfer | undefined {
    return this.#list.find((t) => t.id === id);
  }

  #add(t: Transfer): void {
    this.#list = [t, ...this.#list];
  }

  #update(id: string, patch: Partial<Transfer>): void {
    const i = this.#list.findIndex((t) => t.id === id);
    if (i !== -1) this.#list = this.#list.with(i, { ...this.#list[i]!, ...patch });
  }

  #fail(id: string, problem: TransferProblem, code: ErrorCode | null = null): void {
    this.#drop(id);
    this.#update(id, { status: 'failed', problem, code, blob: null, url: null });
  }

  /** Lets go of a transfer's working state (file handle, keys, received parts). */
  #drop(id: string): void {
    const o = this.#out.get(id);
    if (o) clearTimeout(o.timer);
    this.#out.delete(id);
    this.#in.delete(id);
  }
}

function isFinal(s: TransferStatus): boolean {
  return s === 'done' || s === 'declined' || s === 'cancelled' || s === 'failed';
}
