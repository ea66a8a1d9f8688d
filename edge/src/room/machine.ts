/**
 * The Room as a state machine: a parsed message from one connection in, checks, and a list
 * of effects out (state changes first, then messages and calls). No I/O here, so every rule
 * is testable without a socket; the Durable Object (room.ts) carries the effects out.
 *
 * Roles come from the room's own records, bound to the connection when it was admitted,
 * never from anything a message claims.
 */
import { BREAKOUT_REFUSALS, breakoutAction, chooseBreakout } from './breakout.ts';
import { fileMessage } from './files.ts';
import { type Identity, RESUME_GRACE_MS, awayUntil, carriedRestrictions, denialCoolDown, isBanned, resumableSeat } from './identity.ts';
import { addressKey } from '../http/client-address.ts';
import type {
  BreakoutState,
  ClientToRoom,
  ErrorCode,
  HostAction,
  HostActionName,
  MeetingSettings,
  OriginControl,
  Participant,
  Permission,
  Permissions,
  Role,
  RoomState,
  RoomToClient,
  WaitingEntry,
} from '@sealroom/protocol';

export interface MemberRecord extends Participant {
  clientId: string | null;
  ip: string;
  joinedAt: number;
  /** SHA-256 (hex) of the resume secret in this seat's latest welcome: the seat's server-issued identity. */
  resumeHash: string;
  /** The signed-in account behind this seat, as the Worker vouched for it. */
  userId: string | null;
  /** Rights a host took from this person: they follow the person to any later seat (identity.ts). */
  restricted: Permission[];
  /** When its connection dropped (ms): the seat is held for it until RESUME_GRACE_MS later. Absent or null while connected. */
  awaySince?: number | null;
}

export interface WaitingRecord extends WaitingEntry {
  publicKey: string;
  clientId: string | null;
  userId: string | null;
  /** The resume secret the knock presented (hashed), so restrictions of an earlier seat still apply once admitted. */
  resumeHash: string | null;
  ip: string;
  reason: 'waiting-room' | 'no-host';
}

/** A removal: every handle the removed person had, so that none of them gets back in. */
export interface BanRecord extends Partial<Identity> {
  id: string;
  name: string;
  at: number;
}

/** A seat that ended: resumable for a while when it dropped, and its restrictions outlive it. */
export interface DepartedRecord extends Identity {
  id: string;
  role: Role;
  permissions: Permissions;
  restricted: Permission[];
  breakout: string | null;
  handRaisedAt: number | null;
  leftAt: number;
  reason: 'left' | 'disconnected';
}

/** A waiting-room request the host declined: the person waits out a cool-down before knocking again. */
export interface DeniedRecord {
  clientId: string | null;
  userId: string | null;
  /** addressKey of the request's address. */
  address: string;
  at: number;
}

/** A file on its way from one member to others: kept in memory only, for as long as it travels. */
export interface FileTransfer {
  id: string;
  from: string;
  to: string | null;
  chunks: number;
  /** Recipients who accepted and may receive chunks. */
  accepted: ReadonlySet<string>;
  /** Index of the next chunk to relay: chunks go out strictly in order, with no gap. */
  next: number;
}

export interface RoomData {
  meetingId: string;
  topic: string;
  settings: MeetingSettings;
  locked: boolean;
  spotlight: string | null;
  ended: boolean;
  breakout: BreakoutState;
  members: ReadonlyMap<string, MemberRecord>;
  waiting: ReadonlyMap<string, WaitingRecord>;
  banned: ReadonlyMap<string, BanRecord>;
  departed: ReadonlyMap<string, DepartedRecord>;
  denied: readonly DeniedRecord[];
  files: ReadonlyMap<string, FileTransfer>;
}

export const NO_BREAKOUT: BreakoutState = { rooms: [], assignments: {}, open: false, allowChoose: false, closingAt: null };

/** The sending connection: not yet known, waiting, or an admitted member. */
export type Conn = { status: 'new'; ip: string } | { status: 'waiting'; ip: string; id: string } | { status: 'member'; ip: string; id: string };

