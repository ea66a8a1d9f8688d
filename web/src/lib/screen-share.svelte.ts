/**
 * Sharing our screen: the room's consent first (`share {on}`), then the browser's window picker,
 * then the screen sent sealed as its own producer; switching windows pauses the share while the
 * picker is open, so nobody sees what we click through.
 */
import type { Annotations } from './annotations.svelte.ts';
import type { Say } from './announcer.svelte.ts';
import { SCREEN_CONSTRAINTS, type MediaSession } from './media.svelte.ts';
import type { RoomConnection } from './room.svelte.ts';

/** How long to wait for the room to accept a screen share. */
export const SHARE_ANSWER_MS = 5000;

export interface ShareContext {
  room(): RoomConnection | null;
  media(): MediaSession | null;
  selfId(): string | undefined;
  /** Whether the room lets us share now (hosts always may). */
  mayShare(): boolean;
  annotations: Annotations;
  say: Say;
}

export class ScreenShare {
  #ctx: ShareContext;
  #track = $state.raw<MediaStreamTrack | null>(null);
  #busy = $state(false);
  /** Our share is paused while the browser's picker is open for another window. */
  #paused = $state(false);
  /** Resolves when the room accepts (true) or refuses (false) our `share {on}`. */
  #answer: ((ok: boolean) => void) | null = null;

  constructor(ctx: ShareContext) {
    this.#ctx = ctx;
  }

  /** Our own screen while we share it. */
  get track(): MediaStreamTrack | null {
    return this.#track;
  }
  /** Asking the room, or waiting for the browser's window picker. */
  get busy(): boolean {
    return this.#busy;
  }
  /** Our share is paused: we are choosing another window to share. */
  get paused(): boolean {
    return this.#paused;
  }

  /** The room's answer to our `share {on}`: the roster shows us sharing, or it refused. */
  answered(ok: boolean): void {
    this.#answer?.(ok);
  }

  /**
   * Shares the screen: asks the room first (it may refuse, or stop another sharer when only one
   * may share), then the browser's picker, then sends the screen sealed as its own single
   * high-resolution layer.
   */
  async start(): Promise<void> {
    const room = this.#ctx.room();
    if (this.#track || this.#busy || !room || room.status !== 'joined') return;
    if (!this.#ctx.mayShare()) {
      this.#ctx.say('share.notAllowed');
      return;
    }
    this.#busy = true;
    try {
      const accepted = new Promise<boolean>((resolve) => {
        this.#answer = resolve;
        setTimeout(() => resolve(false), SHARE_ANSWER_MS);
      });
      room.send({ type: 'share', on: true });
      const ok = await accepted;
      this.#answer = null;
      if (!ok) {
        this.#ctx.say('share.refused');
        return;
      }
      const track = await this.#pick();
      if (!track || this.#ctx.room() !== room) {
        track?.stop();
        room.send({ type: 'share', on: false });
        return;
      }
      track.addEventListener('ended', () => void this.stop());
      this.#track = track;
      await this.#ctx.media()?.produce('screen', track);
      this.#ctx.say('share.started');
    } catch (err) {
      console.warn('sealroom: could not share the screen', String(err));
      await this.stop();
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Shares another window instead of the current one. While the browser's picker is open the
   * current share is paused (track disabled, producer paused at the origin, viewers told sealed)
   * so nobody sees what we click through; a new choice replaces the track in the same producer,
   * a cancelled picker resumes the old one.
   */
  async switch(): Promise<void> {
    const old = this.#track;
    if (!old || this.#busy) return;
    const { annotations, say } = this.#ctx;
    this.#busy = true;
    this.#paused = true;
    old.enabled = false;
    try {
      await Promise.all([this.#ctx.media()?.setPaused('screen', true), annotations.sendScreenState(true)]);
      say('share.pausedChoosing');
      const next = await this.#pick();
      if (this.#track !== old) {
        // The share stopped while the picker was open (the host, or the browser's own button).
        next?.stop();
        return;
      }
      if (next) {
        next.addEventListener('ended', () => void this.stop());
        await this.#ctx.media()?.produce('screen', next);
        this.#track = next;
        old.stop();
      } else old.enabled = true;
      await Promise.all([this.#ctx.media()?.setPaused('screen', false), annotations.sendScreenState(false)]);
      say(next ? 'share.switched' : 'share.resumed');
    } catch (err) {
      console.warn('sealroom: could not switch the shared window', String(err));
      await this.stop();
    } finally {
      this.#paused = false;
      this.#busy = false;
    }
  }

  /** Stops sharing (our button, the browser's own "stop sharing", or a host). */
  async stop(tellRoom = true): Promise<void> {
    const track = this.#track;
    if (!track) return;
    this.#track = null;
    track.stop();
    const selfId = this.#ctx.selfId();
    if (selfId) this.#ctx.annotations.dropScreen(selfId);
    if (tellRoom) this.#ctx.room()?.send({ type: 'share', on: false });
    try {
      await this.#ctx.media()?.closeProducer('screen');
    } catch (err) {
      console.warn('sealroom: could not close the screen producer', String(err));
    }
    this.#ctx.say('share.stopped');
  }

  /** The call is over: the screen stops without a word to anyone. */
  reset(): void {
    this.#track?.stop();
    this.#track = null;
    this.#answer?.(false);
  }

  /** The browser's picker; undefined when it is cancelled or refused. */
  async #pick(): Promise<MediaStreamTrack | undefined> {
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia(SCREEN_CONSTRAINTS);
      return stream.getVideoTracks()[0];
    } catch {
      return undefined;
    }
  }
}
