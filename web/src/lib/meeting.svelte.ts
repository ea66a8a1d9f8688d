/**
 * One meeting from this browser's side: joins the Room, keys the E2EE manager from the
 * roster, opens media on the origin the Room assigns, and keeps all three in step
 * (joins, leaves, key blobs, tickets, host actions, reconnects). Components read its state
 * and call its methods; nothing else talks to the room or the origin.
 */
import type { HostAction, OriginGrant, Participant, Permission, Reaction as ReactionSchema, RoomState, WaitingEntry } from '@sealroom/protocol';
import { Annotations } from './annotations.svelte.ts';
import { Chat, type ChatSealer } from './chat.svelte.ts';
import { E2ee } from './e2ee.ts';
import { Files } from './files.svelte.ts';
import { LocalDevices } from './devices.svelte.ts';
import { E2eeAttachError, MediaSession, SCREEN_CONSTRAINTS, type Quality, type SendSource } from './media.svelte.ts';
import type { MessageKey, UiErrorCode } from './messages.ts';
import { OriginError } from './origin-client.ts';
import { RoomConnection, roomSocketUrl, type ClosedReason, type LeaveReason, type RoomEvent, type WaitingReason } from './room.svelte.ts';
import { decodePayload, encodePayload } from './sealed-payload.ts';
import { exposeTestApi, keyExchangeDisabledByTest } from './test-hooks.ts';

export type Phase = 'prejoin' | 'joining' | 'waiting' | 'in-call' | 'ended';
/** Why the call ended. `ended`: the host ended it; `denied`: refused at the waiting room. */
export type EndReason = 'left' | 'removed' | 'ended' | 'denied' | 'disconnected' | 'error';
export type MediaStatus = 'none' | 'connecting' | 'connected' | 'reconnecting' | 'unavailable' | 'failed';
export type MeetingError = UiErrorCode | 'e2ee-unsupported';

/** Reconnect delays: 1 s, doubling, capped at 15 s. */
export function backoffMs(attempt: number): number {
  return Math.min(15_000, 1000 * 2 ** attempt);
}
/**
 * Room reconnect delays: the back-off above, each drawn between half and all of it, so the tabs
 * of a restarted edge do not all come back in the same instant. There is no last try: while the
 * tab is open the meeting keeps trying and shows that it is reconnecting. What a late return gets
 * is the Room's call: the same seat within its grace window, else a new join (lock, waiting room).
 */
export function roomRetryMs(attempt: number, random: () => number = Math.random): number {
  return Math.round(backoffMs(attempt) * (0.5 + random() / 2));
}
/**
 * Media reconnect delays: the first comes quickly (media lost is usually a dead origin process,
 * and the Room moves us to a live one at once while the user stares at frozen video), then
 * the room's back-off.
 */
export const FIRST_MEDIA_RETRY_MS = 250;
export function mediaRetryMs(attempt: number): number {
  return attempt === 0 ? FIRST_MEDIA_RETRY_MS : backoffMs(attempt - 1);
}
/** How long to wait for the room to accept a screen share. */
export const SHARE_ANSWER_MS = 5000;
/** How long a reaction stays on screen. */
export const REACTION_MS = 4000;

export interface Announcement {
  key: MessageKey;
  params?: Record<string, string | number>;
  /** Bumps on every announcement so the same sentence twice is read twice. */
  seq: number;
}

export interface ShownReaction {
  seq: number;
  from: string;
  reaction: Reaction;
}

/** One of the fixed reactions the room relays. */
export type Reaction = (typeof ReactionSchema.options)[number];

const CLIENT_ID_KEY = 'sealroom:client-id';

/** This browser's stable random id (lets a host's "don't let them back in" survive reconnects). */
function clientId(): string | undefined {
  try {
    let id = localStorage.getItem(CLIENT_ID_KEY);
    if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
      const bytes = crypto.getRandomValues(new Uint8Array(18));
      id = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_');
      localStorage.setItem(CLIENT_ID_KEY, id);
    }
    return id;
  } catch {
    return undefined;
  }
}

/**
 * The seat's resume secret, per meeting, in this tab only: a reload or a reconnect of this tab
 * is the same participant, while a second tab is another one (it must not take the seat over).
 */
const resumeKey = (meetingId: string) => `sealroom:resume:${meetingId}`;
const resumeStore = {
  get(meetingId: string): string | undefined {
    try {
      return sessionStorage.getItem(resumeKey(meetingId)) ?? undefined;
    } catch {
      return undefined;
    }
  },
  set(meetingId: string, secret: string | undefined): void {
    try {
      if (secret) sessionStorage.setItem(resumeKey(meetingId), secret);
      else sessionStorage.removeItem(resumeKey(meetingId));
    } catch {
      // storage unavailable: reconnects then start a new seat
    }
  },
};

interface JoinCredentials {
  name: string;
  password: string | undefined;
}