export type PasswordCheck = 'none' | 'ok' | 'wrong' | { retryAfter: number };
export type Bucket = 'chat' | 'reaction' | 'annotate' | 'control' | 'file' | 'file-chunk' | 'state' | 'keys' | 'ticket' | 'help';

/** Facts worked out before a decision (async, random or rate-limited), passed in so the decision stays pure. */
export interface DecideContext {
  now: number;
  newParticipantId: () => string;
  nextSenderIndex: () => number;
  /** Whether the join message carried this meeting's host key. */
  hostKeyValid: boolean;
  password: PasswordCheck;
  /** Takes a token from the member's bucket; false when they are over their rate. */
  allow: (id: string, bucket: Bucket) => boolean;
  /** Most people in one meeting (the owner's subscription tier). */
  maxParticipants: number;
  /** The owner's organization lets people without an account join. */
  allowAnonymous: boolean;
  /** This connection carries a signed-in session. */
  signedIn: boolean;
  /** The account the Worker vouched for on this connection (null when anonymous). */
  userId: string | null;
  /** SHA-256 (hex) of the resume secret the join presented, if any. */
  resumeHash: string | null;
  /** A fresh resume secret and its hash, for each welcome. */
  newResume: () => { secret: string; hash: string };
  /** Largest file a member may send through the room. */
  maxFileBytes: number;
}

export type Audience = 'members' | 'hosts';
export type RoomPatch = Partial<Pick<RoomData, 'locked' | 'settings' | 'spotlight' | 'ended' | 'breakout'>>;

export type Effect =
  // state changes (applied in order, before anything below reads the room again)
  | { kind: 'put-member'; member: MemberRecord }
  | { kind: 'del-member'; id: string }
  | { kind: 'put-waiting'; entry: WaitingRecord }
  | { kind: 'del-waiting'; id: string }
  | { kind: 'ban'; ban: BanRecord }
  | { kind: 'unban'; id: string }
  | { kind: 'put-departed'; record: DepartedRecord }
  | { kind: 'del-departed'; id: string }
  | { kind: 'put-denied'; record: DeniedRecord }
  | { kind: 'room'; patch: RoomPatch }
  | { kind: 'put-file'; file: FileTransfer }
  | { kind: 'del-file'; id: string }
  /** Binds the sending connection to a participant id. */
  | { kind: 'bind'; id: string; status: 'waiting' | 'member' }
  // messages and calls
  /** The welcome for a seat, with its new resume secret (the room keeps only the hash, in the member record). */
  | { kind: 'welcome'; id: string; resume: string; resumed: boolean }
  | { kind: 'reply'; msg: RoomToClient }
  | { kind: 'send'; to: string; msg: RoomToClient }
  /** To every member (or host), optionally only those in one breakout room (null = the main room). */
  | { kind: 'broadcast'; to: Audience; except: string | null; msg: RoomToClient; room?: string | null }
  /** Tells a member it moved rooms; the adapter adds an origin grant for the new room. */
  | { kind: 'moved'; id: string; room: string | null }
  /** Wakes the room at `at`: to finish a breakout recall, or to end a held seat. */
  | { kind: 'schedule'; at: number }
  | { kind: 'waiting-list' }
  /** `mediaLost`: the member's media dropped, so the origin is checked before it is handed out again. */
  | { kind: 'grant-ticket'; mediaLost: boolean }
  | { kind: 'close'; id: string | null; code: number; reason: string }
  | { kind: 'origin'; control: OriginControl }
  | { kind: 'end-meeting' }
  | { kind: 'audit'; actor: string | null; role: Role | null; action: string; target: string | null; result: 'ok' | ErrorCode; detail?: string };

export const error = (code: ErrorCode, message: string, retryAfter?: number): Effect => ({
  kind: 'reply',
  msg: retryAfter === undefined ? { type: 'error', code, message } : { type: 'error', code, message, retryAfter },
});

export const isHostish = (role: Role) => role === 'host' || role === 'cohost';

