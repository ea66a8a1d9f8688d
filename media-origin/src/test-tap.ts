/**
 * The test-only tap: records, for a while, the RTP a meeting's
 * router forwards, so a test can check that every payload is sealed. Mounted only when
 * SEALROOM_TEST_TAP=1; in production there is no code path that reads payloads.
 */
import type { MediaSource } from '@sealroom/protocol';
import type { types as ms } from 'mediasoup';
import { z } from 'zod';
import type { MeetingRouter } from './meeting.ts';
import type { ProducerAppData } from './peer.ts';
import { parseRtp, vp8DescriptorLength, vp8StartsFrame } from './rtp.ts';

/** Longest recording: enough for a key frame and some deltas, short enough to bound memory. */
export const TAP_MAX_MS = 30_000;
/** At most this many packets are kept (≈ 30 s of one 1 Mbit/s camera plus audio). */
export const TAP_MAX_PACKETS = 50_000;

export const TapRequest = z.strictObject({
  meetingId: z.string().regex(/^[0-9]{9,11}$/),
  ms: z.number().int().min(1).max(TAP_MAX_MS),
});
export type TapRequest = z.infer<typeof TapRequest>;

/** The test-only state request (worker PIDs, meetings, holds) carries nothing. */
export const TestStateRequest = z.strictObject({});

export interface TapPacket {
  participantId: string;
  source: MediaSource;
  kind: 'audio' | 'video';
  ssrc: number;
  payloadType: number;
  marker: boolean;
  seq: number;
  timestamp: number;
  /** base64url of the RTP payload (after header, CSRCs, extension; padding removed). */
  payload: string;
}

export interface TapResult {
  packets: TapPacket[];
}

/** Consumes every producer of the meeting (present, and appearing during `ms`) on a DirectTransport. */
export async function runTap(meeting: MeetingRouter, ms_: number): Promise<TapResult> {
  const router = meeting.router;
  const transport = await router.createDirectTransport({ maxMessageSize: 262_144 });
  const packets: TapPacket[] = [];
  const consumers: ms.Consumer[] = [];

  const attach = async (producer: ms.Producer<ProducerAppData>) => {
    if (transport.closed || producer.closed) return;
    const { participantId, source } = producer.appData;
    // The router's own capabilities accept whatever it forwards, with its preferred payload types.
    const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities, paused: false });
    consumers.push(consumer);
    consumer.on('rtp', (buf: Buffer) => {
      if (packets.length >= TAP_MAX_PACKETS) return;
      const p = parseRtp(buf);
      if (!p) return;
      packets.push({
        participantId,
        source,
        kind: producer.kind,
        ssrc: p.ssrc,
        payloadType: p.payloadType,
        marker: p.marker,
        seq: p.seq,
        timestamp: p.timestamp,
        payload: Buffer.from(p.payload).toString('base64url'),
      });
    });
    // A video consumer forwards nothing until a key frame; ask for one instead of waiting.
    if (consumer.kind === 'video') await consumer.requestKeyFrame().catch(() => undefined);
  };

  const stop = meeting.onProducer((p) => void attach(p).catch(() => undefined));
  try {
    await Promise.all([...meeting.producers()].map((p) => attach(p).catch(() => undefined)));
    await new Promise((r) => setTimeout(r, ms_));
  } finally {
    stop();
    transport.close();
  }
  return { packets };
}

export interface Vp8Frame {
  participantId: string;
  source: MediaSource;
  ssrc: number;
  timestamp: number;
  /** From the frame tag's P bit (RFC 6386 §9.1), which stays in clear under SFrame. */
  keyFrame: boolean;
  /** The frame with every payload descriptor stripped. */
  data: Uint8Array;
}

const seqNewer = (a: number, b: number) => ((a - b) & 0xffff) < 0x8000;

/**
 * Joins VP8 RTP payloads (RFC 7741) into frames: per stream, packets of one timestamp from
 * the one with the S bit (partition 0) to the one with the marker bit, descriptors removed.
 * Frames with a gap in sequence numbers are dropped, as a receiver would.
 */
export function reassembleVp8(packets: readonly TapPacket[]): Vp8Frame[] {
  const frames: Vp8Frame[] = [];
  const streams = new Map<string, TapPacket[]>();
  for (const p of packets) {
    if (p.kind !== 'video') continue;
    const key = `${p.participantId}/${p.source}/${p.ssrc}`;
    let list = streams.get(key);
    if (!list) streams.set(key, (list = []));
    list.push(p);
  }
  for (const list of streams.values()) {
    const byTs = new Map<number, TapPacket[]>();
    for (const p of list) {
      let l = byTs.get(p.timestamp);
      if (!l) byTs.set(p.timestamp, (l = []));
      l.push(p);
    }
    for (const group of byTs.values()) {
      group.sort((a, b) => (a.seq === b.seq ? 0 : seqNewer(a.seq, b.seq) ? 1 : -1));
      // Retransmissions can repeat a sequence number.
      const uniq = group.filter((p, i) => i === 0 || p.seq !== group[i - 1]!.seq);
      const first = uniq[0]!;
      const last = uniq[uniq.length - 1]!;
      const payloads = uniq.map((p) => new Uint8Array(Buffer.from(p.payload, 'base64url')));
      if (!vp8StartsFrame(payloads[0]!) || !last.marker) continue;
      if (((last.seq - first.seq) & 0xffff) !== uniq.length - 1) continue;
      const parts: Uint8Array[] = [];
      let ok = true;
      for (const pl of payloads) {
        const d = vp8DescriptorLength(pl);
        if (d < 0) {
          ok = false;
          break;
        }
        parts.push(pl.subarray(d));
      }
      if (!ok) continue;
      const data = Buffer.concat(parts);
      if (data.length === 0) continue;
      frames.push({
        participantId: first.participantId,
        source: first.source,
        ssrc: first.ssrc,
        timestamp: first.timestamp,
        keyFrame: (data[0]! & 0x01) === 0,
        data: new Uint8Array(data),
      });
    }
  }
  return frames;
}
