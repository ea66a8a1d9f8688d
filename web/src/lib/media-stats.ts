/**
 * Figures read from the browser's WebRTC statistics: how well each participant's media reaches
 * us (the quality dots), and what the end-to-end tests check (frames decoded, the ICE route).
 */
import type { types } from 'mediasoup-client';
import type { MediaSource } from '@sealroom/protocol';

/** How well a participant's media reaches us, from the receive side's loss and jitter. */
export type Quality = 'good' | 'fair' | 'poor';

/** Loss (0…1) and jitter (s) over the last window, as a three-step rating. */
export function rateQuality(loss: number, jitter: number): Quality {
  if (loss < 0.02 && jitter < 0.03) return 'good';
  if (loss < 0.08 && jitter < 0.1) return 'fair';
  return 'poor';
}

/** How often receive quality is measured. */
export const QUALITY_INTERVAL_MS = 2000;

export interface InboundStat {
  kind: 'audio' | 'video';
  source: MediaSource;
  participantId: string;
  framesDecoded: number;
  frameWidth: number;
  totalSamplesReceived: number;
  packetsReceived: number;
}

export interface IceRoute {
  direction: 'send' | 'recv';
  /** host, srflx, prflx or relay (through TURN). */
  candidateType: string;
  /** udp or tcp between the browser and the first hop (the origin, or the TURN server). */
  protocol: string;
  /** For a relay candidate: how the browser reaches the TURN server. */
  relayProtocol: string | null;
  /** The port the route reaches at the other end: the origin's ICE port, or the TURN relay's. */
  remotePort: number;
}

/** Inbound RTP figures of each open consumer. */
export async function readInboundStats(consumers: Iterable<{ consumer: types.Consumer; participantId: string; source: MediaSource }>): Promise<InboundStat[]> {
  const out: InboundStat[] = [];
  for (const { consumer, participantId, source } of consumers) {
    if (consumer.closed) continue;
    const report = await consumer.getStats();
    for (const s of report.values()) {
      if (s.type !== 'inbound-rtp') continue;
      out.push({
        kind: consumer.kind,
        source,
        participantId,
        framesDecoded: s.framesDecoded ?? 0,
        frameWidth: s.frameWidth ?? 0,
        totalSamplesReceived: s.totalSamplesReceived ?? 0,
        packetsReceived: s.packetsReceived ?? 0,
      });
      break;
    }
  }
  return out;
}

/** How each open transport reaches the origin: the selected ICE pair's local candidate. */
export async function readIceRoutes(transports: readonly (readonly ['send' | 'recv', types.Transport | null])[]): Promise<IceRoute[]> {
  const out: IceRoute[] = [];
  for (const [direction, transport] of transports) {
    if (!transport || transport.closed) continue;
    const report = await transport.getStats();
    const stats = [...report.values()] as Record<string, unknown>[];
    // The transport's selected pair is the route in use; a pair may carry media before it is flagged nominated.
    const selected = stats.find((s) => s['type'] === 'transport')?.['selectedCandidatePairId'];
    const pair = stats.find((s) => s['type'] === 'candidate-pair' && (selected ? s['id'] === selected : s['state'] === 'succeeded' && s['nominated'] === true));
    const local = pair && stats.find((s) => s['id'] === pair['localCandidateId']);
    const remote = pair && stats.find((s) => s['id'] === pair['remoteCandidateId']);
    if (!local || !remote) continue;
    out.push({
      direction,
      candidateType: String(local['candidateType']),
      protocol: String(local['protocol']),
      relayProtocol: local['relayProtocol'] ? String(local['relayProtocol']) : null,
      remotePort: Number(remote['port']),
    });
  }
  return out;
}