/** Connected now: not a seat held for someone whose connection dropped. */
export const isPresent = (m: MemberRecord): boolean => m.awaySince == null;

/**
 * Whether a host is there to act. A host who is away is not: until it is back the meeting runs
 * as it does without its host (people who wait for the host keep waiting).
 */
const hostPresent = (room: RoomData, except: string | null = null): boolean =>
  [...room.members.values()].some((m) => m.role === 'host' && m.id !== except && isPresent(m));

/** Public view of a member: what every participant may see. */
export function participantOf(m: MemberRecord): Participant {
  return {
    id: m.id,
    index: m.index,
    name: m.name,
    role: m.role,
    publicKey: m.publicKey,
    audio: m.audio,
    video: m.video,
    sharing: m.sharing,
    recording: m.recording,
    handRaisedAt: m.handRaisedAt,
    permissions: m.permissions,
    breakout: m.breakout,
    ...(isPresent(m) ? {} : { away: true as const }),
  };
}

export function roomState(room: RoomData): RoomState {
  return {
    locked: room.locked,
    settings: room.settings,
    spotlight: room.spotlight,
    hostPresent: hostPresent(room),
    breakout: room.breakout,
  };
}

export const waitingEntries = (room: RoomData): WaitingEntry[] =>
  [...room.waiting.values()].filter((w) => w.reason === 'waiting-room').map(({ id, name, since }) => ({ id, name, since }));

const permissionsFor = (role: Role, s: MeetingSettings): Permissions =>
  isHostish(role)
    ? { share: true, chat: true, unmute: true, rename: true, record: true }
    : // Recording is the host's to grant, one participant at a time: no meeting-wide default lets everyone record.
      { share: s.allowShare, chat: s.allowChat, unmute: s.allowUnmute, rename: s.allowRename, record: false };

export const updated = (m: MemberRecord): Effect[] => [
  { kind: 'put-member', member: m },
  { kind: 'broadcast', to: 'members', except: null, msg: { type: 'participant-updated', participant: participantOf(m) } },
];

// ── decide ──────────────────────────────────────────────────────────────────

export function decide(room: RoomData, conn: Conn, msg: ClientToRoom, ctx: DecideContext): Effect[] {
  if (msg.type === 'join') return join(room, conn, msg, ctx);
  if (conn.status !== 'member') return [error('not_joined', conn.status === 'waiting' ? 'still waiting to be admitted' : 'send join first')];
  const self = room.members.get(conn.id);
  if (!self) return [error('not_joined', 'no longer in this meeting')];
  // Every kind of message costs the room work and usually fans out: each has a budget per member.
  const bucket = BUCKET_OF[msg.type];
  if (bucket !== null && !ctx.allow(self.id, bucket)) return [error('rate_limited', `too many ${msg.type} messages`, 1)];

  switch (msg.type) {
    case 'key-blobs': {
      // One blob per recipient, and only present members of the sender's room get one (below):
      // a frame can never turn into more sends than there are members. A rekey may still name
      // someone who left a moment ago (the sender had not heard yet); that blob alone is
      // reported, the others must arrive, or the present members cannot open the new key.
      const targets = new Set(msg.blobs.map((b) => b.to));
      if (targets.size !== msg.blobs.length) return [error('bad_message', 'key-blobs: at most one blob per recipient')];
      // The room only routes sealed blobs; it cannot open them. Recipients must be current members.
      const effects: Effect[] = [];
      const missing: string[] = [];
      for (const { to, blob } of msg.blobs) {
        // Each breakout room is its own key group: keys go only to members in the same room.
        if (to === self.id || room.members.get(to)?.breakout !== self.breakout) missing.push(to);
        else effects.push({ kind: 'send', to, msg: { type: 'key-blob', from: self.id, epoch: msg.epoch, blob } });
      }
      if (missing.length > 0) effects.push(error('not_found', `not in this meeting: ${missing.slice(0, 5).join(', ')}`));
      return effects;
    }
    case 'media-state':
      return mediaState(room, self, msg.audio, msg.video);
    case 'share':
      return share(room, self, msg.on);
    case 'record':
      return record(self, msg.on, ctx);
    case 'hand':
      return updated({ ...self, handRaisedAt: msg.raised ? (self.handRaisedAt ?? ctx.now) : null });
    case 'reaction':
      return [{ kind: 'broadcast', to: 'members', except: null, msg: { type: 'reaction', from: self.id, reaction: msg.reaction }, room: self.breakout }];
    case 'rename':
      if (!self.permissions.rename) return [error('forbidden', 'renaming is not allowed in this meeting')];
      return updated({ ...self, name: msg.name });
    case 'chat':
      return chat(room, self, msg.to, msg.envelope, ctx);
    case 'annotate':
      return [{ kind: 'broadcast', to: 'members', except: self.id, msg: { type: 'annotate', from: self.id, envelope: msg.envelope }, room: self.breakout }];
    case 'host':
      return hostAction(room, self, msg.command, ctx);
    case 'ticket':
      return [{ kind: 'grant-ticket', mediaLost: msg.mediaLost === true }];
    case 'leave':
      return departure(room, self, 'left', ctx.now);
    case 'breakout-choose':
      return chooseBreakout(room, self, msg.room);
    case 'breakout-help':
      return [{ kind: 'broadcast', to: 'hosts', except: self.id, msg: { type: 'breakout-help', from: self.id, room: self.breakout } }];
    case 'file-offer':
    case 'file-answer':
    case 'file-chunk':
    case 'file-cancel':
      return fileMessage(room, self, msg, ctx);
    default:
      return assertNever(msg);
  }
}

