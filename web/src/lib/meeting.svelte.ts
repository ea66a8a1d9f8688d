/**
 * One meeting from this browser's side: joins the Room, keys the E2EE manager from the
 * roster, opens media on the origin the Room assigns, and keeps all three in step
 * (joins, leaves, key blobs, tickets, host actions, reconnects). Components read its state
 * and call its methods; nothing else talks to the room or the origin.
 */
import type { HostAction, OriginGrant, Participant, Permission, Reaction as ReactionSchema, RoomState, WaitingEntry } from '@sealroom/protocol';
import { Chat } from './chat.svelte.ts';
import { E2ee } from './e2ee.ts';
import { LocalDevices } from './devices.svelte.ts';
import { E2eeAttachError, MediaSession, type SendSource } from './media.svelte.ts';
import type { MessageKey, UiErrorCode } from './messages.ts';
import { OriginError } from './origin-client.ts';
import { RoomConnection, roomSocketUrl, type ClosedReason, type LeaveReason, type RoomEvent, type WaitingReason } from './room.svelte.ts';
import { exposeTestApi, keyExchangeDisabledByTest } from './test-hooks.ts';

export type Phase = 'prejoin' | 'joining' | 'waiting' | 'in-call' | 'ended';
/** Why the call ended. `ended`: the host ended it; `denied`: refused at the waiting room. */
export type EndReason = 'left' | 'removed' | 'ended' | 'denied' | 'disconnected' | 'error';
export type MediaStatus = 'none' | 'connecting' | 'connected' | 'reconnecting' | 'unavailable' | 'failed';
export type MeetingError = UiErrorCode | 'e2ee-unsupported';

/** Room reconnects give up after this many tries in a row. */
export const ROOM_RETRIES = 5;
/** Reconnect delays: 1 s, doubling, capped at 15 s. */
export function backoffMs(attempt: number): number {
  return Math.min(15_000, 1000 * 2 ** attempt);
}
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

interface JoinCredentials {
  name: string;
  password: string | undefined;
}

export class Meeting {
  readonly id: string;
  readonly hostKey: string | undefined;
  readonly devices = new LocalDevices();
  readonly chat = new Chat();

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

  #e2ee: E2ee | null = null;
  #credentials: JoinCredentials | null = null;
  #roomAttempt = 0;
  #mediaAttempt = 0;
  #awaitingTicket = false;
  #roomTimer: ReturnType<typeof setTimeout> | undefined;
  #mediaTimer: ReturnType<typeof setTimeout> | undefined;
  #seq = 0;

