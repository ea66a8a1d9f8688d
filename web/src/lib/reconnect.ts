/**
 * When to try again after the room or the media connection dropped: the back-off delays, and the
 * pending room reconnect that the browser coming back online cuts short.
 */

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

/** The next room reconnect, after a back-off; the browser coming back online cuts the wait short. */
export class RoomRetry {
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pending: (() => void) | null = null;

  /** Tries made since the room last let us in (0: the first connection is still the one). */
  get attempt(): number {
    return this.#attempt;
  }

  /** The room let us in (or a fresh join starts): the next drop backs off from the start again. */
  reset(): void {
    this.#attempt = 0;
  }

  schedule(reconnect: () => void): void {
    this.cancel();
    const retry = () => {
      this.cancel();
      reconnect();
    };
    this.#pending = retry;
    this.#timer = setTimeout(retry, roomRetryMs(this.#attempt++));
    globalThis.addEventListener?.('online', retry);
  }

  cancel(): void {
    clearTimeout(this.#timer);
    if (this.#pending) globalThis.removeEventListener?.('online', this.#pending);
    this.#pending = null;
  }
}