/**
 * The budget each message kind draws on (rate-limit.ts sets the rates). Null: the message has
 * its own limit further in (host actions, files, recording) or ends the seat (leave).
 */
const BUCKET_OF: Record<Exclude<ClientToRoom['type'], 'join'>, Bucket | null> = {
  'key-blobs': 'keys',
  'media-state': 'state',
  share: 'state',
  hand: 'state',
  rename: 'state',
  'breakout-choose': 'state',
  reaction: 'reaction',
  chat: 'chat',
  annotate: 'annotate',
  ticket: 'ticket',
  'breakout-help': 'help',
  record: null,
  host: null,
  leave: null,
  'file-offer': null,
  'file-answer': null,
  'file-chunk': null,
  'file-cancel': null,
};

// ── join gate ───────────────────────────────────────────────────────────────

function join(room: RoomData, conn: Conn, msg: Extract<ClientToRoom, { type: 'join' }>, ctx: DecideContext): Effect[] {
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
      const entry: WaitingRecord = { id, name: msg.name, since: ctx.now, publicKey: msg.publicKey, clientId: msg.clientId ?? null, userId: ctx.userId, resumeHash: ctx.resumeHash, ip: conn.ip, reason };
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
  const admitted = admit(room, { id, name: msg.name, publicKey: msg.publicKey, clientId: msg.clientId ?? null, userId: ctx.userId, resumeHash: ctx.resumeHash, ip: conn.ip }, role, ctx, true);
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
function resume(room: RoomData, conn: Conn, msg: Extract<ClientToRoom, { type: 'join' }>, seat: NonNullable<ReturnType<typeof resumableSeat>>, ctx: DecideContext): Effect[] {
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
  const joiner: Joiner = { id: old.id, name: msg.name, publicKey: msg.publicKey, clientId: msg.clientId ?? null, userId: ctx.userId, resumeHash: ctx.resumeHash, ip: conn.ip };
  effects.push(...admit(room, joiner, role, ctx, true, { permissions: old.permissions, restricted: old.restricted, handRaisedAt: old.handRaisedAt, breakout, announce: held ? 'back' : 'joined' }));
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
  const permissions = kept?.permissions ?? (role === 'participant' ? carriedRestrictions(room, who, permissionsFor(role, room.settings)) : permissionsFor(role, room.settings));
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
      msg: kept?.announce === 'back' ? { type: 'participant-back', participant: participantOf(member) } : { type: 'participant-joined', participant: participantOf(member) },
    },
  ];
  // Muted on entry without the right to unmute: the origin holds the microphone paused too.
  if (!permissions.unmute) effects.push({ kind: 'origin', control: { action: 'pauseSource', meetingId: room.meetingId, participantId: j.id, source: 'audio' } });
  if (!permissions.share) effects.push({ kind: 'origin', control: { action: 'pauseSource', meetingId: room.meetingId, participantId: j.id, source: 'screen' } });
  return effects;
}

