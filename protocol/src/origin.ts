/**
 * Browser ↔ media origin signalling (JSON over the origin's WebSocket), the ticket the
 * edge signs for the origin, and the edge ↔ origin control plane.
 *
 * mediasoup's own parameter objects (RTP capabilities, RTP/DTLS parameters) are checked
 * here for shape and size only; mediasoup validates their contents itself.
 */
import { z } from 'zod';
import { ErrorCode, MediaId, MediaSource, MeetingId, ParticipantId, Role, WsUrl } from './common.ts';

const bounded = z.looseObject({}).refine((o) => JSON.stringify(o).length <= 16_384, 'object too large');

export const DtlsParameters = z.looseObject({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z
    .array(z.strictObject({ algorithm: z.string().max(16), value: z.string().max(200) }))
    .min(1)
    .max(8),
});

export const RtpParameters = bounded;
export const RtpCapabilities = bounded;

// ── ticket ────────────────────────────────────────────────────────────────────

/** Claims of the edge-signed ticket (JWS HS256, audience "sealroom-origin"). */
export const TicketClaims = z.looseObject({
  mid: MeetingId,
  sub: ParticipantId,
  role: Role,
  /** Sources this participant may produce; the origin refuses any other. */
  src: z.array(MediaSource).max(3),
  /** Breakout room: its own router on the origin. Absent for the main room. */
  room: z
    .string()
    .regex(/^b[0-9]{1,2}$/)
    .optional(),
  exp: z.number().int(),
});
export type TicketClaims = z.infer<typeof TicketClaims>;
export const TICKET_AUDIENCE = 'sealroom-origin';
export const TICKET_ISSUER = 'sealroom-edge';
/** Tickets live five minutes: long enough to connect, short enough that a leaked one is soon useless. */
export const TICKET_TTL_SECONDS = 300;

// ── limits and codes both sides rely on ───────────────────────────────────────

/** At most this many speakers per audioLevels notification (a meter per tile on screen). */
export const AUDIO_LEVEL_MAX_ENTRIES = 16;
/** audioLevels notifications come at most this often (ms): meters, not waveforms. */
export const AUDIO_LEVEL_INTERVAL_MS = 400;

/**
 * WebSocket close codes of the origin's signalling socket (4000–4999 are the application's,
 * RFC 6455 §7.4.2). What the client should do is in each comment.
 */
export const ORIGIN_CLOSE = {
  /** The same participant connected again elsewhere; this socket is obsolete. Do not reconnect. */
  replaced: 4000,
  /** The ticket was refused (expired, forged, other meeting) or auth took too long. Get a fresh ticket. */
  badTicket: 4001,
  /** The host removed this participant. Do not reconnect. */
  removed: 4003,
  /** The meeting ended. Do not reconnect. */
  meetingClosed: 4004,
  /** The origin lost this client's media (worker died): reconnect with a fresh ticket. */
  reconnect: 4005,
  /** The origin is shutting down or the reconnect window passed: ask the edge for an origin again. */
  goingAway: 1001,
  /** The client stopped reading its socket. */
  tooSlow: 1008,
} as const;
export type OriginCloseCode = (typeof ORIGIN_CLOSE)[keyof typeof ORIGIN_CLOSE];

// ── client → origin requests ──────────────────────────────────────────────────

const req = <M extends string, D extends z.ZodType>(method: M, data: D) =>
  z.strictObject({
    type: z.literal('request'),
    id: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31),
    method: z.literal(method),
    data,
  });

export const AuthReq = req('auth', z.strictObject({ ticket: z.string().max(2048) }));
export const RtpCapabilitiesReq = req('rtpCapabilities', z.strictObject({}));
export const CreateTransportReq = req('createTransport', z.strictObject({ direction: z.enum(['send', 'recv']) }));
export const ConnectTransportReq = req('connectTransport', z.strictObject({ transportId: MediaId, dtlsParameters: DtlsParameters }));
export const RestartIceReq = req('restartIce', z.strictObject({ transportId: MediaId }));
export const ProduceReq = req(
  'produce',
  z.strictObject({ transportId: MediaId, kind: z.enum(['audio', 'video']), source: MediaSource, rtpParameters: RtpParameters }),
);
export const ConsumeReq = req('consume', z.strictObject({ transportId: MediaId, producerId: MediaId, rtpCapabilities: RtpCapabilities }));
export const ResumeConsumerReq = req('resumeConsumer', z.strictObject({ consumerId: MediaId }));
export const PauseConsumerReq = req('pauseConsumer', z.strictObject({ consumerId: MediaId }));
export const SetPreferredLayersReq = req(
  'setPreferredLayers',
  z.strictObject({ consumerId: MediaId, spatialLayer: z.number().int().min(0).max(3), temporalLayer: z.number().int().min(0).max(3).optional() }),
);
export const PauseProducerReq = req('pauseProducer', z.strictObject({ producerId: MediaId }));
export const ResumeProducerReq = req('resumeProducer', z.strictObject({ producerId: MediaId }));
export const CloseProducerReq = req('closeProducer', z.strictObject({ producerId: MediaId }));

