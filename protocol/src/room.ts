/**
 * Browser ↔ Room Durable Object messages (JSON text frames on the meeting WebSocket).
 * The DO relays public keys and sealed blobs; nothing here carries a key it could open.
 */
import { z } from 'zod';
import { DisplayName, ErrorCode, MeetingId, ParticipantId, PublicKey, Role, WsUrl, b64url } from './common.ts';

/** A sealed key blob: 12-byte nonce ‖ 32-byte key ‖ 16-byte tag plus framing, well under 200 chars. */
const SealedKey = b64url(256).min(16);

/** Key epochs are u32: the sender bumps one on every rekey. */
export const Epoch = z.number().int().min(0).max(0xffff_ffff);

/** A sealed chat line or annotation stroke: opaque to the room, bounded (16 KiB of ciphertext). */
export const MAX_ENVELOPE_CHARS = 21_846;
export const Envelope = b64url(MAX_ENVELOPE_CHARS).min(16);

export const MAX_BREAKOUT_ROOMS = 50;
export const BreakoutRoomId = z.string().regex(/^b[0-9]{1,2}$/, 'bad breakout room id');
export const BreakoutName = z.string().trim().min(1).max(40);

/** Files travel in sealed chunks of at most 96 KiB of ciphertext each (base64url fits a frame). */
export const MAX_FILE_CHUNK_CHARS = 131_072;
export const FileId = z.string().regex(/^[A-Za-z0-9_-]{8,32}$/, 'bad file id');

/** A client's own random id kept in its browser: lets a host's "don't let them back in" stick across reconnects. */
export const ClientId = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'bad client id');

/** Reactions are a fixed set, so the room never relays arbitrary text in clear. */
export const Reaction = z.enum(['clap', 'thumbs-up', 'heart', 'joy', 'open-mouth', 'tada']);

/** `record`: may record the meeting (locally or to the cloud); hosts may, participants only when the host allows. */
export const Permission = z.enum(['share', 'chat', 'unmute', 'rename', 'record']);
export type Permission = z.infer<typeof Permission>;

export const MeetingSettings = z.strictObject({
  waitingRoom: z.boolean(),
  joinBeforeHost: z.boolean(),
  muteOnEntry: z.boolean(),
  /** What participants (not hosts) may do by default. */
  allowUnmute: z.boolean(),
  allowShare: z.boolean(),
  allowChat: z.boolean(),
  allowRename: z.boolean(),
  /** Several people may share at once; otherwise one at a time. */
  multiShare: z.boolean(),
});
export type MeetingSettings = z.infer<typeof MeetingSettings>;

export const DEFAULT_SETTINGS: MeetingSettings = {
  waitingRoom: false,
  joinBeforeHost: true,
  muteOnEntry: false,
  allowUnmute: true,
  allowShare: true,
  allowChat: true,
  allowRename: true,
  multiShare: false,
};

// ── client → room ─────────────────────────────────────────────────────────────

/** 43 random base64url characters (258 bits): the server-issued identity of one participant in one meeting. */
export const ResumeSecret = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'resume secret must be 43 base64url characters');

export const JoinMsg = z.strictObject({
  type: z.literal('join'),
  name: DisplayName,
  publicKey: PublicKey,
  clientId: ClientId.optional(),
  hostKey: z.string().max(128).optional(),
  password: z.string().max(128).optional(),
  /**
   * The resume secret this client was given in an earlier welcome to this meeting: it is the
   * participant the room knows, so a reconnect keeps its seat and a removal keeps holding.
   */
  resume: ResumeSecret.optional(),
});

/** A sender hands its current base key, sealed pairwise, to some participants. */
export const KeyBlobsMsg = z.strictObject({
  type: z.literal('key-blobs'),
  epoch: Epoch,
  blobs: z
    .array(z.strictObject({ to: ParticipantId, blob: SealedKey }))
    .min(1)
    .max(1000),
});

export const MediaStateMsg = z.strictObject({
  type: z.literal('media-state'),
  audio: z.boolean(),
  video: z.boolean(),
});

export const ShareMsg = z.strictObject({ type: z.literal('share'), on: z.boolean() });
/** This participant starts or stops recording; the room checks the right and tells everyone. */
export const RecordMsg = z.strictObject({ type: z.literal('record'), on: z.boolean() });
export const HandMsg = z.strictObject({ type: z.literal('hand'), raised: z.boolean() });
export const ReactionMsg = z.strictObject({ type: z.literal('reaction'), reaction: Reaction });
export const RenameSelfMsg = z.strictObject({ type: z.literal('rename'), name: DisplayName });

