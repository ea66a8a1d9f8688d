/**
 * The meeting's Room (Durable Object) from the browser: one WebSocket, the roster and room
 * state it keeps, keepalive pings and origin-ticket refresh. Every frame in is parsed with
 * the protocol's `RoomToClient`; anything that fails is logged and changes nothing.
 */
import {
  MAX_ROOM_FRAME,
  RoomToClient,
  parseJson,
  type ClientToRoom,
  type ErrorCode,
  type OriginGrant,
  type Participant,
  type RoomState,
  type WaitingEntry,
} from '@sealroom/protocol';
import { SOCKET_OPEN, type SocketLike } from './origin-client.ts';

/** The room drops sockets that stay silent; the DO answers the text frame "ping" with "pong". */
export const KEEPALIVE_MS = 20_000;
/**
 * Close code reported when a socket is given up for silence: a ping went unanswered for a whole
 * keepalive period. A link that dies without a reset (a router gone, a network switched) never
 * closes the socket by itself; TCP would keep retransmitting into it for many minutes.
 */
export const SILENT_CLOSE = 4800;
/** Ask for a fresh origin ticket this long before the current one expires. */
export const TICKET_REFRESH_LEAD_MS = 60_000;

type Msg<T extends RoomToClient['type']> = Extract<RoomToClient, { type: T }>;
export type Welcome = Msg<'welcome'>;
export type JoinRequest = Omit<Extract<ClientToRoom, { type: 'join' }>, 'type'>;
export type LeaveReason = Msg<'participant-left'>['reason'];
export type ClosedReason = Msg<'closed'>['reason'];
export type WaitingReason = Msg<'waiting'>['reason'];
export type RoomError = Msg<'error'>;
/** Messages the connection does not keep state for; it hands them on as they are. */
export type RoomEvent = Msg<
  | 'ask-unmute'
  | 'forced'
  | 'chat'
  | 'reaction'
  | 'annotate'
  | 'annotations-cleared'
  | 'breakout-broadcast'
  | 'breakout-help'
  | 'moved'
  | 'file-offer'
  | 'file-answer'
  | 'file-chunk'
  | 'file-cancel'
>;