export class Meeting {
  readonly id: string;
  readonly hostKey: string | undefined;
  readonly devices = new LocalDevices();
  readonly chat = new Chat();
  readonly annotations = new Annotations();
  readonly files = new Files();

  #phase = $state<Phase>('prejoin');
  #endReason = $state<EndReason | null>(null);
  #error = $state<MeetingError | null>(null);
  #roomReconnecting = $state(false);
  #mediaStatus = $state<MediaStatus>('none');
  #micOn = $state(true);
  #camOn = $state(true);
  #securityCode = $state('');
  #codeChanged = $state(false);
  #announcement = $state.raw<Announcement | null>(null);
  #unmuteRequest = $state.raw<{ from: string } | null>(null);
  #reactions = $state.raw<readonly ShownReaction[]>([]);
  #waitingReason = $state<WaitingReason | null>(null);
  #room = $state.raw<RoomConnection | null>(null);
  #media = $state.raw<MediaSession | null>(null);
  #screenTrack = $state.raw<MediaStreamTrack | null>(null);
  #shareBusy = $state(false);
  /** Our share is paused while the browser's picker is open for another window. */
  #sharePaused = $state(false);
  /** Resolves when the room accepts (true) or refuses (false) our `share {on}`. */
  #shareAnswer: ((ok: boolean) => void) | null = null;
  /** Resolves when the room confirms (true) or refuses (false) our `record {on}`. */
  #recordAnswer: ((ok: boolean) => void) | null = null;
  /** We record: said again to the room after a reconnect (a new identity starts not recording). */
  #recordingAnnounced = false;
  /** Called when the room stops our recording (the host took the right away). */
  onRecordingStopped: (() => void) | null = null;
  /** The breakout room our key group and media are in (null: the main room). */
  #keyRoom = $state<string | null>(null);
  #helpRequests = $state.raw<readonly { from: string; room: string | null; at: number }[]>([]);
  #broadcast = $state.raw<{ from: string; text: string | null; seq: number } | null>(null);

  #e2ee: E2ee | null = null;
  #credentials: JoinCredentials | null = null;
  #roomAttempt = 0;
  #mediaAttempt = 0;
  #awaitingTicket = false;
  #roomTimer: ReturnType<typeof setTimeout> | undefined;
  /** The pending room reconnect, also run early when the browser comes back online. */
  #roomRetry: (() => void) | null = null;
  #mediaTimer: ReturnType<typeof setTimeout> | undefined;
  #seq = 0;
  /** Numbers our breakout broadcasts; bound into each recipient's key wrap. */
  #broadcastsSent = 0;

  constructor(id: string, hostKey: string | undefined) {
    this.id = id;
    this.hostKey = hostKey;
    this.files.onOffer = (t) => this.#say('files.offerFrom', { name: this.nameOf(t.peer ?? ''), file: t.name });
    this.devices.onTrackChanged = (kind, track) => {
      void this.#media?.produce(kind, track).catch((err: unknown) => console.warn('sealroom: could not switch device', String(err)));
    };
  }

  // ── state for the UI ───────────────────────────────────────────────────────