function admitWaiting(room: RoomData, w: WaitingRecord, ctx: DecideContext): Effect[] {
  return [{ kind: 'del-waiting', id: w.id }, ...admit(room, w, 'participant', ctx, false)];
}

/** Waiters held for a missing host: into the meeting, or into the waiting room when it is on. */
function releaseNoHostWaiters(room: RoomData, ctx: DecideContext): Effect[] {
  const effects: Effect[] = [];
  let queued = false;
  for (const w of room.waiting.values()) {
    if (w.reason !== 'no-host') continue;
    if (room.settings.waitingRoom) {
      effects.push({ kind: 'put-waiting', entry: { ...w, reason: 'waiting-room' } }, { kind: 'send', to: w.id, msg: { type: 'waiting', reason: 'waiting-room' } });
      queued = true;
    } else effects.push(...admitWaiting(room, w, ctx));
  }
  if (queued) effects.push({ kind: 'waiting-list' });
  return effects;
}

// ── a participant's own media, share, chat ──────────────────────────────────

function mediaState(room: RoomData, self: MemberRecord, audio: boolean, video: boolean): Effect[] {
  const effects: Effect[] = [];
  if (audio && !self.audio) {
    if (!self.permissions.unmute) return [error('forbidden', 'the host has not allowed you to unmute')];
    effects.push({ kind: 'origin', control: { action: 'releaseSource', meetingId: room.meetingId, participantId: self.id, source: 'audio' } });
  }
  // Video the host stopped may be started again by its owner (as in the big services); the
  // origin only lets the producer resume once the room has said so.
  if (video && !self.video) effects.push({ kind: 'origin', control: { action: 'releaseSource', meetingId: room.meetingId, participantId: self.id, source: 'video' } });
  const member = { ...self, audio, video };
  effects.push(
    { kind: 'put-member', member },
    { kind: 'broadcast', to: 'members', except: null, msg: { type: 'media-state', id: self.id, audio, video } },
  );
  return effects;
}

function share(room: RoomData, self: MemberRecord, on: boolean): Effect[] {
  if (!on) return updated({ ...self, sharing: false });
  if (!self.permissions.share) return [error('forbidden', 'the host has not allowed you to share')];
  const others = [...room.members.values()].filter((m) => m.sharing && m.id !== self.id);
  if (!room.settings.multiShare && others.length > 0 && !isHostish(self.role)) return [error('forbidden', 'someone else is sharing')];
  const effects: Effect[] = [];
  // One sharer at a time: a host taking over stops the current sharer.
  if (!room.settings.multiShare) for (const o of others) effects.push(...forceStop(room, o, self.id, 'stop-share'));
  effects.push(
    { kind: 'origin', control: { action: 'releaseSource', meetingId: room.meetingId, participantId: self.id, source: 'screen' } },
    ...updated({ ...self, sharing: true }),
  );
  return effects;
}

/**
 * Recording is announced, never silent: the state lives in the member record and every member
 * sees it until it stops or the recorder leaves. The room cannot stop a browser from capturing
 * what it decrypts; it can make sure everyone knows when the client says it does.
 */
function record(self: MemberRecord, on: boolean, ctx: DecideContext): Effect[] {
  if (on && !self.permissions.record) return [error('forbidden', 'the host has not allowed you to record')];
  if (self.recording === on) return [];
  // Each toggle reaches every member: flapping it is as costly as a host action.
  if (!ctx.allow(self.id, 'control')) return [error('rate_limited', 'recording switched on and off too often', 1)];
  return [
    ...updated({ ...self, recording: on }),
    { kind: 'audit', actor: self.id, role: self.role, action: on ? 'record-start' : 'record-stop', target: null, result: 'ok' },
  ];
}