/** A chat line sealed by the sender (crypto/seal.ts); `to` null means everyone. */
export const ChatMsg = z.strictObject({ type: z.literal('chat'), to: ParticipantId.nullable(), envelope: Envelope });
/** A sealed annotation stroke on someone's shared screen. */
export const AnnotateMsg = z.strictObject({ type: z.literal('annotate'), envelope: Envelope });

export const LeaveMsg = z.strictObject({ type: z.literal('leave') });

/**
 * Sent before `join`, while the pre-join form shows: which media origin will this meeting's
 * ticket point to? The browser dials it and loads its device while the person types a name.
 */
export const PrepareMsg = z.strictObject({ type: z.literal('prepare') });

/** A participant picks a breakout room (when the host lets them choose), or asks the host for help. */
export const BreakoutChooseMsg = z.strictObject({ type: z.literal('breakout-choose'), room: BreakoutRoomId });
export const BreakoutHelpMsg = z.strictObject({ type: z.literal('breakout-help') });

/**
 * In-meeting file transfer, relayed by the room. Name, type and contents are sealed by the sender
 * (chunk index in the AAD); the room sees only sizes. Receivers accept or decline an offer; chunks
 * reach only current members who accepted, so someone removed gets nothing sent after.
 */
export const FileOfferMsg = z.strictObject({
  type: z.literal('file-offer'),
  id: FileId,
  to: ParticipantId.nullable(),
  /** Sealed {name, mime, size}. */
  meta: Envelope,
  size: z.number().int().min(1),
  chunks: z.number().int().min(1),
});
export const FileAnswerMsg = z.strictObject({ type: z.literal('file-answer'), id: FileId, from: ParticipantId, accept: z.boolean() });
export const FileChunkMsg = z.strictObject({
  type: z.literal('file-chunk'),
  id: FileId,
  index: z.number().int().min(0),
  data: b64url(MAX_FILE_CHUNK_CHARS).min(16),
});
export const FileCancelMsg = z.strictObject({ type: z.literal('file-cancel'), id: FileId });

/**
 * Asks for a fresh origin ticket: before the current one expires, or because the media
 * connection dropped (`mediaLost`), when the Room first checks that its origin still lives.
 */
export const TicketRequestMsg = z.strictObject({ type: z.literal('ticket'), mediaLost: z.boolean().optional() });

/** Host and co-host controls. Which role may do what is decided in the Room, never here. */
const target = { target: ParticipantId };
export const HostAction = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('remove'), ...target }),
  z.strictObject({ action: z.literal('remove-all') }),
  z.strictObject({ action: z.literal('allow-rejoin'), ...target }),
  z.strictObject({ action: z.literal('end') }),
  z.strictObject({ action: z.literal('lock'), locked: z.boolean() }),
  z.strictObject({ action: z.literal('waiting-room'), enabled: z.boolean() }),
  z.strictObject({ action: z.literal('mute'), ...target }),
  z.strictObject({ action: z.literal('mute-all'), allowUnmute: z.boolean() }),
  z.strictObject({ action: z.literal('ask-unmute'), ...target }),
  z.strictObject({ action: z.literal('stop-video'), ...target }),
  z.strictObject({ action: z.literal('set-permission'), ...target, permission: Permission, allowed: z.boolean() }),
  z.strictObject({ action: z.literal('multi-share'), enabled: z.boolean() }),
  z.strictObject({ action: z.literal('clear-annotations') }),
  z.strictObject({ action: z.literal('rename'), ...target, name: DisplayName }),
  z.strictObject({ action: z.literal('spotlight'), target: ParticipantId.nullable() }),
  z.strictObject({ action: z.literal('admit'), ...target }),
  z.strictObject({ action: z.literal('admit-all') }),
  z.strictObject({ action: z.literal('deny'), ...target }),
  z.strictObject({ action: z.literal('make-cohost'), ...target }),
  z.strictObject({ action: z.literal('revoke-cohost'), ...target }),
  z.strictObject({ action: z.literal('hand-over'), ...target }),
  z.strictObject({ action: z.literal('lower-hand'), ...target }),
  z.strictObject({ action: z.literal('lower-all-hands') }),
  // Breakout rooms: each is its own key group and its own router on the origin.
  z.strictObject({ action: z.literal('breakout-create'), names: z.array(BreakoutName).min(1).max(MAX_BREAKOUT_ROOMS) }),
  z.strictObject({ action: z.literal('breakout-assign'), ...target, room: BreakoutRoomId.nullable() }),
  z.strictObject({ action: z.literal('breakout-auto') }),
  z.strictObject({ action: z.literal('breakout-open'), allowChoose: z.boolean() }),
  /**
   * Each breakout room is its own key group, so no group key reaches them all: the text is sealed
   * once under a one-time key, wrapped for each recipient with the pairwise keys (crypto
   * `sealMessageKey`, context epoch = `n`, the sender's message number). The room hands each
   * recipient only its own wrap.
   */
  z.strictObject({
    action: z.literal('breakout-broadcast'),
    n: z.number().int().min(0).max(0xffff_ffff),
    envelope: Envelope,
    keys: z
      .array(z.strictObject({ to: ParticipantId, key: SealedKey }))
      .min(1)
      .max(1000),
  }),
  z.strictObject({ action: z.literal('breakout-close'), countdownSeconds: z.number().int().min(0).max(300) }),
]);
export type HostAction = z.infer<typeof HostAction>;
export type HostActionName = HostAction['action'];
export const HostMsg = z.strictObject({ type: z.literal('host'), command: HostAction });

