/**
 * Who a joining connection is, in the Room's own terms. Three handles, from strongest to weakest:
 *
 *   resume secret  issued by the Room in the welcome, stored here only as its SHA-256; the client
 *                  presents it when it comes back. It is the seat itself: within RESUME_GRACE_MS
 *                  of a drop it gives back the same id, role, rights, hand and breakout room, past
 *                  the password, lock and waiting room the seat had already passed. Meanwhile the
 *                  seat is held "away" in the roster; when the window passes it departs.
 *   account        the signed-in user the Worker vouched for (never a message field).
 *   device key     the browser's own random `clientId`: chosen by the client, so it may only ever
 *                  take something away (a removal, a restriction, a denial cool-down), never grant.
 *
 * Removals, restrictions and denials attach to every handle the person had, so a reload, a new
 * socket or a dropped `clientId` does not shed them. Someone who discards all three is a new,
 * anonymous person: that is what the lock, the waiting room and "signed-in users only" are for.
 */
import type { Permissions } from '@sealroom/protocol';
import { addressKey } from '../http/client-address.ts';
import type { DepartedRecord, Identity, MemberRecord, RoomData } from './model.ts';

/** A dropped seat can be resumed for this long (a network blip, a reload, a laptop lid). */
export const RESUME_GRACE_MS = 2 * 60_000;
/** A denied waiting-room request may not knock again from the same identity for this long. */
export const DENY_COOL_DOWN_MS = 10 * 60_000;
/** Denials from one address (its /64 for IPv6) before the whole address waits out the cool-down. */
export const DENIALS_PER_ADDRESS = 3;
/** Departed seats remembered per meeting, newest first: enough for any real meeting, bounded for a hostile one. */
export const MAX_DEPARTED = 5000;

export type { Identity } from './model.ts';

const same = (a: string | null | undefined, b: string | null | undefined): boolean => a != null && b != null && a === b;

/** True when any of the handles names the same person as `r`. */
export function matches(r: Partial<Identity>, who: Identity): boolean {
  return same(r.resumeHash, who.resumeHash) || same(r.userId, who.userId) || same(r.clientId, who.clientId);
}

export const isBanned = (room: RoomData, who: Identity): boolean => [...room.banned.values()].some((b) => matches(b, who));

/** Seconds left of a denial cool-down for this identity or address, or 0. */
export function denialCoolDown(room: RoomData, who: Identity, ip: string, now: number): number {
  const since = now - DENY_COOL_DOWN_MS;
  const address = addressKey(ip);
  let until = 0;
  const fromAddress = room.denied.filter((d) => d.at > since && d.address === address);
  for (const d of room.denied) if (d.at > since && matches(d, who)) until = Math.max(until, d.at + DENY_COOL_DOWN_MS);
  if (fromAddress.length >= DENIALS_PER_ADDRESS) until = Math.max(until, ...fromAddress.map((d) => d.at + DENY_COOL_DOWN_MS));
  return until > now ? Math.ceil((until - now) / 1000) : 0;
}

/** When an away seat's hold runs out and it departs. */
export const awayUntil = (m: MemberRecord): number | null => (m.awaySince == null ? null : m.awaySince + RESUME_GRACE_MS);

/** The earliest moment an away seat's hold runs out, or null when nobody is away. */
export function nextAwayExpiry(room: RoomData): number | null {
  let next: number | null = null;
  for (const m of room.members.values()) {
    const until = awayUntil(m);
    if (until !== null && (next === null || until < next)) next = until;
  }
  return next;
}

/**
 * The seat a resume secret names: still held (its socket open, or dropped and away within the
 * grace window), or ended by a cut within the grace window.
 */
export function resumableSeat(room: RoomData, resumeHash: string | null, now: number): { live: MemberRecord } | { departed: DepartedRecord } | null {
  if (resumeHash === null) return null;
  for (const m of room.members.values()) {
    if (m.resumeHash !== resumeHash) continue;
    const until = awayUntil(m);
    // An away seat past its hold is only waiting for the alarm to end it.
    return until === null || now < until ? { live: m } : null;
  }
  for (const d of room.departed.values()) {
    if (d.resumeHash === resumeHash && d.reason === 'disconnected' && now - d.leftAt < RESUME_GRACE_MS) return { departed: d };
  }
  return null;
}

/**
 * Rights a host took from this person earlier in the meeting, carried onto a fresh seat: every
 * right any of their seats (live or departed) had taken away stays off. Only ever narrows.
 */
export function carriedRestrictions(room: RoomData, who: Identity, defaults: Permissions): Permissions {
  const out = { ...defaults };
  for (const seat of [...room.members.values(), ...room.departed.values()]) {
    if (matches(seat, who)) for (const k of seat.restricted) out[k] = false;
  }
  return out;
}