export const ClientToOrigin = z.discriminatedUnion('method', [
  AuthReq,
  RtpCapabilitiesReq,
  CreateTransportReq,
  ConnectTransportReq,
  RestartIceReq,
  ProduceReq,
  ConsumeReq,
  ResumeConsumerReq,
  PauseConsumerReq,
  SetPreferredLayersReq,
  PauseProducerReq,
  ResumeProducerReq,
  CloseProducerReq,
]);
export type ClientToOrigin = z.infer<typeof ClientToOrigin>;
export type OriginMethod = ClientToOrigin['method'];

// ── origin → client ───────────────────────────────────────────────────────────

export const TransportInfo = z.looseObject({
  id: MediaId,
  iceParameters: bounded,
  iceCandidates: z.array(bounded).max(16),
  dtlsParameters: DtlsParameters,
});

/** What each request answers with on success. */
export interface OriginResults {
  /**
   * `resumed: true` when the origin still held this participant (a socket that dropped within
   * the reconnect window, or a second connection): the same identity, and its transports,
   * producers and consumers are this socket's now, with the notifications missed meanwhile
   * delivered next. `false`: a fresh join; set up transports from scratch.
   */
  auth: { participantId: string; meetingId: string; resumed: boolean };
  rtpCapabilities: { rtpCapabilities: Record<string, unknown> };
  createTransport: z.infer<typeof TransportInfo>;
  connectTransport: Record<string, never>;
  restartIce: { iceParameters: Record<string, unknown> };
  produce: { producerId: string };
  consume: {
    consumerId: string;
    producerId: string;
    kind: 'audio' | 'video';
    rtpParameters: Record<string, unknown>;
    participantId: string;
    source: MediaSource;
    /** Whether the consumer waits for `resumeConsumer` (see the origin's consume). */
    paused: boolean;
  };
  resumeConsumer: Record<string, never>;
  pauseConsumer: Record<string, never>;
  setPreferredLayers: Record<string, never>;
  pauseProducer: Record<string, never>;
  resumeProducer: Record<string, never>;
  closeProducer: Record<string, never>;
}

export const OriginResponse = z.union([
  z.strictObject({ type: z.literal('response'), id: z.number().int(), ok: z.literal(true), data: z.looseObject({}) }),
  z.strictObject({
    type: z.literal('response'),
    id: z.number().int(),
    ok: z.literal(false),
    error: z.strictObject({ code: ErrorCode, message: z.string().max(500) }),
  }),
]);
export type OriginResponse = z.infer<typeof OriginResponse>;

export const OriginNotification = z.discriminatedUnion('event', [
  z.strictObject({
    type: z.literal('notification'),
    event: z.literal('newProducer'),
    data: z.strictObject({ producerId: MediaId, participantId: ParticipantId, kind: z.enum(['audio', 'video']), source: MediaSource }),
  }),
  z.strictObject({ type: z.literal('notification'), event: z.literal('producerClosed'), data: z.strictObject({ producerId: MediaId }) }),
  z.strictObject({ type: z.literal('notification'), event: z.literal('consumerClosed'), data: z.strictObject({ consumerId: MediaId }) }),
  z.strictObject({
    type: z.literal('notification'),
    event: z.literal('producerPaused'),
    data: z.strictObject({ producerId: MediaId, byHost: z.boolean() }),
  }),
  z.strictObject({
    type: z.literal('notification'),
    event: z.literal('activeSpeaker'),
    data: z.strictObject({ participantId: ParticipantId.nullable() }),
  }),
  /**
   * Loudness of whoever is speaking, loudest first (RFC 6464 levels as dBov: −127 silence,
   * 0 loudest; rounded). Sent at most every AUDIO_LEVEL_INTERVAL_MS and only on change; an
   * empty list means nobody is speaking.
   */
  z.strictObject({
    type: z.literal('notification'),
    event: z.literal('audioLevels'),
    data: z.strictObject({
      levels: z.array(z.strictObject({ participantId: ParticipantId, dBov: z.number().int().min(-127).max(0) })).max(AUDIO_LEVEL_MAX_ENTRIES),
    }),
  }),
  /** The host lifted its pause of this source: the client may resume it (nothing is unmuted by force). */
  z.strictObject({ type: z.literal('notification'), event: z.literal('released'), data: z.strictObject({ source: MediaSource }) }),
  /** The origin lost this client's router (worker died): reconnect with a fresh ticket. */
  z.strictObject({ type: z.literal('notification'), event: z.literal('reconnect'), data: z.strictObject({ reason: z.string().max(200) }) }),
]);
export type OriginNotification = z.infer<typeof OriginNotification>;

export const OriginToClient = z.union([OriginResponse, OriginNotification]);
export type OriginToClient = z.infer<typeof OriginToClient>;

// ── origin ↔ edge (HTTP, HMAC-signed; see internal-auth.ts) ───────────────────

/**
 * Quality of what this origin sends to viewers, over every consumer sampled (bounded size:
 * quantiles, never one entry per participant). Loss as a fraction (0..1), RTT and jitter in ms.
 */
