/**
 * The meeting's media: a session on the origin the Room names, reopened (with a fresh ticket)
 * when it is lost, and what we send on it (microphone, camera, screen), kept as the user left it
 * across reconnects.
 */
import type { OriginGrant } from '@sealroom/protocol';
import type { Say } from './announcer.svelte.ts';
import type { LocalDevices } from './devices.svelte.ts';
import type { E2ee } from './e2ee.ts';
import { E2eeAttachError, MediaSession, type SendSource } from './media.svelte.ts';
import type { MessageKey } from './messages.ts';
import { OriginError } from './origin-client.ts';
import { mediaRetryMs } from './reconnect.ts';
import type { RoomConnection } from './room.svelte.ts';
import { WarmOrigin } from './warm-origin.ts';

export type MediaStatus = 'none' | 'connecting' | 'connected' | 'reconnecting' | 'unavailable' | 'failed';

export interface MediaLinkContext {
  inCall(): boolean;
  room(): RoomConnection | null;
  selfId(): string | undefined;
  /** The current room session's keys: media opened for an older one is dropped. */
  e2ee(): E2ee | null;
  devices: LocalDevices;
  /** Our screen share, sent on every new session (paused while its picker is open). */
  screen(): { track: MediaStreamTrack | null; paused: boolean };
  /** The origin paused our screen producer: the share ends. */
  stopShare(): void;
  /** This browser cannot seal media: the call cannot go on. */
  e2eeFailed(): void;
  /** Whether the room lets us unmute now (a host may forbid it). */
  mayUnmute(): boolean;
  nameOf(id: string): string;
  say: Say;
}

export class MediaLink {
  #ctx: MediaLinkContext;
  #session = $state.raw<MediaSession | null>(null);
  #status = $state<MediaStatus>('none');
  #micOn = $state(true);
  #camOn = $state(true);
  #unmuteRequest = $state.raw<{ from: string } | null>(null);
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The origin readied while the pre-join form shows, until the first session takes it. */
  #warm: WarmOrigin | null = null;
  /** We asked the room for a new ticket: the next `ticket` is ours to connect with. */
  #awaitingTicket = false;

  constructor(ctx: MediaLinkContext) {
    this.#ctx = ctx;
  }

  get session(): MediaSession | null {
    return this.#session;
  }
  get status(): MediaStatus {
    return this.#status;
  }
  get micOn(): boolean {
    return this.#micOn;
  }
  get camOn(): boolean {
    return this.#camOn;
  }
  /** A host asked us to unmute; we decide. */
  get unmuteRequest(): { from: string } | null {
    return this.#unmuteRequest;
  }

