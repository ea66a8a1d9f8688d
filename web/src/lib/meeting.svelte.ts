/**
 * One meeting from this browser's side: joins the Room, keys the E2EE manager from the
 * roster, opens media on the origin the Room assigns, and keeps all three in step
 * (joins, leaves, key blobs, tickets, host actions, reconnects). Components read its state
 * and call its methods; nothing else talks to the room or the origin. Each concept lives in a
 * class of its own (the call's life and reconnects, keys, media, screen share, recording notice,
 * reactions, breakouts, announcements; meeting-routing.ts routes a room session's messages to
 * them); this one composes them behind the surface the components read.
 */
import type { HostAction, Participant, Permission, RoomState, WaitingEntry } from '@sealroom/protocol';
import { Annotations } from './annotations.svelte.ts';
import { Announcer, type Announcement } from './announcer.svelte.ts';
import { Breakouts, type Broadcast, type HelpRequest } from './breakouts.svelte.ts';
import { CallLifecycle, type EndReason, type MeetingError, type Phase } from './call-lifecycle.svelte.ts';
import { Chat } from './chat.svelte.ts';
import { LocalDevices } from './devices.svelte.ts';
import { Files } from './files.svelte.ts';
import type { Quality } from './media-stats.ts';
import { MediaLink, type MediaStatus } from './media-link.svelte.ts';
import { MeetingKeys } from './meeting-keys.svelte.ts';
import type { MeetingParts } from './meeting-routing.ts';
import { Reactions, type Reaction, type ShownReaction } from './reactions.svelte.ts';
import { RecordingNotice } from './recording-notice.ts';
import type { WaitingReason } from './room.svelte.ts';
import { ScreenShare } from './screen-share.svelte.ts';

export type { Announcement } from './announcer.svelte.ts';
export type { MediaStatus } from './media-link.svelte.ts';
export { REACTION_MS, type Reaction, type ShownReaction } from './reactions.svelte.ts';
export { FIRST_MEDIA_RETRY_MS, backoffMs, mediaRetryMs, roomRetryMs } from './reconnect.ts';
export { SHARE_ANSWER_MS } from './screen-share.svelte.ts';
export type { EndReason, MeetingError, Phase } from './call-lifecycle.svelte.ts';

export class Meeting {
  readonly id: string;
  readonly hostKey: string | undefined;
  readonly devices = new LocalDevices();
  readonly chat = new Chat();
  readonly annotations = new Annotations();
  readonly files = new Files();