/** The room WebSocket URL for a meeting, on the same host that served the page. */
export function roomSocketUrl(loc: { protocol: string; host: string }, meetingId: string): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/api/meetings/${encodeURIComponent(meetingId)}/ws`;
}

/**
 * Milliseconds until a ticket should be refreshed. `expiresAt` is a Unix time; values below
 * 10^12 are read as seconds (JWT style), larger ones as milliseconds.
 */
export function ticketRefreshDelay(expiresAt: number, now: number, lead = TICKET_REFRESH_LEAD_MS): number {
  const expiresMs = expiresAt < 1e12 ? expiresAt * 1000 : expiresAt;
  return Math.max(0, expiresMs - lead - now);
}

/** Who is in the meeting and the meeting-wide state, as the room last told us. Pure state: no I/O. */
export class Roster {
  #meetingId = $state<string | null>(null);
  #topic = $state('');
  #self = $state.raw<Participant | null>(null);
  #others = $state.raw<readonly Participant[]>([]);
  #state = $state.raw<RoomState | null>(null);
  #waiting = $state.raw<readonly WaitingEntry[]>([]);

  get meetingId(): string | null {
    return this.#meetingId;
  }
  get topic(): string {
    return this.#topic;
  }
  get self(): Participant | null {
    return this.#self;
  }
  /** Everyone but this client, in joining order. */
  get others(): readonly Participant[] {
    return this.#others;
  }
  /** Everyone, this client first. */
  get all(): readonly Participant[] {
    return this.#self ? [this.#self, ...this.#others] : this.#others;
  }
  get state(): RoomState | null {
    return this.#state;
  }
  /** The waiting-room queue (hosts and co-hosts only receive it). */
  get waiting(): readonly WaitingEntry[] {
    return this.#waiting;
  }
  /** Raised hands, earliest first. */
  get hands(): readonly Participant[] {
    return this.all.filter((p) => p.handRaisedAt !== null).toSorted((a, b) => (a.handRaisedAt ?? 0) - (b.handRaisedAt ?? 0));
  }

  get(id: string): Participant | undefined {
    return this.#self?.id === id ? this.#self : this.#others.find((p) => p.id === id);
  }

  welcome(msg: Welcome): void {
    this.#meetingId = msg.meetingId;
    this.#topic = msg.topic;
    this.#self = msg.self;
    this.#others = msg.participants.filter((p) => p.id !== msg.self.id);
    this.#state = msg.state;
    this.#waiting = msg.waiting;
  }

  /** Adds or replaces a participant; false when it is this client. */
  joined(p: Participant): boolean {
    if (p.id === this.#self?.id) return false;
    const i = this.#others.findIndex((o) => o.id === p.id);
    this.#others = i === -1 ? [...this.#others, p] : this.#others.with(i, p);
    return true;
  }

  /** Replaces what we know of a participant (self included); returns the previous record. */
  updated(p: Participant): Participant | undefined {
    if (p.id === this.#self?.id) {
      const prev = this.#self;
      this.#self = p;
      return prev;
    }
    const i = this.#others.findIndex((o) => o.id === p.id);
    if (i === -1) return undefined;
    const prev = this.#others[i];
    this.#others = this.#others.with(i, p);
    return prev;
  }

  /** A participant's connection dropped: it stays in the roster, marked away. Returns the new record. */
  away(id: string): Participant | undefined {
    const i = this.#others.findIndex((o) => o.id === id);
    if (i === -1) return undefined;
    const held: Participant = { ...this.#others[i]!, away: true };
    this.#others = this.#others.with(i, held);
    return held;
  }

  /**
   * A participant is back on a new connection, in the same place in the roster: no leave, no
   * join. Returns the previous record (its old keys), or undefined when it was not known.
   */
  back(p: Participant): Participant | undefined {
    if (p.id === this.#self?.id) return undefined;
    const i = this.#others.findIndex((o) => o.id === p.id);
    if (i === -1) {
      this.#others = [...this.#others, p];
      return undefined;
    }
    const prev = this.#others[i];
    this.#others = this.#others.with(i, p);
    return prev;
  }

  /** Removes a participant and returns who it was, if known. */
  left(id: string): Participant | undefined {
    const gone = this.#others.find((p) => p.id === id);
    if (gone) this.#others = this.#others.filter((p) => p.id !== id);
    return gone;
  }

  mediaState(id: string, audio: boolean, video: boolean): void {
    const p = this.get(id);
    if (p) this.updated({ ...p, audio, video });
  }

  roomState(state: RoomState): void {
    this.#state = state;
  }

  waitingList(waiting: readonly WaitingEntry[]): void {
    this.#waiting = waiting;
  }

  clear(): void {
    this.#meetingId = null;
    this.#topic = '';
    this.#self = null;
    this.#others = [];
    this.#state = null;
    this.#waiting = [];
  }
}

/** `waiting`: held in the waiting room (or until the host comes); `joined`: welcomed. */
export type RoomStatus = 'idle' | 'connecting' | 'waiting' | 'joined' | 'closed' | 'failed';

export interface RoomHandlers {
  welcome(msg: Welcome): void;
  participantJoined(p: Participant): void;
  participantUpdated(p: Participant, prev: Participant | undefined): void;
  participantLeft(p: Participant | undefined, id: string, reason: LeaveReason): void;
  /**
   * A participant is back after its connection dropped (or took its seat over from another tab):
   * same seat, new connection, so a new public key and sender index. `prev` is what we knew before.
   */
  participantBack(p: Participant, prev: Participant | undefined): void;
  keyBlob(from: string, epoch: number, blob: string): void;
  ticket(origin: OriginGrant): void;
  waiting(reason: WaitingReason): void;
  /** The room ended this connection's part in the meeting; the socket closes next. */
  ended(reason: ClosedReason): void;
  /** Everything the connection keeps no state for (chat, reactions, host requests…). */
  event(msg: RoomEvent): void;
  /** An error answer. Before `welcome` it ends the join; after, it refuses one request (`msg` says more, e.g. which file transfer). */
  error(code: ErrorCode, message: string, fatal: boolean, msg: RoomError): void;
  /** The socket closed without `leave()` and without a `closed` message first. */
  closed(code: number, wasJoined: boolean): void;
}

export class RoomConnection {
  readonly roster = new Roster();
  #status = $state<RoomStatus>('idle');
  #grant = $state.raw<OriginGrant | null>(null);
  #socket: SocketLike | null = null;
  #keepalive: ReturnType<typeof setInterval> | undefined;
  /** When the socket last heard anything, and when we last pinged: a ping older than the last word went unanswered. */
  #heardAt = 0;
  #pingedAt = 0;
  #ticketTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #handlers: RoomHandlers;
  readonly #makeSocket: (url: string) => SocketLike;

  constructor(handlers: RoomHandlers, makeSocket: (url: string) => SocketLike = (u) => new WebSocket(u)) {
    this.#handlers = handlers;
    this.#makeSocket = makeSocket;
  }

  get status(): RoomStatus {
    return this.#status;
  }
  /** Bytes queued on the socket, not yet sent: file transfer keeps this bounded. */
  get bufferedAmount(): number {
    const socket = this.#socket as (SocketLike & { bufferedAmount?: number }) | null;
    return socket?.bufferedAmount ?? 0;
  }
  /** The latest origin grant (URL + ticket), refreshed before it expires. */
  get grant(): OriginGrant | null {
    return this.#grant;
  }

  /**
   * Sends `join` on `early` (a socket opened ahead, see early-socket.ts) or on a new socket to
   * `url`, as soon as it is open.
   */
  connect(url: string, join: JoinRequest, early: SocketLike | null = null): void {
    if (this.#socket) throw new Error('RoomConnection.connect called twice');
    this.#status = 'connecting';
    const socket = early ?? this.#makeSocket(url);
    this.#socket = socket;
    const opened = () => {
      // Join phases, read by bench/join.
      performance.mark('sealroom:room-open');
      this.send({ type: 'join', ...join });
      this.#heardAt = this.#pingedAt = Date.now();
      this.#keepalive = setInterval(() => this.#ping(socket), KEEPALIVE_MS);
    };
    socket.onmessage = (ev) => {
      this.#heardAt = Date.now();
      this.receive(ev.data);
    };
    socket.onerror = () => {};
    socket.onclose = (ev) => this.#lost(socket, ev.code);
    if (socket.readyState === SOCKET_OPEN) opened();
    else socket.onopen = opened;
  }

  /** Pings, unless the last ping is still unanswered: then the link is dead and the socket is given up. */
  #ping(socket: SocketLike): void {
    if (this.#pingedAt > this.#heardAt) {
      this.#detach(socket);
      socket.close(SILENT_CLOSE, 'no answer to keepalive');
      this.#lost(socket, SILENT_CLOSE);
      return;
    }
    this.#pingedAt = Date.now();
    this.#sendOn(socket, 'ping');
  }

  #lost(socket: SocketLike, code: number): void {
    if (this.#socket !== socket) return;
    const wasJoined = this.#status === 'joined';
    this.#stopTimers();
    this.#socket = null;
    if (this.#status !== 'failed') this.#status = 'closed';
    this.#handlers.closed(code, wasJoined);
  }

  send(msg: ClientToRoom): void {
    this.#sendRaw(JSON.stringify(msg));
  }

  /** Asks the room for a fresh origin ticket now (e.g. the origin asked us to reconnect). */
  requestTicket(): void {
    this.send({ type: 'ticket' });
  }

  /** Says goodbye and closes. Safe to call twice; no `closed` callback follows. */
  leave(): void {
    const socket = this.#socket;
    this.#socket = null;
    this.#stopTimers();
    if (socket) {
      if (this.#status === 'joined' || this.#status === 'waiting') this.#sendOn(socket, JSON.stringify({ type: 'leave' } satisfies ClientToRoom));
      this.#detach(socket);
      socket.close(1000, 'leave');
    }
    if (this.#status !== 'failed') this.#status = 'closed';
  }

  /** Handles one incoming frame (exposed for tests). */
  receive(raw: unknown): void {
    if (raw === 'pong') return;
    const parsed = parseJson(RoomToClient, raw, MAX_ROOM_FRAME);
    if (!parsed.ok) {
      console.warn('sealroom: dropped room frame', { code: parsed.code, message: parsed.message });
      return;
    }
    const msg = parsed.value;
    const h = this.#handlers;
    switch (msg.type) {
      case 'welcome':
        this.roster.welcome(msg);
        this.#status = 'joined';
        this.#setGrant(msg.origin);
        h.welcome(msg);
        return;
      case 'participant-joined':
        if (this.roster.joined(msg.participant)) h.participantJoined(msg.participant);
        return;
      case 'participant-updated':
        h.participantUpdated(msg.participant, this.roster.updated(msg.participant));
        return;
      case 'participants-updated':
        for (const p of msg.participants) h.participantUpdated(p, this.roster.updated(p));
        return;
      case 'muted-all': {
        // Applied here exactly as the Room applied it: everyone but hosts and co-hosts, and the
        // new unmute default. The room sends no separate notice to each muted participant: this
        // frame is ours, so it is passed on as the `forced` event the room would have sent.
        const state = this.roster.state;
        if (state) this.roster.roomState({ ...state, settings: { ...state.settings, allowUnmute: msg.allowUnmute } });
        for (const p of [...this.roster.all]) {
          if (p.role !== 'participant') continue;
          const next = { ...p, audio: false, permissions: { ...p.permissions, unmute: msg.allowUnmute } };
          h.participantUpdated(next, this.roster.updated(next));
        }
        if (this.roster.self?.role === 'participant') h.event({ type: 'forced', what: 'mute', by: msg.by });
        return;
      }
      case 'participant-left':
        h.participantLeft(this.roster.left(msg.id), msg.id, msg.reason);
        return;
      case 'participant-away': {
        // Only the roster shows it: the seat and its keys stay as they are while it reconnects.
        const held = this.roster.away(msg.id);
        if (held) h.participantUpdated(held, { ...held, away: undefined });
        return;
      }
      case 'participant-back':
        if (msg.participant.id !== this.roster.self?.id) h.participantBack(msg.participant, this.roster.back(msg.participant));
        return;
      case 'key-blob':
        h.keyBlob(msg.from, msg.epoch, msg.blob);
        return;
      case 'media-state':
        this.roster.mediaState(msg.id, msg.audio, msg.video);
        return;
      case 'room-state':
        this.roster.roomState(msg.state);
        return;
      case 'waiting':
        this.#status = 'waiting';
        h.waiting(msg.reason);
        return;
      case 'waiting-list':
        this.roster.waitingList(msg.waiting);
        return;
      case 'ticket':
        this.#setGrant(msg.origin);
        h.ticket(msg.origin);
        return;
      case 'prepared':
        // The early socket's answer arriving after the join took the socket: the welcome's grant is what counts.
        return;
      case 'closed': {
        // The room is done with us: no reconnect, no `closed` callback.
        const socket = this.#socket;
        this.#socket = null;
        this.#stopTimers();
        if (socket) this.#detach(socket);
        this.#status = 'closed';
        h.ended(msg.reason);
        return;
      }
      case 'error': {
        const fatal = this.#status !== 'joined';
        if (fatal) this.#status = 'failed';
        h.error(msg.code, msg.message, fatal, msg);
        return;
      }
      case 'ask-unmute':
      case 'forced':
      case 'chat':
      case 'reaction':
      case 'annotate':
      case 'annotations-cleared':
      case 'breakout-broadcast':
      case 'breakout-help':
      case 'moved':
      case 'file-offer':
      case 'file-answer':
      case 'file-chunk':
      case 'file-cancel':
        h.event(msg);
        return;
      default:
        assertNever(msg);
    }
  }

  #setGrant(grant: OriginGrant | null): void {
    this.#grant = grant;
    clearTimeout(this.#ticketTimer);
    if (!grant) return;
    this.#ticketTimer = setTimeout(() => this.requestTicket(), ticketRefreshDelay(grant.expiresAt, Date.now()));
  }

  #sendRaw(text: string): void {
    if (this.#socket) this.#sendOn(this.#socket, text);
  }

  #sendOn(socket: SocketLike, text: string): void {
    if (socket.readyState === 1) socket.send(text);
  }

  #detach(socket: SocketLike): void {
    socket.onclose = null;
    socket.onmessage = null;
  }

  #stopTimers(): void {
    clearInterval(this.#keepalive);
    clearTimeout(this.#ticketTimer);
  }
}

function assertNever(x: never): never {
  throw new Error(`unhandled room message: ${JSON.stringify(x)}`);
}