function chat(room: RoomData, self: MemberRecord, to: string | null, envelope: string, ctx: DecideContext): Effect[] {
  if (!self.permissions.chat) return [error('forbidden', 'the host has turned chat off for you')];
  if (to !== null && (to === self.id || room.members.get(to)?.breakout !== self.breakout)) return [error('not_found', 'that participant is not in this room')];
  // The room keeps no history: it relays sealed envelopes and forgets them.
  const msg: RoomToClient = { type: 'chat', id: ctx.now, from: self.id, to, at: ctx.now, envelope };
  return to === null ? [{ kind: 'broadcast', to: 'members', except: self.id, msg, room: self.breakout }] : [{ kind: 'send', to, msg }];
}

// ── host controls ───────────────────────────────────────────────────────────

/** Only the host (not co-hosts) may do these. */
export const HOST_ONLY: ReadonlySet<HostActionName> = new Set(['end', 'hand-over', 'make-cohost', 'revoke-cohost']);

/** Taking the right to record away stops the recording: the recorder's client is told, everyone sees it end. */
function stopRecording(m: MemberRecord, by: string): Effect[] {
  return [...updated({ ...m, recording: false }), { kind: 'send', to: m.id, msg: { type: 'forced', what: 'stop-recording', by } }];
}

function forceStop(room: RoomData, m: MemberRecord, by: string, what: 'mute' | 'stop-video' | 'stop-share'): Effect[] {
  const source = what === 'mute' ? 'audio' : what === 'stop-video' ? 'video' : 'screen';
  const member = what === 'mute' ? { ...m, audio: false } : what === 'stop-video' ? { ...m, video: false } : { ...m, sharing: false };
  return [
    ...updated(member),
    { kind: 'origin', control: { action: 'pauseSource', meetingId: room.meetingId, participantId: m.id, source } },
    { kind: 'send', to: m.id, msg: { type: 'forced', what, by } },
  ];
}

