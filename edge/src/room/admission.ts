/**
 * The join gate: who gets in, who waits, and a dropped seat coming back. Hosts (by host key or
 * the owner's session) pass the password, lock and waiting room; bans and denial cool-downs
 * stop everyone else first.
 */
import type { ClientToRoom, ErrorCode, OriginControl, Permission, Permissions, Role } from '@sealroom/protocol';
import { type Identity, carriedRestrictions, denialCoolDown, isBanned, resumableSeat } from './identity.ts';
import {
  type Conn,
  type DecideContext,
  type Effect,
  type MemberRecord,
  type RoomData,
  type WaitingRecord,
  error,
  hostPresent,
  participantOf,
  permissionsFor,
} from './model.ts';

export function join(room: RoomData, conn: Conn, msg: Extract<ClientToRoom, { type: 'join' }>, ctx: DecideContext): Effect[] {
  if (conn.status !== 'new') return [error('already_joined', 'this connection has already joined')];
  const refuse = (code: ErrorCode, message: string, retryAfter?: number): Effect[] => [
    { kind: 'audit', actor: null, role: null, action: 'join', target: msg.name, result: code },
    error(code, message, retryAfter),
  ];
  if (room.ended) return refuse('meeting_ended', 'this meeting has ended');
  if (msg.hostKey !== undefined && !ctx.hostKeyValid) return refuse('forbidden', 'host key is not valid for this meeting');
  const asHost = ctx.hostKeyValid;
  const who: Identity = { resumeHash: ctx.resumeHash, userId: ctx.userId, clientId: msg.clientId ?? null };
  if (!asHost) {
    if (isBanned(room, who)) return refuse('removed', 'the host removed you from this meeting');
    const coolDown = denialCoolDown(room, who, conn.ip, ctx.now);
    if (coolDown > 0) return refuse('rate_limited', 'the host declined your request to join; try again later', coolDown);
  }
  // A seat that dropped a moment ago comes back as it was, past the gates it had already passed.
  const seat = resumableSeat(room, ctx.resumeHash, ctx.now);
  if (seat) return resume(room, conn, msg, seat, ctx);
  if (!asHost) {
    if (typeof ctx.password === 'object') return refuse('rate_limited', 'too many wrong passwords; try again later', ctx.password.retryAfter);
    if (ctx.password === 'wrong') return refuse('wrong_password', msg.password ? 'wrong meeting password' : 'this meeting needs a password');
    if (room.locked) return refuse('meeting_locked', 'the host has locked this meeting');
    if (!ctx.allowAnonymous && !ctx.signedIn) return refuse('forbidden', 'this organization asks everyone to sign in before joining');
  }

  // The owner's tier caps the meeting; hosts count too, waiting people don't.
  if (room.members.size >= ctx.maxParticipants) return refuse('meeting_full', `this meeting is full (${ctx.maxParticipants} people)`);
  const id = ctx.newParticipantId();
  const hostHere = hostPresent(room);
  if (!asHost) {
    const reason = !room.settings.joinBeforeHost && !hostHere ? 'no-host' : room.settings.waitingRoom ? 'waiting-room' : null;
    if (reason) {
      const entry: WaitingRecord = {
        id,
        name: msg.name,
        since: ctx.now,
        publicKey: msg.publicKey,
        clientId: msg.clientId ?? null,
        userId: ctx.userId,
        resumeHash: ctx.resumeHash,
        ip: conn.ip,
        reason,
      };
      return [
        { kind: 'put-waiting', entry },
        { kind: 'bind', id, status: 'waiting' },
        { kind: 'reply', msg: { type: 'waiting', reason } },
        ...(reason === 'waiting-room' ? [{ kind: 'waiting-list' } as const] : []),
      ];
    }
  }
  // A host key makes its holder host, unless a host is already present: then co-host.
  const role: Role = asHost ? (hostHere ? 'cohost' : 'host') : 'participant';
  const admitted = admit(
    room,
    { id, name: msg.name, publicKey: msg.publicKey, clientId: msg.clientId ?? null, userId: ctx.userId, resumeHash: ctx.resumeHash, ip: conn.ip },
    role,
    ctx,
    true,
  );
  // The first host to arrive lets in everyone who was waiting for one.
  if (role === 'host' && !hostHere) admitted.push(...releaseNoHostWaiters(room, ctx));
  return admitted;
}

/**
 * The same participant again: same id, role, rights, hand and breakout room, and a fresh
 * resume secret (the old one dies with this use). A seat still held (away, or its old socket
 * still open: the drop is not noticed yet, or a second tab) is taken over: any old socket is
 * closed, others see the seat come back (not leave and join), and the origin, which keys peers
 * by participant id, replaces the old media connection by itself. A seat that had ended (cut
 * off for flooding) joins again as others last saw it leave.
 */
