/**
 * How seats and the meeting end: a dropped connection held away, a hold running out, a leave
 * or removal, a waiter going away, and the end of the meeting for everyone.
 */
import { RESUME_GRACE_MS, awayUntil } from './identity.ts';
import {
  type DecideContext,
  type DepartedRecord,
  type Effect,
  type MemberRecord,
  type RoomData,
  type WaitingRecord,
  hostPresent,
  isPresent,
  roleChange,
  stateChange,
  updated,
} from './model.ts';

/** A host removed a member: banned on every handle, told, and gone. */
export function removal(room: RoomData, m: MemberRecord, ctx: DecideContext): Effect[] {
  return [
    { kind: 'ban', ban: { id: m.id, resumeHash: m.resumeHash, userId: m.userId, clientId: m.clientId, name: m.name, at: ctx.now } },
    { kind: 'send', to: m.id, msg: { type: 'closed', reason: 'removed' } },
    ...departure(room, m, 'removed', ctx.now),
  ];
}

/**
 * A member's connection dropped (not a leave, a removal or the end): its seat is held while it
 * reconnects. It keeps its role, rights, hand and breakout room, counts toward capacity, and
 * stays in everyone's key group (it is the same person, and its resume brings new keys anyway).
 * Its media at the origin is left alone. The room wakes when the hold runs out (expireAway).
 */
export function away(room: RoomData, m: MemberRecord, now: number): Effect[] {
  if (!isPresent(m)) return [];
  let held: MemberRecord = { ...m, awaySince: now };
  const effects: Effect[] = [
    { kind: 'put-member', member: held },
    { kind: 'broadcast', to: 'members', except: m.id, msg: { type: 'participant-away', id: m.id } },
    { kind: 'schedule', at: now + RESUME_GRACE_MS },
  ];
  // Its client lost its transfers with the socket.
  for (const f of room.files.values()) if (f.from === m.id) effects.push({ kind: 'del-file', id: f.id });
  // An away host cannot admit anyone: as when a host leaves, the longest-serving co-host takes
  // over, and the away seat comes back as co-host (one host at a time).
  const heir = m.role === 'host' && !hostPresent(room, m.id) ? heirOf(room, m.id) : undefined;
  if (heir) {
    held = { ...held, role: 'cohost' };
    effects.push(...updated(held), ...roleChange(room, heir, 'host'));
  }
  return effects;
}

/** Held seats whose hold ran out: they depart as a dropped seat always has, and others rekey without them. */
export function expireAway(room: RoomData, now: number): Effect[] {
  return [...room.members.values()].filter((m) => (awayUntil(m) ?? Infinity) <= now).flatMap((m) => departure(room, m, 'disconnected', now));
}

/** The longest-serving co-host who is here. */
const heirOf = (room: RoomData, except: string): MemberRecord | undefined =>
  [...room.members.values()].filter((x) => x.role === 'cohost' && x.id !== except && isPresent(x)).sort((a, b) => a.joinedAt - b.joinedAt)[0];

/**
 * A member is gone (left, removed, cut off, or away too long): forget them, tell the others
 * (whose clients then rekey without them) and the origin (which closes their transports).
 */
export function departure(room: RoomData, m: MemberRecord, reason: 'left' | 'removed' | 'disconnected', now: number): Effect[] {
  const effects: Effect[] = [
    { kind: 'del-member', id: m.id },
    // A removed seat is remembered as a ban instead; any other is kept to resume or to carry its restrictions.
    ...(reason === 'removed' ? [] : [{ kind: 'put-departed', record: departedOf(m, reason, now) } as const]),
    { kind: 'broadcast', to: 'members', except: m.id, msg: { type: 'participant-left', id: m.id, reason } },
    { kind: 'origin', control: { action: 'closeParticipant', meetingId: room.meetingId, participantId: m.id } },
  ];
  if (room.spotlight === m.id) effects.push(...stateChange(room, { spotlight: null }));
  for (const f of room.files.values()) if (f.from === m.id) effects.push({ kind: 'del-file', id: f.id });
  // A meeting without its host carries on under the longest-serving co-host, if there is one.
  if (m.role === 'host' && ![...room.members.values()].some((x) => x.role === 'host' && x.id !== m.id)) {
    const heir = heirOf(room, m.id);
    if (heir) effects.push(...roleChange(room, heir, 'host'));
  }
  if (reason !== 'disconnected') effects.push({ kind: 'close', id: m.id, code: 1000, reason });
  return effects;
}

const departedOf = (m: MemberRecord, reason: 'left' | 'disconnected', now: number): DepartedRecord => ({
  id: m.id,
  resumeHash: m.resumeHash,
  userId: m.userId,
  clientId: m.clientId,
  role: m.role,
  permissions: m.permissions,
  restricted: m.restricted,
  breakout: m.breakout,
  handRaisedAt: m.handRaisedAt,
  // A seat that was away left when it dropped: its grace window is already spent.
  leftAt: m.awaySince ?? now,
  reason,
});

/** A waiting connection went away. */
export function waiterGone(w: WaitingRecord): Effect[] {
  return [{ kind: 'del-waiting', id: w.id }, ...(w.reason === 'waiting-room' ? [{ kind: 'waiting-list' } as const] : [])];
}

/**
 * The meeting ends for everyone: members and waiters are told and disconnected, and the origin
 * closes its media. `markEnded` also records the end in D1, unless the caller already did
 * (a meeting deleted through the API).
 */
export function endMeeting(room: RoomData, markEnded: boolean): Effect[] {
  return [
    { kind: 'room', patch: { ended: true } },
    ...(markEnded ? [{ kind: 'end-meeting' } as const] : []),
    { kind: 'broadcast', to: 'members', except: null, msg: { type: 'closed', reason: 'ended' } },
    ...[...room.waiting.keys()].map((id): Effect => ({ kind: 'send', to: id, msg: { type: 'closed', reason: 'ended' } })),
    { kind: 'origin', control: { action: 'closeMeeting', meetingId: room.meetingId } },
    { kind: 'close', id: null, code: 1000, reason: 'ended' },
  ];
}