  /** Connects to the origin of `grant` (none: keeps asking the room for one). */
  connect(grant: OriginGrant | null): void {
    const e2ee = this.#ctx.e2ee();
    const selfId = this.#ctx.selfId();
    if (!e2ee || !selfId || !this.#ctx.inCall()) return;
    if (!grant) {
      // No origin was live when we were let in (all down, or the edge restarted before they
      // registered again): keep asking, backing off, rather than stay without media for the call.
      this.#retry(true);
      this.#status = 'unavailable';
      return;
    }
    this.close();
    this.#status = this.#attempt > 0 ? 'reconnecting' : 'connecting';
    // The origin readied at the pre-join form serves the first session, if the grant names it.
    const warm = this.#warm;
    this.#warm = null;
    if (warm && warm.url !== grant.url) warm.close();
    MediaSession.open(
      grant,
      selfId,
      e2ee,
      {
        lost: (reason) => this.#onLost(reason),
        pausedByServer: (source) => {
          if (source === 'audio') this.#micOn = false;
          else if (source === 'video') this.#camOn = false;
          else if (source === 'screen') this.#ctx.stopShare();
          this.announceState();
        },
        e2eeFailed: () => this.#ctx.e2eeFailed(),
      },
      warm,
    )
      .then(async (session) => {
        if (!this.#ctx.inCall() || this.#ctx.e2ee() !== e2ee) {
          session.close();
          return;
        }
        this.#session = session;
        await this.#startSending(session);
        this.#attempt = 0;
        this.#status = 'connected';
      })
      .catch((err: unknown) => {
        if (this.#ctx.e2ee() !== e2ee) return;
        console.warn('sealroom: media connection failed', String(err));
        if (err instanceof E2eeAttachError) this.#ctx.e2eeFailed();
        else this.#retry(err instanceof OriginError && err.code === 'bad_ticket');
      });
  }

  /**
   * The pre-join form learnt where the meeting's media is (null: nowhere yet): dial it and load
   * the device now, for the join to take (warm-origin.ts).
   */
  warm(url: string | null): void {
    if (this.#warm?.url === url) return;
    this.#warm?.close();
    this.#warm = url ? new WarmOrigin(url) : null;
  }

  /** A new room (a breakout move): connect afresh, not as a retry. */
  reconnectTo(grant: OriginGrant | null): void {
    this.#attempt = 0;
    this.connect(grant);
  }

  /** The room's answer to our ticket request. */
  ticket(grant: OriginGrant): void {
    if (!this.#awaitingTicket) return;
    this.#awaitingTicket = false;
    this.connect(grant);
  }

  /** The room has no live origin for our ticket request: keep trying until one comes back. */
  noOrigin(): void {
    if (!this.#awaitingTicket) return;
    this.#awaitingTicket = false;
    this.#retry(true);
    this.#status = 'unavailable';
  }

  async toggleMic(): Promise<void> {
    // Unmuting may be forbidden by the host; the origin would refuse to resume anyway.
    if (!this.#micOn && this.#ctx.inCall() && !this.#ctx.mayUnmute()) {
      this.#ctx.say('call.unmuteNotAllowed');
      return;
    }
    await this.setSending('audio', !this.#micOn);
    this.#ctx.say(this.#micOn ? 'call.youUnmuted' : 'call.youMuted');
  }

  async toggleCamera(): Promise<void> {
    await this.setSending('video', !this.#camOn);
  }

  askedToUnmute(from: string): void {
    this.#unmuteRequest = { from };
    this.#ctx.say('call.askUnmute', { name: this.#ctx.nameOf(from) });
  }

  /** Answers a host's request to unmute. */
  async answerUnmute(unmute: boolean): Promise<void> {
    this.#unmuteRequest = null;
    if (unmute && !this.#micOn) await this.setSending('audio', true);
  }

  /** A host turned our microphone or camera off. */
  async forcedOff(source: SendSource, key: MessageKey): Promise<void> {
    if (source === 'audio') this.#unmuteRequest = null;
    await this.setSending(source, false);
    this.#ctx.say(key);
  }

  /** Whoever the room mutes on entry starts muted here too. */
  mutedOnEntry(): void {
    this.#micOn = false;
  }

  /** Turns sending from a device on or off (opening the device first if needed). */
  async setSending(source: SendSource, on: boolean): Promise<void> {
    const { devices } = this.#ctx;
    const trackOf = () => (source === 'audio' ? devices.audioTrack : devices.videoTrack);
    if (on && !trackOf()) {
      await devices.start();
      if (!trackOf()) return;
    }
    if (source === 'audio') this.#micOn = on;
    else this.#camOn = on;
    const media = this.#session;
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
    this.announceState();
  }

  /** Tells the room what we send, for everyone's tiles. */
  announceState(): void {
    const room = this.#ctx.room();
    if (room?.status === 'joined') room.send({ type: 'media-state', audio: this.#micOn, video: this.#camOn });
  }

  /** A room retry of the old seat would ask the new one for a second ticket: the welcome brings one. */
  stopRetrying(): void {
    clearTimeout(this.#timer);
  }

  close(): void {
    this.#session?.close();
    this.#session = null;
    this.#awaitingTicket = false;
  }

  /** The call is over. */
  reset(): void {
    this.stopRetrying();
    this.close();
    this.#warm?.close();
    this.#warm = null;
    this.#attempt = 0;
    this.#status = 'none';
    this.#unmuteRequest = null;
  }

  async #startSending(session: MediaSession): Promise<void> {
    const { devices } = this.#ctx;
    // Joined before the camera and microphone were open (a quick click on "join"): wait for them.
    if (devices.started) await devices.start();
    const { audioTrack, videoTrack } = devices;
    if (audioTrack) {
      await session.produce('audio', audioTrack);
      if (!this.#micOn) await session.setPaused('audio', true);
    }
    if (videoTrack) {
      await session.produce('video', videoTrack);
      if (!this.#camOn) await session.setPaused('video', true);
    }
    const screen = this.#ctx.screen();
    if (screen.track) await session.produce('screen', screen.track);
    // A new session mid-pick starts the screen producer unpaused: nobody may see the picking.
    if (screen.track && screen.paused) await session.setPaused('screen', true);
    this.#micOn &&= !!audioTrack;
    this.#camOn &&= !!videoTrack;
    this.announceState();
  }

  #onLost(reason: string): void {
    console.warn('sealroom: media lost', reason);
    this.#session = null;
    this.#retry(true);
  }

  /** Reconnects after a delay; with `freshTicket`, asks the room for a new ticket first. */
  #retry(freshTicket: boolean): void {
    if (!this.#ctx.inCall()) return;
    this.#status = 'reconnecting';
    const delay = mediaRetryMs(this.#attempt++);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const room = this.#ctx.room();
      if (freshTicket && room?.status === 'joined') {
        this.#awaitingTicket = true;
        // The Room checks that our origin still lives before it names one again.
        room.send({ type: 'ticket', mediaLost: true });
      } else this.connect(room?.grant ?? null);
    }, delay);
  }
}