function hostAction(room: RoomData, self: MemberRecord, cmd: HostAction, ctx: DecideContext): Effect[] {
  const target = 'target' in cmd ? cmd.target : null;
  const audit = (result: 'ok' | ErrorCode, detail?: string): Effect => ({
    kind: 'audit',
    actor: self.id,
    role: self.role,
    action: cmd.action,
    target,
    result,
    ...(detail ? { detail } : {}),
  });
  const refuse = (code: ErrorCode, message: string): Effect[] => [audit(code), error(code, message)];

  if (!isHostish(self.role)) return refuse('forbidden', 'only the host or a co-host can do that');
  if (HOST_ONLY.has(cmd.action) && self.role !== 'host') return refuse('forbidden', 'only the host can do that');
  if (!ctx.allow(self.id, 'control')) return refuse('rate_limited', 'too many host actions at once');

  // Targets of admit/deny/allow-rejoin live outside the roster; every other target is a member.
  let t: MemberRecord | undefined;
  if (target !== null && !['admit', 'deny', 'allow-rejoin', 'spotlight'].includes(cmd.action)) {
    t = room.members.get(target);
    if (!t) return refuse('not_found', 'that participant is not in this meeting');
    if (cmd.action !== 'lower-hand' && t.id !== self.id && self.role === 'cohost' && isHostish(t.role)) {
      return refuse('forbidden', 'a co-host cannot act on the host or another co-host');
    }
  }
  const ok = (...effects: Effect[]): Effect[] => [...effects, audit('ok')];
  const others = () => [...room.members.values()].filter((m) => m.id !== self.id);

  switch (cmd.action) {
    case 'remove':
      if (t!.id === self.id) return refuse('forbidden', 'use leave to leave');
      return ok(...removal(room, t!, ctx));
    case 'remove-all':
      return ok(...others().filter((m) => !isHostish(m.role)).flatMap((m) => removal(room, m, ctx)));
    case 'allow-rejoin':
      if (!room.banned.has(cmd.target)) return refuse('not_found', 'that participant was not removed');
      return ok({ kind: 'unban', id: cmd.target });
    case 'end':
      return ok(
        { kind: 'room', patch: { ended: true } },
        { kind: 'end-meeting' },
        { kind: 'broadcast', to: 'members', except: null, msg: { type: 'closed', reason: 'ended' } },
        ...[...room.waiting.keys()].map((id): Effect => ({ kind: 'send', to: id, msg: { type: 'closed', reason: 'ended' } })),
        { kind: 'origin', control: { action: 'closeMeeting', meetingId: room.meetingId } },
        { kind: 'close', id: null, code: 1000, reason: 'ended' },
      );
    case 'lock':
      return ok(...stateChange(room, { locked: cmd.locked }));
    case 'waiting-room': {
      const effects = stateChange(room, { settings: { ...room.settings, waitingRoom: cmd.enabled } });
      // Turning the waiting room off lets everyone in it in.
      if (!cmd.enabled) for (const w of room.waiting.values()) if (w.reason === 'waiting-room') effects.push(...admitWaiting(room, w, ctx));
      effects.push({ kind: 'waiting-list' });
      return ok(...effects);
    }
    case 'mute':
      return ok(...forceStop(room, t!, self.id, 'mute'));
    case 'mute-all': {
      // One frame per member: `muted-all` is everyone's roster update, the muted participants'
      // forced notice and the new unmute default at once (clients apply all three), so 1000
      // members cost 1000 frames, not 3000 (docs/BENCHMARKS.md, signalling). The origin pauses
      // each microphone.
      const effects: Effect[] = [{ kind: 'room', patch: { settings: { ...room.settings, allowUnmute: cmd.allowUnmute } } }];
      for (const m of others()) {
        if (isHostish(m.role)) continue;
        effects.push(
          { kind: 'put-member', member: { ...m, audio: false, permissions: { ...m.permissions, unmute: cmd.allowUnmute } } },
          { kind: 'origin', control: { action: 'pauseSource', meetingId: room.meetingId, participantId: m.id, source: 'audio' } },
        );
      }
      effects.push({ kind: 'broadcast', to: 'members', except: null, msg: { type: 'muted-all', by: self.id, allowUnmute: cmd.allowUnmute } });
      return ok(...effects);
    }
    case 'ask-unmute':
      // The participant decides: the room grants the right and asks; it never unmutes anyone.
      return ok(...updated({ ...t!, restricted: t!.restricted.filter((p) => p !== 'unmute'), permissions: { ...t!.permissions, unmute: true } }), { kind: 'send', to: t!.id, msg: { type: 'ask-unmute', from: self.id } });
    case 'stop-video':
      return ok(...forceStop(room, t!, self.id, 'stop-video'));
    case 'set-permission':
      return ok(...setPermission(room, t!, cmd.permission, cmd.allowed, self.id));
    case 'multi-share':
      return ok(...stateChange(room, { settings: { ...room.settings, multiShare: cmd.enabled } }));
    case 'clear-annotations':
      return ok({ kind: 'broadcast', to: 'members', except: null, msg: { type: 'annotations-cleared', by: self.id } });
    case 'rename':
      return ok(...updated({ ...t!, name: cmd.name }));
    case 'spotlight':
      if (cmd.target !== null && !room.members.has(cmd.target)) return refuse('not_found', 'that participant is not in this meeting');
      return ok(...stateChange(room, { spotlight: cmd.target }));
    case 'admit': {
      const w = room.waiting.get(cmd.target);
      if (!w || w.reason !== 'waiting-room') return refuse('not_found', 'nobody by that id is waiting');
      return ok(...admitWaiting(room, w, ctx), { kind: 'waiting-list' });
    }
    case 'admit-all':
      return ok(
        ...[...room.waiting.values()].filter((w) => w.reason === 'waiting-room').flatMap((w) => admitWaiting(room, w, ctx)),
        { kind: 'waiting-list' },
      );
    case 'deny': {
      const w = room.waiting.get(cmd.target);
      if (!w) return refuse('not_found', 'nobody by that id is waiting');
      return ok(
        { kind: 'del-waiting', id: w.id },
        { kind: 'put-denied', record: { clientId: w.clientId, userId: w.userId, address: addressKey(w.ip), at: ctx.now } },
        { kind: 'send', to: w.id, msg: { type: 'closed', reason: 'denied' } },
        { kind: 'close', id: w.id, code: 1000, reason: 'denied' },
        { kind: 'waiting-list' },
      );
    }
    case 'make-cohost':
      if (t!.role !== 'participant') return refuse('forbidden', 'only a participant can be made co-host');
      return ok(...roleChange(room, t!, 'cohost'));
    case 'revoke-cohost':
      if (t!.role !== 'cohost') return refuse('forbidden', 'that participant is not a co-host');
      return ok(...roleChange(room, t!, 'participant'));
    case 'hand-over':
      if (t!.id === self.id) return refuse('forbidden', 'you are already the host');
      return ok(...roleChange(room, self, 'cohost'), ...roleChange(room, t!, 'host'));
    case 'lower-hand':
      return ok(...updated({ ...t!, handRaisedAt: null }));
    case 'lower-all-hands':
      return ok(...[...room.members.values()].filter((m) => m.handRaisedAt !== null).flatMap((m) => updated({ ...m, handRaisedAt: null })));
    case 'breakout-create':
    case 'breakout-assign':
    case 'breakout-auto':
    case 'breakout-open':
    case 'breakout-broadcast':
    case 'breakout-close': {
      const r = breakoutAction(room, self, cmd, ctx);
      return typeof r === 'string' ? refuse(r === 'not_found' ? 'not_found' : 'forbidden', BREAKOUT_REFUSALS[r]) : ok(...r);
    }
    default:
      return assertNever(cmd);
  }
}