  constructor(id: string, hostKey: string | undefined) {
    this.id = id;
    this.hostKey = hostKey;
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

  /** Back to the pre-join check after the call ended (rejoin). */
  reset(): void {
    if (this.#phase !== 'ended') return;
    this.#error = null;
    this.#endReason = null;
    this.chat.clear();
    this.#phase = 'prejoin';
  }

  /** Leaves for good: says goodbye to the room, closes media, stops the devices. */
  leave(): void {
    this.#end('left');
  }

  async toggleMic(): Promise<void> {
    // Unmuting may be forbidden by the host; the origin would refuse to resume anyway.
    if (!this.#micOn && this.#phase === 'in-call' && !this.can('unmute')) return;
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
        this.#roomAttempt = 0;
        this.#roomReconnecting = false;
        this.#phase = 'in-call';
        e2ee.start({
          meetingId: msg.meetingId,
          self: { id: msg.self.id, index: msg.self.index },
          members: room.roster.others.map(({ id, index, publicKey }) => ({ id, index, publicKey })),
          send: (keyBlobs) => room.send(keyBlobs),
        });
        this.#updateSecurityCode(false);
        this.chat.attach(msg.self.id, (m) => room.send(m), null);
        // Whoever is muted on entry by the room starts muted here too.
        if (!msg.self.permissions.unmute && msg.self.role === 'participant') this.#micOn = false;
        exposeTestApi({
          selfId: msg.self.id,
          participants: () => room.roster.others.map((p) => p.id),
          e2ee,
          inboundStats: async () => (await this.#media?.inboundStats()) ?? [],
        });
        this.#connectMedia(msg.origin);
      },
      participantJoined: (p) => {
        e2ee.memberJoined({ id: p.id, index: p.index, publicKey: p.publicKey });
        this.#updateSecurityCode(true);
        this.#say('call.joined', { name: p.name });
      },
      participantUpdated: (p, prev) => this.#onUpdated(p, prev),
      participantLeft: (p, id, reason) => this.#onLeft(p, id, reason),
      keyBlob: (from, epoch, blob) => e2ee.onKeyBlob(from, epoch, blob),
      ticket: (grant) => {
        if (!this.#awaitingTicket) return;
        this.#awaitingTicket = false;
        this.#connectMedia(grant);
      },
      waiting: (reason) => {
        this.#waitingReason = reason;
        this.#phase = 'waiting';
      },
      ended: (reason) => this.#onClosedByRoom(reason),
      event: (msg) => this.#onEvent(msg),
      error: (code, message, fatal) => {
        if (fatal) this.#fail(code);
        else console.warn('sealroom: room refused a request', { code, message });
      },
      closed: (code, wasJoined) => this.#onRoomClosed(code, wasJoined),
    });
    this.#room = room;
    const cid = clientId();
    room.connect(roomSocketUrl(location, this.id), {
      name: creds.name,
      publicKey: e2ee.publicKey,
      ...(cid ? { clientId: cid } : {}),
      ...(this.hostKey ? { hostKey: this.hostKey } : {}),
      ...(creds.password ? { password: creds.password } : {}),
    });
  }

  #onUpdated(p: Participant, prev: Participant | undefined): void {
    if (p.id !== this.self?.id || !prev) return;
    if (prev.role !== p.role) this.#say(p.role === 'host' ? 'call.nowHost' : p.role === 'cohost' ? 'call.nowCohost' : 'call.nowParticipant');
    if (prev.name !== p.name) this.#say('call.renamed', { name: p.name });
  }

  #onLeft(p: Participant | undefined, id: string, reason: LeaveReason): void {
    if (id === this.self?.id) {
      this.#end(reason === 'removed' ? 'removed' : reason === 'ended' ? 'ended' : 'disconnected');
      return;
    }
    this.#e2ee?.memberLeft(id);
    this.#updateSecurityCode(true);
    if (p) this.#say('call.left', { name: p.name });
  }

  #onClosedByRoom(reason: ClosedReason): void {
    this.#end(reason);
  }

  #onEvent(msg: RoomEvent): void {
    switch (msg.type) {
      case 'forced':
        if (msg.what === 'mute') void this.#applyForced('audio', 'call.mutedByHost');
        else if (msg.what === 'stop-video') void this.#applyForced('video', 'call.cameraStoppedByHost');
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
      case 'annotations-cleared':
        // Screen share and annotation come later (issue 6 §5).
        return;
    }
  }

  #onRoomClosed(_code: number, wasJoined: boolean): void {
    if (this.#phase === 'ended' || this.#error) return;
    // Keep local devices; drop everything tied to the old identity and join again.
    this.#closeMedia();
    this.#e2ee?.close();
    this.#e2ee = null;
    this.chat.detach();
    exposeTestApi(undefined);
    if (!wasJoined && this.#phase === 'joining' && this.#roomAttempt === 0) {
      this.#fail('closed');
      return;
    }
    if (this.#roomAttempt >= ROOM_RETRIES) {
      this.#end('disconnected');
      return;
    }
    this.#roomReconnecting = true;
    const delay = backoffMs(this.#roomAttempt++);
    clearTimeout(this.#roomTimer);
    this.#roomTimer = setTimeout(() => {
      this.#room = null;
      this.#openRoom();
    }, delay);
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
    const { audioTrack, videoTrack } = this.devices;
    if (audioTrack) {
      await session.produce('audio', audioTrack);
      if (!this.#micOn) await session.setPaused('audio', true);
    }
    if (videoTrack) {
      await session.produce('video', videoTrack);
      if (!this.#camOn) await session.setPaused('video', true);
    }
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
    const delay = backoffMs(this.#mediaAttempt++);
    clearTimeout(this.#mediaTimer);
    this.#mediaTimer = setTimeout(() => {
      if (freshTicket && this.#room?.status === 'joined') {
        this.#awaitingTicket = true;
        this.#room.requestTicket();
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
    clearTimeout(this.#roomTimer);
    clearTimeout(this.#mediaTimer);
    this.#closeMedia();
    this.#room?.leave();
    this.#room = null;
    this.#e2ee?.close();
    this.#e2ee = null;
    this.chat.detach();
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