  readonly #announcer = new Announcer();
  readonly #say = this.#announcer.say;
  readonly #reactions = new Reactions();
  readonly #breakouts: Breakouts = new Breakouts({
    room: () => this.#call.room,
    e2ee: () => this.#keys.e2ee,
    roomState: () => this.roomState,
    nameOf: (id) => this.nameOf(id),
    host: (command) => this.host(command),
    say: this.#say,
  });
  readonly #keys: MeetingKeys = new MeetingKeys(() => this.#breakouts.current);
  readonly #share: ScreenShare = new ScreenShare({
    room: () => this.#call.room,
    media: () => this.#media.session,
    selfId: () => this.self?.id,
    mayShare: () => this.can('share'),
    annotations: this.annotations,
    say: this.#say,
  });
  readonly #recording = new RecordingNotice({ room: () => this.#call.room, recording: () => this.self?.recording ?? false, say: this.#say });
  readonly #media: MediaLink = new MediaLink({
    inCall: () => this.#call.phase === 'in-call',
    room: () => this.#call.room,
    selfId: () => this.self?.id,
    e2ee: () => this.#keys.e2ee,
    devices: this.devices,
    screen: () => ({ track: this.#share.track, paused: this.#share.paused }),
    stopShare: () => void this.stopShare(),
    e2eeFailed: () => this.#call.fail('e2ee-unsupported'),
    mayUnmute: () => this.can('unmute'),
    nameOf: (id) => this.nameOf(id),
    say: this.#say,
  });

  readonly #parts: MeetingParts = {
    chat: this.chat,
    annotations: this.annotations,
    files: this.files,
    keys: this.#keys,
    media: this.#media,
    share: this.#share,
    recording: this.#recording,
    reactions: this.#reactions,
    breakouts: this.#breakouts,
    announcer: this.#announcer,
    self: () => this.self,
    roomOthers: () => this.roomOthers,
    nameOf: (id) => this.nameOf(id),
  };
  readonly #call: CallLifecycle;

  constructor(id: string, hostKey: string | undefined) {
    this.id = id;
    this.hostKey = hostKey;
    this.#call = new CallLifecycle(id, hostKey, this.devices, this.#parts);
    this.files.onOffer = (t) => this.#say('files.offerFrom', { name: this.nameOf(t.peer ?? ''), file: t.name });
    this.devices.onTrackChanged = (kind, track) => {
      void this.#media.session?.produce(kind, track).catch((err: unknown) => console.warn('sealroom: could not switch device', String(err)));
    };
  }

  // ── state for the UI ───────────────────────────────────────────────────────

  get phase(): Phase {
    return this.#call.phase;
  }
  get endReason(): EndReason | null {
    return this.#call.endReason;
  }
  /** The error that stopped a join or a call, if any. */
  get error(): MeetingError | null {
    return this.#call.error;
  }
  get roomReconnecting(): boolean {
    return this.#call.roomReconnecting;
  }
  get mediaStatus(): MediaStatus {
    return this.#media.status;
  }
  get micOn(): boolean {
    return this.#media.micOn;
  }
  get camOn(): boolean {
    return this.#media.camOn;
  }
  get self(): Participant | null {
    return this.#call.room?.roster.self ?? null;
  }
  get others(): readonly Participant[] {
    return this.#call.room?.roster.others ?? [];
  }
  /** Others in the same room as us (the main room, or our breakout room): tiles, chat, keys. */
  get roomOthers(): readonly Participant[] {
    return this.others.filter((p) => p.breakout === this.#breakouts.current);
  }
  /** The breakout room we are in, null in the main room. */
  get breakoutRoom(): string | null {
    return this.#breakouts.current;
  }
  /** Hosts: help requests from breakout rooms, oldest first. */
  get helpRequests(): readonly HelpRequest[] {
    return this.#breakouts.helpRequests;
  }
  /** The host's last message to every room. */
  get broadcast(): Broadcast | null {
    return this.#breakouts.broadcast;
  }
  breakoutName(id: string | null): string {
    return this.#breakouts.name(id);
  }
  get topic(): string {
    return this.#call.room?.roster.topic ?? '';
  }
  get roomState(): RoomState | null {
    return this.#call.room?.roster.state ?? null;
  }
  get waitingList(): readonly WaitingEntry[] {
    return this.#call.room?.roster.waiting ?? [];
  }
  /** Raised hands, earliest first. */
  get hands(): readonly Participant[] {
    return this.#call.room?.roster.hands ?? [];
  }
  get remote() {
    return this.#media.session?.remote ?? {};
  }
  get activeSpeaker(): string | null {
    return this.#media.session?.activeSpeaker ?? null;
  }
  /** Receive quality of each participant's media, as measured here. */
  get quality(): Readonly<Record<string, Quality>> {
    return this.#media.session?.quality ?? {};
  }
  /** Cameras of these participants are off screen: pause them at the origin. */
  setHidden(ids: readonly string[]): void {
    void this.#media.session?.setHidden(ids).catch((err: unknown) => console.warn('sealroom: could not pause off-screen video', String(err)));
  }
  get securityCode(): string {
    return this.#keys.securityCode;
  }
  /** True after the code changed until the user dismisses the warning. */
  get codeChanged(): boolean {
    return this.#keys.codeChanged;
  }
  get announcement(): Announcement | null {
    return this.#announcer.current;
  }
  /** A host asked us to unmute; we decide. */
  get unmuteRequest(): { from: string } | null {
    return this.#media.unmuteRequest;
  }
  /** Why we are held before the meeting: waiting room, or the host has not arrived. */
  get waitingReason(): WaitingReason | null {
    return this.#call.waitingReason;
  }
  get reactions(): readonly ShownReaction[] {
    return this.#reactions.shown;
  }
  /** Our own screen while we share it. */
  get screenTrack(): MediaStreamTrack | null {
    return this.#share.track;
  }
  get sharing(): boolean {
    return this.#share.track !== null;
  }
  /** Asking the room, or waiting for the browser's window picker. */
  get shareBusy(): boolean {
    return this.#share.busy;
  }
  /** Our share is paused: we are choosing another window to share. */
  get sharePaused(): boolean {
    return this.#share.paused;
  }
  /** Everyone sharing now (ourselves included), in roster order. */
  get sharers(): readonly Participant[] {
    return (this.#call.room?.roster.all ?? []).filter((p) => p.sharing);
  }
  /** Everyone recording now (ourselves included), as the room says: the indicator shows them. */
  get recorders(): readonly Participant[] {
    return (this.#call.room?.roster.all ?? []).filter((p) => p.recording);
  }
  /** Called when the room stops our recording (the host took the right away). */
  get onRecordingStopped(): (() => void) | null {
    return this.#recording.onStopped;
  }
  set onRecordingStopped(fn: (() => void) | null) {
    this.#recording.onStopped = fn;
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
    return this.#call.room?.roster.get(id)?.name ?? id;
  }

  dismissCodeChange(): void {
    this.#keys.dismissCodeChange();
  }

  // ── actions ────────────────────────────────────────────────────────────────

  /** The pre-join form is showing: get the connection ready for the join. */
  prepare(): void {
    this.#call.prepare();
  }

  /** Joins with a display name (and the meeting password, if it has one). */
  join(name: string, password?: string): void {
    this.#call.join(name, password);
  }

  /** Dismisses a refused join's reason (back to the pre-join form). */
  clearError(): void {
    this.#call.clearError();
  }

  /** Back to the pre-join check after the call ended (rejoin). */
  reset(): void {
    this.#call.reset();
  }

  /** Leaves for good: says goodbye to the room, closes media, stops the devices. */
  leave(): void {
    this.#call.leave();
  }

  toggleMic(): Promise<void> {
    return this.#media.toggleMic();
  }

  toggleCamera(): Promise<void> {
    return this.#media.toggleCamera();
  }

  /** Answers a host's request to unmute. */
  answerUnmute(unmute: boolean): Promise<void> {
    return this.#media.answerUnmute(unmute);
  }

  /** Shares the screen, once the room agrees (see ScreenShare). */
  startShare(): Promise<void> {
    return this.#share.start();
  }
  /** Shares another window instead, paused while the picker is open. */
  switchShare(): Promise<void> {
    return this.#share.switch();
  }
  /** Stops sharing (our button, the browser's own "stop sharing", or a host). */
  stopShare(tellRoom = true): Promise<void> {
    return this.#share.stop(tellRoom);
  }

  /**
   * Tells the room we start (or stop) recording. Starting waits for the room's answer: nothing
   * is recorded unless everyone has been told.
   * @returns whether the room accepted
   */
  announceRecording(on: boolean): Promise<boolean> {
    return this.#recording.announce(on);
  }

  raiseHand(raised: boolean): void {
    this.#call.room?.send({ type: 'hand', raised });
  }

  react(reaction: Reaction): void {
    this.#call.room?.send({ type: 'reaction', reaction });
  }

  rename(name: string): void {
    this.#call.room?.send({ type: 'rename', name });
  }

  /** A host or co-host control; the Room decides whether this client may. */
  host(command: HostAction): void {
    this.#call.room?.send({ type: 'host', command });
  }

  /** Asks the hosts for help from a breakout room. */
  askForHelp(): void {
    this.#breakouts.askForHelp();
  }

  /** Picks a breakout room when the host lets participants choose. */
  chooseBreakout(room: string): void {
    this.#breakouts.choose(room);
  }

  dismissHelp(from: string): void {
    this.#breakouts.dismissHelp(from);
  }

  dismissBroadcast(): void {
    this.#breakouts.dismissBroadcast();
  }

  /** Hosts: a message to every breakout room, sealed like a chat line. */
  broadcastToRooms(text: string): boolean {
    // Everyone but us, wherever they are: each room has its own keys, so each gets its own wrap.
    return this.#breakouts.send(text, this.others);
  }

  /** Tears everything down without a trace (page navigation). Safe to call twice. */
  dispose(): void {
    this.#call.dispose();
  }

  // ── room ───────────────────────────────────────────────────────────────────
}