export function stateChange(room: RoomData, patch: RoomPatch): Effect[] {
  const next = { ...room, ...patch };
  return [{ kind: 'room', patch }, { kind: 'broadcast', to: 'members', except: null, msg: { type: 'room-state', state: roomState(next) } }];
}

function roleChange(room: RoomData, m: MemberRecord, role: Role): Effect[] {
  const member = { ...m, role, permissions: isHostish(role) ? permissionsFor(role, room.settings) : m.permissions };
  const effects = updated(member);
  // Rights a role change grants reach the origin too.
  if (isHostish(role)) {
    for (const source of ['audio', 'screen'] as const) effects.push({ kind: 'origin', control: { action: 'releaseSource', meetingId: room.meetingId, participantId: m.id, source } });
  }
  return effects;
}

function setPermission(room: RoomData, m: MemberRecord, permission: Permission, allowed: boolean, by: string): Effect[] {
  // A right taken from one person is remembered against them (identity.ts), so a reload cannot shed it.
  const restricted = m.restricted.filter((p) => p !== permission).concat(allowed ? [] : [permission]);
  const member = { ...m, restricted, permissions: { ...m.permissions, [permission]: allowed } };
  if (allowed) {
    const effects = updated(member);
    // Granting share releases the origin's hold; granting unmute waits for the participant to unmute.
    if (permission === 'share') effects.push({ kind: 'origin', control: { action: 'releaseSource', meetingId: room.meetingId, participantId: m.id, source: 'screen' } });
    return effects;
  }
  // Taking a right away stops what it covers, on the origin as well.
  if (permission === 'unmute') return forceStop(room, member, by, 'mute');
  if (permission === 'share') return forceStop(room, member, by, 'stop-share');
  if (permission === 'record' && m.recording) return stopRecording(member, by);
  return updated(member);
}

function removal(room: RoomData, m: MemberRecord, ctx: DecideContext): Effect[] {
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

function assertNever(x: never): never {
  throw new Error(`unhandled message ${JSON.stringify(x)}`);
}