export const ClientToRoom = z.discriminatedUnion('type', [
  JoinMsg,
  PrepareMsg,
  KeyBlobsMsg,
  MediaStateMsg,
  ShareMsg,
  RecordMsg,
  HandMsg,
  ReactionMsg,
  RenameSelfMsg,
  ChatMsg,
  AnnotateMsg,
  HostMsg,
  LeaveMsg,
  TicketRequestMsg,
  BreakoutChooseMsg,
  BreakoutHelpMsg,
  FileOfferMsg,
  FileAnswerMsg,
  FileChunkMsg,
  FileCancelMsg,
]);
export type ClientToRoom = z.infer<typeof ClientToRoom>;

// ── room → client ─────────────────────────────────────────────────────────────

export const Permissions = z.strictObject({ share: z.boolean(), chat: z.boolean(), unmute: z.boolean(), rename: z.boolean(), record: z.boolean() });
export type Permissions = z.infer<typeof Permissions>;

export const Participant = z.strictObject({
  id: ParticipantId,
  /** Sender index for SFrame KIDs: unique within the meeting, never reused. */
  index: z.number().int().min(0).max(0xffff),
  name: DisplayName,
  role: Role,
  publicKey: PublicKey,
  audio: z.boolean(),
  video: z.boolean(),
  sharing: z.boolean(),
  /** Recording the meeting now: every participant shows who records, the whole time. */
  recording: z.boolean(),
  /** When the hand went up (ms since epoch), null when down: hosts see hands in this order. */
  handRaisedAt: z.number().int().nullable(),
  permissions: Permissions,
  /** The breakout room this participant is in; null in the main room. */
  breakout: BreakoutRoomId.nullable(),
  /** Its connection dropped: the seat is held for it while it reconnects (absent when present). */
  away: z.literal(true).optional(),
});
export type Participant = z.infer<typeof Participant>;

export const WaitingEntry = z.strictObject({ id: ParticipantId, name: DisplayName, since: z.number().int() });
export type WaitingEntry = z.infer<typeof WaitingEntry>;

export const BreakoutState = z.strictObject({
  rooms: z.array(z.strictObject({ id: BreakoutRoomId, name: BreakoutName })),
  /** Planned assignments (participant id → room), applied when the rooms open. */
  assignments: z.record(ParticipantId, BreakoutRoomId),
  open: z.boolean(),
  allowChoose: z.boolean(),
  /** When the host's recall takes effect (ms since epoch), null when no recall is running. */
  closingAt: z.number().int().nullable(),
});
export type BreakoutState = z.infer<typeof BreakoutState>;

/** Meeting-wide state every member sees. */
export const RoomState = z.strictObject({
  locked: z.boolean(),
  settings: MeetingSettings,
  spotlight: ParticipantId.nullable(),
  hostPresent: z.boolean(),
  breakout: BreakoutState,
});
export type RoomState = z.infer<typeof RoomState>;