  get phase(): Phase {
    return this.#phase;
  }
  get endReason(): EndReason | null {
    return this.#endReason;
  }
  /** The error that stopped a join or a call, if any. */
  get error(): MeetingError | null {
    return this.#error;
  }
  get roomReconnecting(): boolean {
    return this.#roomReconnecting;
  }
  get mediaStatus(): MediaStatus {
    return this.#mediaStatus;
  }
  get micOn(): boolean {
    return this.#micOn;
  }
  get camOn(): boolean {
    return this.#camOn;
  }
  get self(): Participant | null {
    return this.#room?.roster.self ?? null;
  }
  get others(): readonly Participant[] {
    return this.#room?.roster.others ?? [];
  }
  /** Others in the same room as us (the main room, or our breakout room): tiles, chat, keys. */
  get roomOthers(): readonly Participant[] {
    return this.others.filter((p) => p.breakout === this.#keyRoom);
  }
  /** The breakout room we are in, null in the main room. */
  get breakoutRoom(): string | null {
    return this.#keyRoom;
  }
  /** Hosts: help requests from breakout rooms, oldest first. */
  get helpRequests(): readonly { from: string; room: string | null; at: number }[] {
    return this.#helpRequests;
  }
  /** The host's last message to every room. */
  get broadcast(): { from: string; text: string | null; seq: number } | null {
    return this.#broadcast;
  }
  breakoutName(id: string | null): string {
    return this.roomState?.breakout.rooms.find((r) => r.id === id)?.name ?? id ?? '';
  }

  get topic(): string {
    return this.#room?.roster.topic ?? '';
  }
  get roomState(): RoomState | null {
    return this.#room?.roster.state ?? null;
  }
  get waitingList(): readonly WaitingEntry[] {
    return this.#room?.roster.waiting ?? [];
  }
  /** Raised hands, earliest first. */
  get hands(): readonly Participant[] {
    return this.#room?.roster.hands ?? [];
  }
  get remote() {
    return this.#media?.remote ?? {};
  }
  get activeSpeaker(): string | null {
    return this.#media?.activeSpeaker ?? null;
  }
  /** Receive quality of each participant's media, as measured here. */
  get quality(): Readonly<Record<string, Quality>> {
    return this.#media?.quality ?? {};
  }

  /** Cameras of these participants are off screen: pause them at the origin. */
  setHidden(ids: readonly string[]): void {
    void this.#media?.setHidden(ids).catch((err: unknown) => console.warn('sealroom: could not pause off-screen video', String(err)));
  }
  get securityCode(): string {
    return this.#securityCode;
  }
  /** True after the code changed until the user dismisses the warning. */
  get codeChanged(): boolean {
    return this.#codeChanged;
  }
  get announcement(): Announcement | null {
    return this.#announcement;
  }
  /** A host asked us to unmute; we decide. */
  get unmuteRequest(): { from: string } | null {
    return this.#unmuteRequest;
  }
  /** Why we are held before the meeting: waiting room, or the host has not arrived. */
  get waitingReason(): WaitingReason | null {
    return this.#waitingReason;
  }
  get reactions(): readonly ShownReaction[] {
    return this.#reactions;
  }
  /** Our own screen while we share it. */
  get screenTrack(): MediaStreamTrack | null {
    return this.#screenTrack;
  }
  get sharing(): boolean {
    return this.#screenTrack !== null;
  }
  /** Asking the room, or waiting for the browser's window picker. */
  get shareBusy(): boolean {
    return this.#shareBusy;
  }
  /** Our share is paused: we are choosing another window to share. */
  get sharePaused(): boolean {
    return this.#sharePaused;
  }
  /** Everyone sharing now (ourselves included), in roster order. */
  get sharers(): readonly Participant[] {
    return (this.#room?.roster.all ?? []).filter((p) => p.sharing);
  }

  /** Everyone recording now (ourselves included), as the room says: the indicator shows them. */
  get recorders(): readonly Participant[] {
    return (this.#room?.roster.all ?? []).filter((p) => p.recording);
  }

  /** Host or co-host: may use host controls (the Room checks every one again). */
  get isHost(): boolean {
    const role = this.self?.role;
    return role === 'host' || role === 'cohost';
  }

  /** Whether this client may do `p` now (hosts always may). */
  can(p: Permission): boolean {
    const self = this.self;
    if (!self) return false;
    return this.isHost || self.permissions[p];
  }

  nameOf(id: string): string {
    return this.#room?.roster.get(id)?.name ?? id;
  }

  dismissCodeChange(): void {
    this.#codeChanged = false;
  }

  // ── actions ────────────────────────────────────────────────────────────────

  /** Joins with a display name (and the meeting password, if it has one). */
  join(name: string, password?: string): void {
    if (this.#phase === 'joining' || this.#phase === 'waiting' || this.#phase === 'in-call') return;
    this.#credentials = { name, password: password || undefined };
    this.#error = null;
    this.#endReason = null;
    this.#phase = 'joining';
    this.#roomAttempt = 0;
    this.#mediaAttempt = 0;
    this.#openRoom();
  }

  /** Dismisses a refused join's reason (back to the pre-join form). */
  clearError(): void {
    if (this.#phase === 'prejoin') this.#error = null;
  }

  /** Back to the pre-join check after the call ended (rejoin). */
  reset(): void {
    if (this.#phase !== 'ended') return;
    this.#error = null;
    this.#endReason = null;
    this.chat.clear();
    this.files.clear();
    this.#phase = 'prejoin';
  }

  /** Leaves for good: says goodbye to the room, closes media, stops the devices. */
  leave(): void {
    this.#end('left');
  }

  async toggleMic(): Promise<void> {
    // Unmuting may be forbidden by the host; the origin would refuse to resume anyway.
    if (!this.#micOn && this.#phase === 'in-call' && !this.can('unmute')) {
      this.#say('call.unmuteNotAllowed');
      return;
    }
    await this.#setSending('audio', !this.#micOn);
    this.#say(this.#micOn ? 'call.youUnmuted' : 'call.youMuted');
  }

  async toggleCamera(): Promise<void> {
    await this.#setSending('video', !this.#camOn);
  }

  /** Answers a host's request to unmute. */
  async answerUnmute(unmute: boolean): Promise<void> {
    this.#unmuteRequest = null;
    if (unmute && !this.#micOn) await this.#setSending('audio', true);
  }

  /**
   * Shares the screen: asks the room first (`share {on}`; it may refuse, or stop another
   * sharer when only one may share), then the browser's picker, then sends the screen sealed
   * as its own single high-resolution layer.
   */
  async startShare(): Promise<void> {
    const room = this.#room;
    if (this.#screenTrack || this.#shareBusy || !room || room.status !== 'joined') return;
    if (!this.can('share')) {
      this.#say('share.notAllowed');
      return;
    }
    this.#shareBusy = true;
    try {
      const accepted = new Promise<boolean>((resolve) => {
        this.#shareAnswer = resolve;
        setTimeout(() => resolve(false), SHARE_ANSWER_MS);
      });
      room.send({ type: 'share', on: true });
      const ok = await accepted;
      this.#shareAnswer = null;
      if (!ok) {
        this.#say('share.refused');
        return;
      }
      const track = await this.#pickScreen();
      if (!track || this.#room !== room) {
        track?.stop();
        room.send({ type: 'share', on: false });
        return;
      }
      track.addEventListener('ended', () => void this.stopShare());
      this.#screenTrack = track;
      await this.#media?.produce('screen', track);
      this.#say('share.started');
    } catch (err) {
      console.warn('sealroom: could not share the screen', String(err));
      await this.stopShare();
    } finally {
      this.#shareBusy = false;
    }
  }

  /**
   * Shares another window instead of the current one. While the browser's picker is open the
   * current share is paused (track disabled, producer paused at the origin, viewers told sealed)
   * so nobody sees what we click through; a new choice replaces the track in the same producer,
   * a cancelled picker resumes the old one.
   */
  async switchShare(): Promise<void> {
    const old = this.#screenTrack;
    if (!old || this.#shareBusy) return;
    this.#shareBusy = true;
    this.#sharePaused = true;
    old.enabled = false;
    try {
      await Promise.all([this.#media?.setPaused('screen', true), this.annotations.sendScreenState(true)]);
      this.#say('share.pausedChoosing');
      const next = await this.#pickScreen();
      if (this.#screenTrack !== old) {
        // The share stopped while the picker was open (the host, or the browser's own button).
        next?.stop();
        return;
      }
      if (next) {
        next.addEventListener('ended', () => void this.stopShare());
        await this.#media?.produce('screen', next);
        this.#screenTrack = next;
        old.stop();
      } else old.enabled = true;
      await Promise.all([this.#media?.setPaused('screen', false), this.annotations.sendScreenState(false)]);
      this.#say(next ? 'share.switched' : 'share.resumed');
    } catch (err) {
      console.warn('sealroom: could not switch the shared window', String(err));
      await this.stopShare();
    } finally {
      this.#sharePaused = false;
      this.#shareBusy = false;
    }
  }

  /** The browser's picker; undefined when it is cancelled or refused. */
  async #pickScreen(): Promise<MediaStreamTrack | undefined> {
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia(SCREEN_CONSTRAINTS);
      return stream.getVideoTracks()[0];
    } catch {
      return undefined;
    }
  }

  /** Stops sharing (our button, the browser's own "stop sharing", or a host). */
  async stopShare(tellRoom = true): Promise<void> {
    const track = this.#screenTrack;
    if (!track) return;
    this.#screenTrack = null;
    track.stop();
    if (this.self) this.annotations.dropScreen(this.self.id);
    if (tellRoom) this.#room?.send({ type: 'share', on: false });
    try {
      await this.#media?.closeProducer('screen');
    } catch (err) {
      console.warn('sealroom: could not close the screen producer', String(err));
    }
    this.#say('share.stopped');
  }

  /**
   * Tells the room we start (or stop) recording. Starting waits for the room's answer: nothing
   * is recorded unless everyone has been told.
   * @returns whether the room accepted
   */
  async announceRecording(on: boolean): Promise<boolean> {
    const room = this.#room;
    if (!room || room.status !== 'joined') return !on;
    this.#recordingAnnounced = on;
    if (!on) {
      room.send({ type: 'record', on: false });
      return true;
    }
    if (this.self?.recording) return true;
    const accepted = new Promise<boolean>((resolve) => {
      this.#recordAnswer = resolve;
      setTimeout(() => resolve(false), SHARE_ANSWER_MS);
    });
    room.send({ type: 'record', on: true });
    const ok = await accepted;
    this.#recordAnswer = null;
    if (!ok) {
      this.#recordingAnnounced = false;
      this.#say('record.refused');
    }
    return ok;
  }

  raiseHand(raised: boolean): void {
    this.#room?.send({ type: 'hand', raised });
  }

  react(reaction: Reaction): void {
    this.#room?.send({ type: 'reaction', reaction });
  }

  rename(name: string): void {
    this.#room?.send({ type: 'rename', name });
  }

  /** A host or co-host control; the Room decides whether this client may. */
  host(command: HostAction): void {
    this.#room?.send({ type: 'host', command });
  }

  /** Tears everything down without a trace (page navigation). Safe to call twice. */
  dispose(): void {
    this.#teardown();
    this.devices.stop();
  }

  // ── room ───────────────────────────────────────────────────────────────────

  #openRoom(): void {
    const creds = this.#credentials;
    if (!creds) return;
    // A new room session is a new participant: new key pair, new sender index.
    const e2ee = E2ee.create();
    if (keyExchangeDisabledByTest()) e2ee.disableKeyExchange = true;
    this.#e2ee = e2ee;
    const room: RoomConnection = new RoomConnection({
      welcome: (msg) => {
        // Join phases, read by bench/join.
        performance.mark('sealroom:welcome');
        resumeStore.set(this.id, msg.resume);
        this.#keyRoom = msg.self.breakout;
        this.#roomAttempt = 0;
        this.#roomReconnecting = false;
        this.#phase = 'in-call';
        e2ee.start({
          meetingId: msg.meetingId,
          self: { id: msg.self.id, index: msg.self.index },
          members: room.roster.others.filter((p) => p.breakout === msg.self.breakout).map(({ id, index, publicKey }) => ({ id, index, publicKey })),
          send: (keyBlobs) => room.send(keyBlobs),
        });
        this.#updateSecurityCode(false);
        const sealer: ChatSealer = {
          seal: async (plaintext) => e2ee.sealEnvelope(plaintext),
          open: async (from, envelope) => e2ee.openEnvelope(from, envelope),
        };
        this.chat.attach(msg.self.id, (m) => room.send(m), sealer);
        this.annotations.attach(msg.self.id, (m) => room.send(m), sealer);
        this.files.attach(
          {
            selfId: msg.self.id,
            send: (m) => room.send(m),
            ownKey: () => e2ee.ownSealKey(),
            keyOf: (from, epoch) => e2ee.sealKeyOf(from, epoch),
            members: () => this.roomOthers.map((p) => p.id),
            buffered: () => room.bufferedAmount,
          },
          msg.maxFileBytes,
        );
        // Whoever is muted on entry by the room starts muted here too.
        if (!msg.self.permissions.unmute && msg.self.role === 'participant') this.#micOn = false;
        exposeTestApi({
          selfId: msg.self.id,
          participants: () => room.roster.others.map((p) => p.id),
          e2ee,
          inboundStats: async () => (await this.#media?.inboundStats()) ?? [],
          cameraPaused: (id) => this.#media?.cameraPaused(id) ?? null,
          iceRoutes: async () => (await this.#media?.iceRoutes()) ?? [],
        });
        for (const p of room.roster.others) if (p.recording) this.chat.notice('record.inProgress', { name: p.name });
        if (this.#recordingAnnounced) room.send({ type: 'record', on: true });
        this.#connectMedia(msg.origin);
      },
      participantJoined: (p) => {
        if (!e2ee.started || p.breakout !== this.#keyRoom) return;
        e2ee.memberJoined({ id: p.id, index: p.index, publicKey: p.publicKey });
        this.#updateSecurityCode(true);
        this.#say('call.joined', { name: p.name });
      },
      participantUpdated: (p, prev) => this.#onUpdated(p, prev),
      participantLeft: (p, id, reason) => this.#onLeft(p, id, reason),
      // The same seat on a new connection: its old keys and transfers go, its new keys come in.
      participantBack: (p, prev) => {
        this.files.memberLeft(p.id);
        this.annotations.dropScreen(p.id);
        if (!e2ee.started) return;
        if (prev?.breakout === this.#keyRoom) this.#memberLeft(p.id);
        if (p.breakout === this.#keyRoom) e2ee.memberJoined({ id: p.id, index: p.index, publicKey: p.publicKey });
        this.#updateSecurityCode(true);
      },
      keyBlob: (from, epoch, blob) => {
        if (e2ee.started) e2ee.onKeyBlob(from, epoch, blob);
      },
      ticket: (grant) => {
        if (!this.#awaitingTicket) return;
        this.#awaitingTicket = false;
        this.#connectMedia(grant);
      },
      waiting: (reason) => {
        this.#waitingReason = reason;
        this.#roomReconnecting = false;
        this.#phase = 'waiting';
      },
      ended: (reason) => this.#onClosedByRoom(reason),
      event: (msg) => this.#onEvent(msg),
      error: (code, message, fatal, msg) => {
        if (fatal) this.#fail(code);
        else {
          console.warn('sealroom: room refused a request', { code, message });
          // No live origin right now: keep trying (backing off) until one comes back.
          if (code === 'no_origin' && this.#awaitingTicket) {
            this.#awaitingTicket = false;
            this.#retryMedia(true);
            this.#mediaStatus = 'unavailable';
          }
          if (msg.file) this.files.refused(code, msg.file, msg.retryAfter);
          if (code === 'forbidden') this.#shareAnswer?.(false);
          if (code === 'forbidden' || code === 'rate_limited') this.#recordAnswer?.(false);
        }
      },
      closed: (code, wasJoined) => this.#onRoomClosed(code, wasJoined),
    });
    this.#room = room;
    const cid = clientId();
    const resume = resumeStore.get(this.id);
    room.connect(roomSocketUrl(location, this.id), {
      ...(resume ? { resume } : {}),
      name: creds.name,
      publicKey: e2ee.publicKey,
      ...(cid ? { clientId: cid } : {}),
      ...(this.hostKey ? { hostKey: this.hostKey } : {}),
      ...(creds.password ? { password: creds.password } : {}),
    });
  }

  #memberLeft(id: string): void {
    try {
      this.#e2ee?.memberLeft(id);
    } catch (err) {
      console.warn('sealroom: key group had no such member', String(err));
    }
  }

  #onUpdated(p: Participant, prev: Participant | undefined): void {
    if (prev?.sharing && !p.sharing) this.annotations.dropScreen(p.id);
    // Someone moved between rooms: our key group follows who is in our room.
    const e2ee = this.#e2ee;
    if (prev && p.id !== this.self?.id && prev.breakout !== p.breakout && e2ee?.started) {
      if (prev.breakout === this.#keyRoom) {
        this.#memberLeft(p.id);
        this.annotations.dropScreen(p.id);
      } else if (p.breakout === this.#keyRoom) e2ee.memberJoined({ id: p.id, index: p.index, publicKey: p.publicKey });
      this.#updateSecurityCode(true);
    }
    if (p.id === this.self?.id && p.sharing) this.#shareAnswer?.(true);
    if (p.id === this.self?.id && p.recording) this.#recordAnswer?.(true);
    if (prev && prev.recording !== p.recording) this.chat.notice(p.recording ? 'record.startedBy' : 'record.stoppedBy', { name: p.name });
    if (prev && p.id !== this.self?.id) {
      // What others do that sighted people notice on their tiles, said to screen readers too.
      if (prev.handRaisedAt === null && p.handRaisedAt !== null) this.#say('call.handRaisedBy', { name: p.name });
      if (!prev.sharing && p.sharing) this.#say('share.startedBy', { name: p.name });
    }
    if (p.id !== this.self?.id || !prev) return;
    if (prev.role !== p.role) this.#say(p.role === 'host' ? 'call.nowHost' : p.role === 'cohost' ? 'call.nowCohost' : 'call.nowParticipant');
    if (prev.name !== p.name) this.#say('call.renamed', { name: p.name });
  }

  #onLeft(p: Participant | undefined, id: string, reason: LeaveReason): void {
    if (id === this.self?.id) {
      this.#end(reason === 'removed' ? 'removed' : reason === 'ended' ? 'ended' : 'disconnected');
      return;
    }
    if (this.#e2ee?.started && (!p || p.breakout === this.#keyRoom)) this.#memberLeft(id);
    this.annotations.dropScreen(id);
    this.files.memberLeft(id);
    this.#updateSecurityCode(true);
    if (p) this.#say('call.left', { name: p.name });
    if (p?.recording) this.chat.notice('record.stoppedBy', { name: p.name });
  }

  #onClosedByRoom(reason: ClosedReason): void {
    this.#end(reason);
  }

  #onEvent(msg: RoomEvent): void {
    switch (msg.type) {
      case 'forced':
        if (msg.what === 'mute') void this.#applyForced('audio', 'call.mutedByHost');
        else if (msg.what === 'stop-video') void this.#applyForced('video', 'call.cameraStoppedByHost');
        else if (msg.what === 'stop-share') void this.stopShare(false).then(() => this.#say('share.stoppedByHost'));
        else if (msg.what === 'stop-recording') {
          this.#recordingAnnounced = false;
          this.onRecordingStopped?.();
          this.#say('record.stoppedByHost');
        }
        return;
      case 'ask-unmute':
        this.#unmuteRequest = { from: msg.from };
        this.#say('call.askUnmute', { name: this.nameOf(msg.from) });
        return;
      case 'chat':
        void this.chat.receive(msg);
        return;
      case 'reaction': {
        const shown = { seq: ++this.#seq, from: msg.from, reaction: msg.reaction };
        this.#reactions = [...this.#reactions, shown];
        setTimeout(() => {
          this.#reactions = this.#reactions.filter((r) => r !== shown);
        }, REACTION_MS);
        return;
      }
      case 'annotate':
        void this.annotations.receive(msg.from, msg.envelope);
        return;
      case 'annotations-cleared':
        this.annotations.clear();
        this.#say('annotate.cleared', { name: this.nameOf(msg.by) });
        return;
      case 'moved':
        this.#onMoved(msg.room, msg.origin);
        return;
      case 'breakout-help':
        this.#helpRequests = [...this.#helpRequests.filter((h) => h.from !== msg.from), { from: msg.from, room: msg.room, at: Date.now() }];
        this.#say('breakout.helpAsked', { name: this.nameOf(msg.from), room: this.breakoutName(msg.room) });
        return;
      case 'breakout-broadcast': {
        const seq = ++this.#seq;
        let text: string | null = null;
        const from = this.#room?.roster.get(msg.from);
        try {
          text = this.#e2ee && from ? decodePayload(this.#e2ee.openFromEach(from, msg.n, msg.envelope, msg.key), 'chat').text : null;
        } catch {
          text = null;
        }
        this.#broadcast = { from: msg.from, text, seq };
        this.#say('breakout.broadcastFrom', { name: this.nameOf(msg.from) });
        return;
      }
      case 'file-offer':
      case 'file-answer':
      case 'file-chunk':
      case 'file-cancel':
        this.files.receive(msg);
        return;
    }
  }

  /** We moved into a breakout room or back: new key group, new router, same identity. */
  #onMoved(room: string | null, origin: OriginGrant | null): void {
    const e2ee = this.#e2ee;
    if (!e2ee?.started) return;
    this.#keyRoom = room;
    void this.stopShare(false);
    this.annotations.clear();
    e2ee.restart(this.roomOthers.map(({ id, index, publicKey }) => ({ id, index, publicKey })));
    this.#updateSecurityCode(false);
    this.#mediaAttempt = 0;
    this.#connectMedia(origin);
    this.#say(room ? 'breakout.movedTo' : 'breakout.movedBack', { room: this.breakoutName(room) });
  }

  /** Asks the hosts for help from a breakout room. */
  askForHelp(): void {
    this.#room?.send({ type: 'breakout-help' });
    this.#say('breakout.helpSent');
  }

  /** Picks a breakout room when the host lets participants choose. */
  chooseBreakout(room: string): void {
    this.#room?.send({ type: 'breakout-choose', room });
  }

  dismissHelp(from: string): void {
    this.#helpRequests = this.#helpRequests.filter((h) => h.from !== from);
  }

  dismissBroadcast(): void {
    this.#broadcast = null;
  }

  /** Hosts: a message to every breakout room, sealed like a chat line. */
  broadcastToRooms(text: string): boolean {
    const e2ee = this.#e2ee;
    const line = text.trim();
    if (!e2ee?.started || !line) return false;
    try {
      // Everyone but us, wherever they are: each room has its own keys, so each gets its own wrap.
      const recipients = this.others.slice(0, 1000);
      if (recipients.length === 0) return false;
      const n = ++this.#broadcastsSent;
      this.host({ action: 'breakout-broadcast', n, ...e2ee.sealForEach(n, recipients, encodePayload({ k: 'chat', text: line.slice(0, 2000) })) });
      return true;
    } catch {
      return false;
    }
  }

  #onRoomClosed(_code: number, wasJoined: boolean): void {
    if (this.#phase === 'ended' || this.#error) return;
    // Keep local devices; drop everything tied to the old identity and join again.
    this.#closeMedia();
    this.#e2ee?.close();
    this.#e2ee = null;
    this.chat.detach();
    this.annotations.detach();
    this.files.detach();
    void this.stopShare(false);
    exposeTestApi(undefined);
    if (!wasJoined && this.#phase === 'joining' && this.#roomAttempt === 0) {
      this.#fail('closed');
      return;
    }
    // A media retry of the old seat would ask the new one for a second ticket: the welcome brings one.
    clearTimeout(this.#mediaTimer);
    this.#roomReconnecting = true;
    this.#scheduleRoomRetry();
  }

  /** The next room reconnect, after a back-off; the browser coming back online cuts the wait short. */
  #scheduleRoomRetry(): void {
    this.#cancelRoomRetry();
    const retry = () => {
      this.#cancelRoomRetry();
      this.#room = null;
      this.#openRoom();
    };
    this.#roomRetry = retry;
    this.#roomTimer = setTimeout(retry, roomRetryMs(this.#roomAttempt++));
    globalThis.addEventListener?.('online', retry);
  }

  #cancelRoomRetry(): void {
    clearTimeout(this.#roomTimer);
    if (this.#roomRetry) globalThis.removeEventListener?.('online', this.#roomRetry);
    this.#roomRetry = null;
  }

  #updateSecurityCode(changed: boolean): void {
    const code = this.#e2ee?.securityCode() ?? '';
    if (changed && this.#securityCode && code !== this.#securityCode) this.#codeChanged = true;
    this.#securityCode = code;
  }

  // ── media ──────────────────────────────────────────────────────────────────

  #connectMedia(grant: OriginGrant | null): void {
    const e2ee = this.#e2ee;
    const self = this.self;
    if (!e2ee || !self || this.#phase !== 'in-call') return;
    if (!grant) {
      // No origin was live when we were let in (all down, or the edge restarted before they
      // registered again): keep asking, backing off, rather than stay without media for the call.
      this.#retryMedia(true);
      this.#mediaStatus = 'unavailable';
      return;
    }
    this.#closeMedia();
    this.#mediaStatus = this.#mediaAttempt > 0 ? 'reconnecting' : 'connecting';
    MediaSession.open(grant, self.id, e2ee, {
      lost: (reason) => this.#onMediaLost(reason),
      pausedByServer: (source) => {
        if (source === 'audio') this.#micOn = false;
        else if (source === 'video') this.#camOn = false;
        else if (source === 'screen') void this.stopShare();
        this.#announceMediaState();
      },
      e2eeFailed: () => this.#fail('e2ee-unsupported'),
    })
      .then(async (session) => {
        if (this.#phase !== 'in-call' || this.#e2ee !== e2ee) {
          session.close();
          return;
        }
        this.#media = session;
        await this.#startSending(session);
        this.#mediaAttempt = 0;
        this.#mediaStatus = 'connected';
      })
      .catch((err: unknown) => {
        if (this.#e2ee !== e2ee) return;
        console.warn('sealroom: media connection failed', String(err));
        if (err instanceof E2eeAttachError) this.#fail('e2ee-unsupported');
        else this.#retryMedia(err instanceof OriginError && err.code === 'bad_ticket');
      });
  }

  async #startSending(session: MediaSession): Promise<void> {
    // Joined before the camera and microphone were open (a quick click on "join"): wait for them.
    if (this.devices.started) await this.devices.start();
    const { audioTrack, videoTrack } = this.devices;
    if (audioTrack) {
      await session.produce('audio', audioTrack);
      if (!this.#micOn) await session.setPaused('audio', true);
    }
    if (videoTrack) {
      await session.produce('video', videoTrack);
      if (!this.#camOn) await session.setPaused('video', true);
    }
    if (this.#screenTrack) await session.produce('screen', this.#screenTrack);
    // A new session mid-pick starts the screen producer unpaused: nobody may see the picking.
    if (this.#screenTrack && this.#sharePaused) await session.setPaused('screen', true);
    this.#micOn &&= !!audioTrack;
    this.#camOn &&= !!videoTrack;
    this.#announceMediaState();
  }

  #onMediaLost(reason: string): void {
    console.warn('sealroom: media lost', reason);
    this.#media = null;
    this.#retryMedia(true);
  }

  /** Reconnects media after a delay; with `freshTicket`, asks the room for a new ticket first. */
  #retryMedia(freshTicket: boolean): void {
    if (this.#phase !== 'in-call') return;
    this.#mediaStatus = 'reconnecting';
    const delay = mediaRetryMs(this.#mediaAttempt++);
    clearTimeout(this.#mediaTimer);
    this.#mediaTimer = setTimeout(() => {
      if (freshTicket && this.#room?.status === 'joined') {
        this.#awaitingTicket = true;
        // The Room checks that our origin still lives before it names one again.
        this.#room.send({ type: 'ticket', mediaLost: true });
      } else this.#connectMedia(this.#room?.grant ?? null);
    }, delay);
  }

  async #applyForced(source: SendSource, key: MessageKey): Promise<void> {
    if (source === 'audio') this.#unmuteRequest = null;
    await this.#setSending(source, false);
    this.#say(key);
  }

  async #setSending(source: SendSource, on: boolean): Promise<void> {
    const trackOf = () => (source === 'audio' ? this.devices.audioTrack : this.devices.videoTrack);
    if (on && !trackOf()) {
      await this.devices.start();
      if (!trackOf()) return;
    }
    if (source === 'audio') this.#micOn = on;
    else this.#camOn = on;
    const media = this.#media;
    const track = trackOf();
    if (media) {
      try {
        if (on && track && !media.isProducing(source)) await media.produce(source, track);
        await media.setPaused(source, !on);
      } catch (err) {
        console.warn('sealroom: could not change what is sent', String(err));
      }
    } else if (track) {
      // Not connected to media: the preview still follows the toggle.
      track.enabled = on;
    }
    this.#announceMediaState();
  }

  #announceMediaState(): void {
    if (this.#room?.status === 'joined') this.#room.send({ type: 'media-state', audio: this.#micOn, video: this.#camOn });
  }

  #closeMedia(): void {
    this.#media?.close();
    this.#media = null;
    this.#awaitingTicket = false;
  }

  // ── endings ────────────────────────────────────────────────────────────────

  #fail(code: MeetingError): void {
    const wasJoining = this.#phase === 'joining';
    this.#error = code;
    this.#teardown();
    // A refused join (wrong password, locked…) goes back to the pre-join form with the reason.
    if (wasJoining) this.#phase = 'prejoin';
    else {
      this.#endReason = 'error';
      this.#phase = 'ended';
    }
  }

  #end(reason: EndReason): void {
    this.#teardown();
    this.devices.stop();
    this.#endReason = reason;
    this.#phase = 'ended';
  }

  #teardown(): void {
    this.#cancelRoomRetry();
    clearTimeout(this.#mediaTimer);
    this.#closeMedia();
    this.#room?.leave();
    this.#room = null;
    this.#e2ee?.close();
    this.#e2ee = null;
    this.chat.detach();
    this.annotations.detach();
    this.files.detach();
    this.#screenTrack?.stop();
    this.#screenTrack = null;
    this.#shareAnswer?.(false);
    this.#recordAnswer?.(false);
    this.#recordingAnnounced = false;
    this.#roomReconnecting = false;
    this.#mediaStatus = 'none';
    this.#unmuteRequest = null;
    this.#reactions = [];
    exposeTestApi(undefined);
  }

  #say(key: MessageKey, params?: Record<string, string | number>): void {
    this.#announcement = { key, params, seq: ++this.#seq };
  }
}