function resume(
  room: RoomData,
  conn: Conn,
  msg: Extract<ClientToRoom, { type: 'join' }>,
  seat: NonNullable<ReturnType<typeof resumableSeat>>,
  ctx: DecideContext,
): Effect[] {
  const old = 'live' in seat ? seat.live : seat.departed;
  const effects: Effect[] = [];
  const held = 'live' in seat;
  // The seat's time so far ends here (usage), and a new stretch starts with the welcome.
  if (held) effects.push({ kind: 'close', id: old.id, code: 4000, reason: 'resumed elsewhere' }, { kind: 'del-member', id: old.id });
  else effects.push({ kind: 'del-departed', id: old.id });
  // A host who dropped may find a co-host promoted meanwhile: one host at a time, so they return as co-host.
  const otherHost = [...room.members.values()].some((m) => m.role === 'host' && m.id !== old.id);
  const role: Role = old.role === 'host' && otherHost ? 'cohost' : old.role;
  const breakout = old.breakout !== null && room.breakout.rooms.some((r) => r.id === old.breakout) ? old.breakout : null;
  const joiner: Joiner = {
    id: old.id,
    name: msg.name,
    publicKey: msg.publicKey,
    clientId: msg.clientId ?? null,
    userId: ctx.userId,
    resumeHash: ctx.resumeHash,
    ip: conn.ip,
  };
  effects.push(
    ...admit(room, joiner, role, ctx, true, {
      permissions: old.permissions,
      restricted: old.restricted,
      handRaisedAt: old.handRaisedAt,
      breakout,
      announce: held ? 'back' : 'joined',
    }),
  );
  // A host back in its seat lets in whoever was waiting for one, as a host arriving does.
  if (role === 'host' && !hostPresent(room, old.id)) effects.push(...releaseNoHostWaiters(room, ctx));
  return effects;
}

interface Joiner {
  id: string;
  name: string;
  publicKey: string;
  clientId: string | null;
  userId: string | null;
  resumeHash: string | null;
  ip: string;
}

/** What a resumed seat keeps instead of a fresh seat's defaults. */
interface Kept {
  permissions: Permissions;
  restricted: Permission[];
  handRaisedAt: number | null;
  breakout: string | null;
  /** What others are told: the seat is back (they still hold it), or joined (they saw it leave). */
  announce: 'back' | 'joined';
}

function admit(room: RoomData, j: Joiner, role: Role, ctx: DecideContext, self: boolean, kept?: Kept): Effect[] {
  const who: Identity = { resumeHash: j.resumeHash, userId: j.userId, clientId: j.clientId };
  const permissions =
    kept?.permissions ?? (role === 'participant' ? carriedRestrictions(room, who, permissionsFor(role, room.settings)) : permissionsFor(role, room.settings));
  const restricted = kept?.restricted ?? (Object.keys(permissions) as Permission[]).filter((k) => !permissions[k] && permissionsFor(role, room.settings)[k]);
  const { secret, hash } = ctx.newResume();
  const member: MemberRecord = {
    id: j.id,
    index: ctx.nextSenderIndex(),
    name: j.name,
    role,
    publicKey: j.publicKey,
    audio: false,
    video: false,
    sharing: false,
    recording: false,
    handRaisedAt: kept?.handRaisedAt ?? null,
    permissions,
    breakout: kept?.breakout ?? null,
    clientId: j.clientId,
    ip: j.ip,
    joinedAt: ctx.now,
    resumeHash: hash,
    userId: j.userId,
    restricted,
  };
  const effects: Effect[] = [
    { kind: 'put-member', member },
    ...(self ? [{ kind: 'bind', id: j.id, status: 'member' } as const] : []),
    { kind: 'welcome', id: j.id, resume: secret, resumed: kept !== undefined },
    {
      kind: 'broadcast',
      to: 'members',
      except: j.id,
      msg:
        kept?.announce === 'back'
          ? { type: 'participant-back', participant: participantOf(member) }
          : { type: 'participant-joined', participant: participantOf(member) },
    },
  ];
  // Entering without the right to unmute or share: the origin holds the microphone and screen paused too.
  for (const control of holdsOf(room.meetingId, member)) effects.push({ kind: 'origin', control });
  return effects;
}

export function admitWaiting(room: RoomData, w: WaitingRecord, ctx: DecideContext): Effect[] {
  return [{ kind: 'del-waiting', id: w.id }, ...admit(room, w, 'participant', ctx, false)];
}

/** Waiters held for a missing host: into the meeting, or into the waiting room when it is on. */
function releaseNoHostWaiters(room: RoomData, ctx: DecideContext): Effect[] {
  const effects: Effect[] = [];
  let queued = false;
  for (const w of room.waiting.values()) {
    if (w.reason !== 'no-host') continue;
    if (room.settings.waitingRoom) {
      effects.push(
        { kind: 'put-waiting', entry: { ...w, reason: 'waiting-room' } },
        { kind: 'send', to: w.id, msg: { type: 'waiting', reason: 'waiting-room' } },
      );
      queued = true;
    } else effects.push(...admitWaiting(room, w, ctx));
  }
  if (queued) effects.push({ kind: 'waiting-list' });
  return effects;
}

/** The origin-side holds a member's rights call for: what a fresh origin must be told about them. */
export function holdsOf(meetingId: string, m: MemberRecord): OriginControl[] {
  const out: OriginControl[] = [];
  if (!m.permissions.unmute) out.push({ action: 'pauseSource', meetingId, participantId: m.id, source: 'audio' });
  if (!m.permissions.share) out.push({ action: 'pauseSource', meetingId, participantId: m.id, source: 'screen' });
  return out;
}
