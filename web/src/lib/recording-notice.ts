/**
 * Telling the room that we record: nothing is recorded until the room has confirmed (and so told
 * everyone), and after a reconnect the new identity says it again.
 */
import type { Say } from './announcer.svelte.ts';
import type { RoomConnection } from './room.svelte.ts';

/** How long to wait for the room to confirm our `record {on}`. */
export const RECORD_ANSWER_MS = 5000;

export interface RecordingNoticeContext {
  room(): RoomConnection | null;
  /** The room lists us as recording already. */
  recording(): boolean;
  say: Say;
}

export class RecordingNotice {
  #ctx: RecordingNoticeContext;
  /** Resolves when the room confirms (true) or refuses (false) our `record {on}`. */
  #answer: ((ok: boolean) => void) | null = null;
  /** We record: said again to the room after a reconnect (a new identity starts not recording). */
  #announced = false;
  /** Called when the room stops our recording (the host took the right away). */
  onStopped: (() => void) | null = null;

  constructor(ctx: RecordingNoticeContext) {
    this.#ctx = ctx;
  }

  /**
   * Tells the room we start (or stop) recording. Starting waits for the room's answer.
   * @returns whether the room accepted
   */
  async announce(on: boolean): Promise<boolean> {
    const room = this.#ctx.room();
    if (!room || room.status !== 'joined') return !on;
    this.#announced = on;
    if (!on) {
      room.send({ type: 'record', on: false });
      return true;
    }
    if (this.#ctx.recording()) return true;
    const accepted = new Promise<boolean>((resolve) => {
      this.#answer = resolve;
      setTimeout(() => resolve(false), RECORD_ANSWER_MS);
    });
    room.send({ type: 'record', on: true });
    const ok = await accepted;
    this.#answer = null;
    if (!ok) {
      this.#announced = false;
      this.#ctx.say('record.refused');
    }
    return ok;
  }

  /** The room's answer to our `record {on}`: the roster shows us recording, or it refused. */
  answered(ok: boolean): void {
    this.#answer?.(ok);
  }

  /** The host stopped our recording. */
  stoppedByHost(): void {
    this.#announced = false;
    this.onStopped?.();
    this.#ctx.say('record.stoppedByHost');
  }

  /** A new room session (after a reconnect) starts not recording: say it again if we are. */
  welcomed(room: RoomConnection): void {
    if (this.#announced) room.send({ type: 'record', on: true });
  }

  /** The call is over. */
  reset(): void {
    this.#answer?.(false);
    this.#announced = false;
  }
}