/** A TURN (or STUN) server the browser may use to reach the origin from a network that blocks UDP or high ports. */
export const IceServer = z.strictObject({
  urls: z
    .array(
      z
        .string()
        .regex(/^(turns?|stun):\S+$/)
        .max(256),
    )
    .min(1)
    .max(8),
  username: z.string().max(256).optional(),
  credential: z.string().max(256).optional(),
});
export type IceServer = z.infer<typeof IceServer>;

export const OriginGrant = z.strictObject({
  /** WebSocket URL of the media origin assigned to this meeting. */
  url: WsUrl,
  /** Short-lived JWS the origin verifies (see origin.ts TicketClaims). */
  ticket: z.string().max(2048),
  expiresAt: z.number().int(),
  /** TURN servers with credentials minted for this participant; absent when the service runs none. */
  iceServers: z.array(IceServer).max(4).optional(),
  /** `relay`: the service wants media only through those TURN servers. */
  iceTransportPolicy: z.enum(['all', 'relay']).optional(),
});
export type OriginGrant = z.infer<typeof OriginGrant>;

export const WelcomeMsg = z.strictObject({
  type: z.literal('welcome'),
  meetingId: MeetingId,
  topic: z.string().max(200),
  self: Participant,
  participants: z.array(Participant),
  state: RoomState,
  /** Only hosts and co-hosts get the waiting-room queue. */
  waiting: z.array(WaitingEntry),
  origin: OriginGrant.nullable(),
  /** Largest file a member may send through the room (bytes), so the UI can show the limit. */
  maxFileBytes: z.number().int().min(1).optional(),
  /** This participant's resume secret: kept by the client, sent with a later join, stored only hashed by the room. */
  resume: ResumeSecret.optional(),
  /** True when this join resumed an earlier seat (same id, role and rights) instead of starting a new one. */
  resumed: z.boolean().optional(),
});

export const ParticipantJoinedMsg = z.strictObject({ type: z.literal('participant-joined'), participant: Participant });
export const ParticipantUpdatedMsg = z.strictObject({ type: z.literal('participant-updated'), participant: Participant });
/**
 * Several participants changed by one action (mute all, lower all hands): one frame instead of
 * one per participant, so a host action in a 1000-person meeting is 1000 sends, not a million.
 */
export const ParticipantsUpdatedMsg = z.strictObject({ type: z.literal('participants-updated'), participants: z.array(Participant).min(1).max(10_000) });

export const LeaveReason = z.enum(['left', 'removed', 'disconnected', 'ended']);
/**
 * The host muted everyone who isn't host or co-host. Every client applies it to its own roster
 * (audio off, unmute right as given): one small frame per member instead of the whole roster.
 */
export const MutedAllMsg = z.strictObject({ type: z.literal('muted-all'), by: ParticipantId, allowUnmute: z.boolean() });

export const ParticipantLeftMsg = z.strictObject({ type: z.literal('participant-left'), id: ParticipantId, reason: LeaveReason });
/**
 * A participant's connection dropped: it keeps its seat (and its place in everyone's key group)
 * while it reconnects. If it is not back in time, `participant-left` (disconnected) follows.
 */
export const ParticipantAwayMsg = z.strictObject({ type: z.literal('participant-away'), id: ParticipantId });
/**
 * A participant is back on a new connection: the same seat, with the new connection's public key
 * and sender index (its keys change, so key groups swap them as on a leave and a join).
 */
export const ParticipantBackMsg = z.strictObject({ type: z.literal('participant-back'), participant: Participant });

export const KeyBlobMsg = z.strictObject({ type: z.literal('key-blob'), from: ParticipantId, epoch: Epoch, blob: SealedKey });

export const MediaStateChangedMsg = z.strictObject({
  type: z.literal('media-state'),
  id: ParticipantId,
  audio: z.boolean(),
  video: z.boolean(),
});

export const RoomStateMsg = z.strictObject({ type: z.literal('room-state'), state: RoomState });

/** To a participant held in the waiting room (or waiting for the host to arrive). */
export const WaitingMsg = z.strictObject({ type: z.literal('waiting'), reason: z.enum(['waiting-room', 'no-host']) });
/** To hosts and co-hosts: the current waiting-room queue. */
export const WaitingListMsg = z.strictObject({ type: z.literal('waiting-list'), waiting: z.array(WaitingEntry) });

/** The room ended this connection's part in the meeting; the socket closes after it. */
export const ClosedMsg = z.strictObject({ type: z.literal('closed'), reason: z.enum(['removed', 'ended', 'denied']) });

