/**
 * What the Room's state machine speaks: the records a meeting keeps, the facts a decision is
 * given, the effects it returns, and the small pure views and builders every part of the
 * machine shares (breakout.ts, files.ts, host.ts, admission.ts, departure.ts, machine.ts).
 */
import type {
  BreakoutState,
  ErrorCode,
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

/** The handles a person is known by, strongest first (identity.ts explains each). */
export interface Identity {
  resumeHash: string | null;
  userId: string | null;
  clientId: string | null;
}

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
  /** Tells a connection not yet joined which origin its ticket will name (the adapter looks it up). */
  | { kind: 'prepare' }
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
export const hostPresent = (room: RoomData, except: string | null = null): boolean =>
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

export const permissionsFor = (role: Role, s: MeetingSettings): Permissions =>
  isHostish(role)
    ? { share: true, chat: true, unmute: true, rename: true, record: true }
    : // Recording is the host's to grant, one participant at a time: no meeting-wide default lets everyone record.
      { share: s.allowShare, chat: s.allowChat, unmute: s.allowUnmute, rename: s.allowRename, record: false };

export const updated = (m: MemberRecord): Effect[] => [
  { kind: 'put-member', member: m },
  { kind: 'broadcast', to: 'members', except: null, msg: { type: 'participant-updated', participant: participantOf(m) } },
];

export function stateChange(room: RoomData, patch: RoomPatch): Effect[] {
  const next = { ...room, ...patch };
  return [
    { kind: 'room', patch },
    { kind: 'broadcast', to: 'members', except: null, msg: { type: 'room-state', state: roomState(next) } },
  ];
}

/** A new role for a member, with the rights it brings (at the origin too). */
export function roleChange(room: RoomData, m: MemberRecord, role: Role): Effect[] {
  const member = { ...m, role, permissions: isHostish(role) ? permissionsFor(role, room.settings) : m.permissions };
  const effects = updated(member);
  // Rights a role change grants reach the origin too.
  if (isHostish(role)) {
    for (const source of ['audio', 'screen'] as const)
      effects.push({ kind: 'origin', control: { action: 'releaseSource', meetingId: room.meetingId, participantId: m.id, source } });
  }
  return effects;
}

export function assertNever(x: never): never {
  throw new Error(`unhandled message ${JSON.stringify(x)}`);
}
