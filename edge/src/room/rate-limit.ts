/**
 * Token buckets per participant and kind of message. In memory only: a limit that resets
 * when the object is evicted costs an abuser nothing they could not get by reconnecting.
 */
import type { Bucket } from './machine.ts';

/** [tokens per second, burst]: chat as fast as people type, strokes as fast as a pen moves. */
export const RATES: Record<Bucket, [number, number]> = {
  chat: [5, 10],
  reaction: [3, 6],
  annotate: [60, 120],
  control: [20, 40],
  file: [1, 3],
  // A 100 MB file is ~1070 chunks of 96 KiB: a few seconds at this rate, and no faster.
  'file-chunk': [400, 800],
};

export class RateLimiter {
  #buckets = new Map<string, { tokens: number; at: number }>();

  take(id: string, bucket: Bucket, now: number): boolean {
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

  forget(id: string): void {
    for (const bucket of Object.keys(RATES)) this.#buckets.delete(`${bucket}:${id}`);
  }
}