export const ConsumerQuality = z.strictObject({
  consumers: z.number().int().min(0),
  lossP50: z.number().min(0).max(1),
  lossP95: z.number().min(0).max(1),
  rttMsP50: z.number().min(0),
  rttMsP95: z.number().min(0),
  jitterMsP50: z.number().min(0),
  jitterMsP95: z.number().min(0),
});
export type ConsumerQuality = z.infer<typeof ConsumerQuality>;

export const OriginLoad = z.strictObject({
  workers: z.number().int().min(0),
  routers: z.number().int().min(0),
  transports: z.number().int().min(0),
  producers: z.number().int().min(0),
  consumers: z.number().int().min(0),
  /** Mean CPU share of the mediasoup workers, 0..1 per worker summed. */
  cpu: z.number().min(0),
  bitrateIn: z.number().min(0),
  bitrateOut: z.number().min(0),
  /** Absent from origins that predate it. */
  quality: ConsumerQuality.optional(),
});
export type OriginLoad = z.infer<typeof OriginLoad>;

/** POST /internal/origins/heartbeat — registration and heartbeat are the same call. */
export const OriginHeartbeat = z.strictObject({
  originId: z.string().regex(/^[a-z0-9-]{1,64}$/),
  region: z.string().regex(/^[a-z0-9-]{1,32}$/),
  /** WebSocket URL browsers use. */
  url: WsUrl,
  /** Base HTTP URL the edge calls for control (enforcement). */
  controlUrl: z.string().url().max(512),
  draining: z.boolean(),
  load: OriginLoad,
});
export type OriginHeartbeat = z.infer<typeof OriginHeartbeat>;

/** POST {controlUrl}/control — enforcement from the Room DO. */
export const OriginControl = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('pauseSource'), meetingId: MeetingId, participantId: ParticipantId, source: MediaSource }),
  z.strictObject({ action: z.literal('releaseSource'), meetingId: MeetingId, participantId: ParticipantId, source: MediaSource }),
  z.strictObject({ action: z.literal('closeParticipant'), meetingId: MeetingId, participantId: ParticipantId }),
  z.strictObject({ action: z.literal('closeMeeting'), meetingId: MeetingId }),
]);
export type OriginControl = z.infer<typeof OriginControl>;
/** POST /control also takes several actions from one host action (mute all), applied in order. */
export const OriginControlBatch = z.array(OriginControl).min(1).max(10_000);

// ── cascading: pipe transports between origins (HTTP, HMAC-signed) ────────────

/**
 * SRTP between origins (mediasoup PipeTransport `enableSrtp`): the frames inside are sealed
 * end to end already; SRTP keeps RTP headers and the clear codec prefix from being altered
 * or read on the way.
 */
export const PipeSrtpParameters = z.strictObject({
  cryptoSuite: z.enum(['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']),
  keyBase64: z
    .string()
    .max(128)
    .regex(/^[A-Za-z0-9+/=]+$/),
});
export type PipeSrtpParameters = z.infer<typeof PipeSrtpParameters>;

const PipeEnd = z.strictObject({
  ip: z.union([z.ipv4(), z.ipv6()]),
  port: z.number().int().min(1).max(65535),
  srtpParameters: PipeSrtpParameters,
});

export const PipeOpened = z.strictObject({ pipeId: MediaId, local: PipeEnd });
export type PipeOpened = z.infer<typeof PipeOpened>;

export const PipedProducer = z.strictObject({
  producerId: MediaId,
  kind: z.enum(['audio', 'video']),
  rtpParameters: RtpParameters,
  participantId: ParticipantId,
  source: MediaSource,
  paused: z.boolean(),
});
export type PipedProducer = z.infer<typeof PipedProducer>;

/**
 * POST {controlUrl}/pipe — the edge joins a meeting's routers on two origins (webinars,
 * meetings across regions). Order: `openPipe` on both, `connectPipe` on both with the other's
 * end, then per producer `pipeProducer` on the origin that has it and `acceptProducer` with
 * that answer on the other. Consumers on the far origin then consume it by the same id.
 */
export const OriginPipeRequest = z.discriminatedUnion('action', [
  /** Answers `PipeOpened`. Creates the meeting's router here if it has none yet. */
  z.strictObject({ action: z.literal('openPipe'), meetingId: MeetingId }),
  z.strictObject({ action: z.literal('connectPipe'), meetingId: MeetingId, pipeId: MediaId, remote: PipeEnd }),
  /** Answers `PipedProducer`: what the far origin needs to recreate the producer. */
  z.strictObject({ action: z.literal('pipeProducer'), meetingId: MeetingId, pipeId: MediaId, producerId: MediaId }),
  z.strictObject({
    action: z.literal('acceptProducer'),
    meetingId: MeetingId,
    pipeId: MediaId,
    producer: PipedProducer,
  }),
  z.strictObject({ action: z.literal('closePipe'), meetingId: MeetingId, pipeId: MediaId }),
]);
export type OriginPipeRequest = z.infer<typeof OriginPipeRequest>;