/** A host asked this participant to unmute; the participant decides. */
export const AskUnmuteMsg = z.strictObject({ type: z.literal('ask-unmute'), from: ParticipantId });
/** A host muted or stopped this participant's media (enforced on the origin too). */
export const ForcedMsg = z.strictObject({ type: z.literal('forced'), what: z.enum(['mute', 'stop-video', 'stop-share', 'stop-recording']), by: ParticipantId });

export const ChatRelayMsg = z.strictObject({
  type: z.literal('chat'),
  id: z.number().int().min(0),
  from: ParticipantId,
  to: ParticipantId.nullable(),
  at: z.number().int(),
  envelope: Envelope,
});
export const ReactionRelayMsg = z.strictObject({ type: z.literal('reaction'), from: ParticipantId, reaction: Reaction });
export const AnnotationRelayMsg = z.strictObject({ type: z.literal('annotate'), from: ParticipantId, envelope: Envelope });
export const AnnotationsClearedMsg = z.strictObject({ type: z.literal('annotations-cleared'), by: ParticipantId });

export const TicketMsg = z.strictObject({ type: z.literal('ticket'), origin: OriginGrant });
/**
 * The answer to `prepare`: the URL of the origin the meeting is placed on (null: none is up, or
 * the meeting has ended). No ticket: the origin lets nobody in without the one a join brings.
 */
export const PreparedMsg = z.strictObject({ type: z.literal('prepared'), origin: WsUrl.nullable() });

/** A host's message to every breakout room: the sealed text and this recipient's wrap of its key. */
export const BreakoutBroadcastMsg = z.strictObject({
  type: z.literal('breakout-broadcast'),
  from: ParticipantId,
  n: z.number().int().min(0).max(0xffff_ffff),
  envelope: Envelope,
  key: SealedKey,
});
/** To hosts: someone in a breakout room asks for help. */
export const BreakoutHelpRelayMsg = z.strictObject({ type: z.literal('breakout-help'), from: ParticipantId, room: BreakoutRoomId.nullable() });
/**
 * This participant moved (into a breakout room or back to the main room): media reconnects to the
 * room's own router with this grant, and keys are exchanged with `members` only.
 */
export const MovedMsg = z.strictObject({ type: z.literal('moved'), room: BreakoutRoomId.nullable(), origin: OriginGrant.nullable() });

export const FileOfferRelayMsg = FileOfferMsg.extend({ from: ParticipantId });
export const FileAnswerRelayMsg = FileAnswerMsg;
export const FileChunkRelayMsg = FileChunkMsg.extend({ from: ParticipantId });
export const FileCancelRelayMsg = FileCancelMsg.extend({ from: ParticipantId });

export const ErrorMsg = z.strictObject({
  type: z.literal('error'),
  code: ErrorCode,
  message: z.string().max(500),
  retryAfter: z.number().int().min(0).optional(),
  /**
   * A refusal about a file transfer names it, so the sender can resume: `next` is the chunk
   * index the room expects (it relays chunks strictly in order, so nothing after a refused
   * chunk is relayed until that chunk comes again).
   */
  file: z.strictObject({ id: FileId, next: z.number().int().min(0).optional() }).optional(),
});

export const RoomToClient = z.discriminatedUnion('type', [
  WelcomeMsg,
  ParticipantJoinedMsg,
  ParticipantUpdatedMsg,
  ParticipantsUpdatedMsg,
  MutedAllMsg,
  ParticipantLeftMsg,
  ParticipantAwayMsg,
  ParticipantBackMsg,
  KeyBlobMsg,
  MediaStateChangedMsg,
  RoomStateMsg,
  WaitingMsg,
  WaitingListMsg,
  ClosedMsg,
  AskUnmuteMsg,
  ForcedMsg,
  ChatRelayMsg,
  ReactionRelayMsg,
  AnnotationRelayMsg,
  AnnotationsClearedMsg,
  TicketMsg,
  PreparedMsg,
  BreakoutBroadcastMsg,
  BreakoutHelpRelayMsg,
  MovedMsg,
  FileOfferRelayMsg,
  FileAnswerRelayMsg,
  FileChunkRelayMsg,
  FileCancelRelayMsg,
  ErrorMsg,
]);
export type RoomToClient = z.infer<typeof RoomToClient>;

/** Largest text frame the room accepts: a 1000-member key-blobs message fits with room to spare. */
export const MAX_ROOM_FRAME = 256 * 1024;
