/**
 * A bound on concurrent scrypt work in one isolate. Each scrypt check holds 128·r·N bytes
 * (16 MiB for meeting passwords, 32 MiB for accounts) for its whole run, and `scryptAsync`
 * yields while it runs, so without a bound a hundred concurrent checks hold gigabytes at once
 * (measured: 0.75 → 2.3 GB of workerd) where a production isolate has 128 MiB. Two slots keep
 * the worst case near 64 MiB; a short queue absorbs a crowd typing a password at the same
 * moment; anything past the queue is refused at once with a retry hint instead of waiting.
 *
 * Waiters watch for a free slot on their own timers rather than being woken by whoever frees
 * one: in a stateless Worker each caller is a different request, and workerd refuses to let one
 * request's promise be resolved from another's (the woken request would run, and answer, in the
 * wrong context). A request cancelled mid-check never runs its `finally`, so a slot held far
 * longer than any scrypt takes is counted as abandoned rather than kept forever.
 */
export const SCRYPT_SLOTS = 2;
export const SCRYPT_QUEUE = 32;
/** How often a waiter looks for a free slot. */
const POLL_MS = 5;
/** No scrypt check takes this long; a slot held longer belonged to a cancelled request. */
const ABANDONED_MS = 30_000;

export class ScryptBusy extends Error {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('too many password checks at once; try again shortly');
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

const held = new Map<symbol, number>();
let waiting = 0;
let highWater = 0;

function freeSlot(now: number): boolean {
  for (const [slot, since] of held) if (now - since > ABANDONED_MS) held.delete(slot);
  return held.size < SCRYPT_SLOTS;
}

/** Runs `fn` when a slot is free; throws ScryptBusy when the queue is full too. */
export async function runScrypt<T>(fn: () => Promise<T>): Promise<T> {
  // Newcomers queue behind waiters, so a steady stream cannot starve them.
  if (waiting > 0 || !freeSlot(Date.now())) {
    if (waiting >= SCRYPT_QUEUE) throw new ScryptBusy(1);
    waiting++;
    try {
      while (!freeSlot(Date.now())) await new Promise((r) => setTimeout(r, POLL_MS));
    } finally {
      waiting--;
    }
  }
  const slot = Symbol('scrypt');
  held.set(slot, Date.now());
  highWater = Math.max(highWater, held.size);
  try {
    return await fn();
  } finally {
    held.delete(slot);
  }
}

/** The most scrypt jobs ever seen running at once in this isolate (tests assert the bound). */
export const scryptHighWater = (): number => highWater;
export const scryptQueued = (): number => waiting;
