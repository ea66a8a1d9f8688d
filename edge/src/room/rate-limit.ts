/**
 * Token buckets per participant (or socket) and kind of message, and flood strikes per socket.
 * In memory only: a limit that resets when the object is evicted costs an abuser nothing they
 * could not get by reconnecting, and reconnecting costs them a join.
 */
import type { Bucket } from './model.ts';

/** [tokens per second, burst]: each as fast as a person (or an honest client) ever needs. */
export const RATES: Record<Bucket | 'frame', [number, number]> = {
  chat: [5, 10],
  reaction: [3, 6],
  annotate: [60, 120],
  control: [20, 40],
  file: [1, 3],
  // A 100 MB file is ~1070 chunks of 96 KiB: a few seconds at this rate, and no faster.
  'file-chunk': [400, 800],
  // Hand, media state, share, rename, breakout choice: a person clicks a few times a second at most.
  state: [10, 20],
  // A sender seals its key for each newcomer; a crowd joining at once is a burst, not a stream.
  keys: [50, 200],
  // A ticket lasts minutes; a client asks again after a media reconnect.
  ticket: [0.5, 5],
  help: [0.2, 3],
  // Every frame of a socket, whatever it is, parsed or not: above file chunks plus everything else.
  frame: [600, 1200],
};

/**
 * Refused frames (over budget, unparseable, or refused outright) within `windowMs`: the first
 * `answered` get an error back, the rest are dropped unanswered, and at `cutAfter` the socket
 * is closed. An honest client sees a handful in a bad second; a flooder reaches the cut in
 * well under a second.
 */
export const FLOOD = { windowMs: 10_000, answered: 50, cutAfter: 200 } as const;

export class RateLimiter {
  #buckets = new Map<string, { tokens: number; at: number }>();
  #strikes = new Map<string, number[]>();

  take(id: string, bucket: Bucket | 'frame', now: number): boolean {
    const [rate, burst] = RATES[bucket];
    const key = `${bucket}:${id}`;
    const b = this.#buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.#buckets.set(key, b);
    return ok;
  }

  /** Records one refused frame of socket `conn`; returns how many it has within the window. */
  strike(conn: string, now: number): number {
    const recent = (this.#strikes.get(conn) ?? []).filter((t) => t > now - FLOOD.windowMs);
    recent.push(now);
    this.#strikes.set(conn, recent);
    return recent.length;
  }

  forget(id: string): void {
    for (const bucket of Object.keys(RATES)) this.#buckets.delete(`${bucket}:${id}`);
    this.#strikes.delete(id);
  }
}
