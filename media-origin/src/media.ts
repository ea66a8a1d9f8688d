/** What a Sealroom router forwards, and the limits that keep one client from exhausting it. */
import type { types as ms } from 'mediasoup';

/**
 * Opus for audio; VP8 for cameras and screens (its clear 10/3-byte prefix is what keeps
 * key-frame detection and simulcast working under SFrame, see docs/ARCHITECTURE.md);
 * VP9 profile 0 for clients that prefer it.
 */
export const MEDIA_CODECS: ms.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
  { kind: 'video', mimeType: 'video/VP9', clockRate: 90000, parameters: { 'profile-id': 0, 'x-google-start-bitrate': 1000 } },
];

/** A send and a receive transport, plus room for one ICE-failure replacement of each. */
export const MAX_TRANSPORTS_PER_PEER = 4;
/** Every other participant's audio, camera and screen in a 1000-person meeting, with margin. */
export const MAX_CONSUMERS_PER_PEER = 3000;
/** Until the client reads its socket again; beyond this it is not keeping up and is dropped. */
export const MAX_WS_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Largest signalling frame: RTP parameters of a three-layer simulcast fit in a few KiB. */
export const MAX_WS_FRAME = 64 * 1024;
/** Notifications kept for a detached peer (every producer of a large meeting starting, twice). */
export const MAX_HELD_NOTIFICATIONS = 5000;
/** A socket that has not authenticated in this long is closed. */
export const AUTH_TIMEOUT_MS = 10_000;
/** How often the dominant speaker may change (ms); mediasoup's default is 300. */
export const ACTIVE_SPEAKER_INTERVAL_MS = 300;
/**
 * Kernel receive buffer of the sockets media arrives on (senders' transports, pipes from other
 * origins). A worker that loses its core for a moment (another process, a GC of the host)
 * finds the packets queued instead of dropped: 1 MiB holds ~900 full-size packets, a few
 * hundred ms of a busy sender. Linux caps it at net.core.rmem_max; raise that to match.
 */
export const INGEST_RECV_BUFFER_BYTES = 1024 * 1024;
/** Starting estimate for the downlink before BWE has data (notes/webrtc.md). */
export const INITIAL_OUTGOING_BITRATE = 1_000_000;

/** Which RTP kind each ticket source produces. */
export const SOURCE_KIND = { audio: 'audio', video: 'video', screen: 'video' } as const;
