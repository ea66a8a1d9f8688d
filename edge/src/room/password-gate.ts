/**
 * How many meeting-password guesses the Room lets anyone make. The attempt is reserved (a row
 * in the Room's SQLite, written synchronously) before the check is awaited, and refunded when
 * the password was right: concurrent joins see each other's reservations, so however many
 * arrive at once, at most the budget is ever checked.
 *
 * Three budgets over a sliding minute, from narrow to wide:
 *   device   5   one browser (its clientId) at one address: people mistype a few times;
 *   address  20  one address (its /64 for IPv6): room for a whole office behind one NAT, so a
 *                guesser there cannot lock colleagues out with five wrong tries;
 *   meeting  100 everyone together: an attacker with many addresses. Filling it also pauses
 *                every password check for 5 s, doubling each time it fills again within 10
 *                minutes, up to 5 min, on top of waiting for the minute to drain.
 * A guesser can therefore stall newcomers for a while but never keeps anyone out who is
 * already in: a participant whose connection drops resumes its seat with its resume secret
 * and never meets the password again (identity.ts). Asking for the password (a join without
 * one) is not a guess and costs nothing.
 */
import type { RoomStore } from './store.ts';

export const PASSWORD_WINDOW_MS = 60_000;
export const PASSWORD_BUDGET = { device: 5, address: 20, meeting: 100 } as const;
export const BACKOFF_BASE_MS = 5_000;
export const BACKOFF_MAX_MS = 5 * 60_000;
/** A meeting-wide back-off level is forgotten after this long without another hit. */
export const BACKOFF_RESET_MS = 10 * 60_000;

export type Reservation = { ok: true; id: number } | { ok: false; retryAfter: number };

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export function reservePasswordAttempt(store: RoomStore, address: string, device: string, now: number): Reservation {
  const pausedUntil = Number(store.meta('passwordPausedUntil') ?? 0);
  if (pausedUntil > now) return { ok: false, retryAfter: seconds(pausedUntil - now) };
  const seen = store.passwordAttempts(address, device, now - PASSWORD_WINDOW_MS);
  for (const scope of ['device', 'address'] as const) {
    if (seen[scope].count >= PASSWORD_BUDGET[scope]) return { ok: false, retryAfter: seconds(seen[scope].oldest + PASSWORD_WINDOW_MS - now) };
  }
  if (seen.meeting.count >= PASSWORD_BUDGET.meeting) return { ok: false, retryAfter: seconds(seen.meeting.oldest + PASSWORD_WINDOW_MS - now) };
  const id = store.reservePasswordAttempt(address, device, now);
  // This attempt fills the meeting's budget: pause checks, longer each time it fills again soon.
  if (seen.meeting.count + 1 >= PASSWORD_BUDGET.meeting) {
    const lastHit = Number(store.meta('passwordPauseAt') ?? 0);
    const level = now - lastHit > BACKOFF_RESET_MS ? 0 : Number(store.meta('passwordPauseLevel') ?? 0) + 1;
    store.setMeta('passwordPauseLevel', String(level));
    store.setMeta('passwordPauseAt', String(now));
    store.setMeta('passwordPausedUntil', String(now + Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(level, 16))));
  }
  return { ok: true, id };
}
