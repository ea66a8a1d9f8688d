/**
 * Progressive lockout: the schedule as a pure function (so it is tested exactly) and the same
 * schedule rendered as SQL, so D1 can apply it inside the one statement that reserves an attempt.
 *
 * The first FREE_FAILURES mistakes cost nothing (people mistype); from then on each failure
 * locks for twice as long as the last: 1 min, 2, 4 … capped at MAX_LOCK_MS. A success resets.
 * Applied per account and per source address (with ADDRESS_SLACK more free failures), so spraying
 * many accounts from one address is slowed as much as hammering one.
 *
 * Count before check: an attempt is reserved as a failure by one conditional UPDATE before the
 * password or code is looked at, and refunded if it turns out right. Reading the count, awaiting
 * scrypt and then writing it back loses updates under concurrency (30 parallel guesses left the
 * count at 2) and lets every parallel guess be checked against a lock state read too early. With
 * the reservation, D1 serializes the increments, so however many guesses arrive at once, exactly
 * FREE_FAILURES + 1 of them are checked before the lock holds: the free ones and the one that
 * arms the first lock, the same as when they arrive one by one.
 */
export const FREE_FAILURES = 4;
/** Several people may share one address (NAT, a campus); an address gets this many more free failures. */
export const ADDRESS_SLACK = 16;
export const BASE_LOCK_MS = 60_000;
export const MAX_LOCK_MS = 24 * 3_600_000;
/** 2^30 minutes is far past the cap; bounding the exponent keeps the arithmetic exact in SQL too. */
const MAX_DOUBLINGS = 30;

export const ACCOUNT_FREE = FREE_FAILURES;
export const ADDRESS_FREE = FREE_FAILURES + ADDRESS_SLACK;

export interface LockState {
  failedCount: number;
  lockedUntil: number;
}

/** How long the `count`th failure locks for; 0 while failures are still free. */
export function lockMs(count: number, free = ACCOUNT_FREE): number {
  if (count <= free) return 0;
  return Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** Math.min(MAX_DOUBLINGS, count - free - 1));
}

export function afterFailure(s: LockState, now: number, free = ACCOUNT_FREE): LockState {
  const failedCount = s.failedCount + 1;
  const ms = lockMs(failedCount, free);
  return { failedCount, lockedUntil: ms === 0 ? s.lockedUntil : now + ms };
}

/**
 * `afterFailure` as SQL SET clauses over the columns `failed_count` and `locked_until` (SQLite
 * evaluates every SET expression against the row as it was, so both see the old count).
 * @param now the SQL parameter holding the current time, e.g. `?2`
 */
export function reserveSetSql(free: number, now: string): string {
  return `failed_count = failed_count + 1,
    locked_until = CASE WHEN failed_count + 1 > ${free}
      THEN ${now} + MIN(${MAX_LOCK_MS}, ${BASE_LOCK_MS} * (1 << MIN(${MAX_DOUBLINGS}, failed_count - ${free})))
      ELSE locked_until END`;
}

/**
 * The refund of one reserved attempt that turned out right (or was never checked), as SQL SET
 * clauses. The lock goes too when this attempt armed it (`locked_until` still equals the value
 * the reservation returned) or when what is left is within the free failures, so the state is
 * what the schedule gives for the failures that remain.
 * @param armed the SQL parameter holding the lock this reservation armed, or -1 when it armed none
 */
export function refundSetSql(free: number, armed: string): string {
  return `failed_count = MAX(0, failed_count - 1),
    locked_until = CASE WHEN locked_until = ${armed} OR failed_count - 1 <= ${free} THEN 0 ELSE locked_until END`;
}

/** The `armed` argument of a refund, from the state a reservation returned. */
export const armedBy = (s: LockState, free: number): number => (s.failedCount > free ? s.lockedUntil : -1);
