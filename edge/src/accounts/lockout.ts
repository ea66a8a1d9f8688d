/**
 * Progressive lockout, as a pure function so its schedule is tested exactly.
 *
 * The first FREE_FAILURES mistakes cost nothing (people mistype); from then on each failure
 * locks for twice as long as the last: 1 min, 2, 4 … capped at MAX_LOCK_MS. A success resets.
 * Applied per account and per source address, so spraying many accounts from one address is
 * slowed as much as hammering one.
 */
export const FREE_FAILURES = 4;
export const BASE_LOCK_MS = 60_000;
export const MAX_LOCK_MS = 24 * 3_600_000;

export interface LockState {
  failedCount: number;
  lockedUntil: number;
}

export function isLocked(s: LockState, now: number): boolean {
  return s.lockedUntil > now;
}

export function afterFailure(s: LockState, now: number): LockState {
  const failedCount = s.failedCount + 1;
  if (failedCount <= FREE_FAILURES) return { failedCount, lockedUntil: s.lockedUntil };
  const lock = Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** Math.min(30, failedCount - FREE_FAILURES - 1));
  return { failedCount, lockedUntil: now + lock };
}
