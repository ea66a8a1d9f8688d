/**
 * Per-consumer quality: a viewer's RTCP receiver reports (loss, and the timing that gives
 * the RTT) reach mediasoup, and come out as histograms in /metrics and as quantiles in the
 * heartbeat's load, with no participant named anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Origin } from '../src/origin.ts';
import { quantile, summarize } from '../src/quality.ts';
import { fakeVp8Frame, packetizeVp8 } from '../src/rtp.ts';
import { FakeEdge, type RtpSink, newMeetingId, plainReceiver, plainSender, sleep, startOrigin, until } from './helpers.ts';

const edge = new FakeEdge();
let origin: Origin;
beforeAll(async () => {
  origin = await startOrigin({ EDGE_URL: await edge.start() });
});
afterAll(async () => {
  await origin?.close();
  edge.close();
});

/** What the viewer claims in its receiver reports: a quarter of packets lost (64/256). */
const FRACTION_LOST = 64;
/** How long the viewer holds a sender report before answering it: the RTT mediasoup will see. */
const HOLD_MS = 120;

/**
 * Answers each RTCP sender report (RFC 3550 §6.4.1) on the sink's socket with a receiver
 * report (§6.4.2) for that stream, after HOLD_MS, claiming FRACTION_LOST.
 */
function answerSenderReports(sink: RtpSink, originPort: number): void {
  sink.socket.on('message', (buf) => {
    if (buf.length < 28 || buf[1] !== 200) return;
    const ssrc = buf.readUInt32BE(4);
    // LSR: the middle 32 bits of the report's NTP timestamp.
    const lsr = ((buf.readUInt32BE(8) & 0xffff) << 16) | (buf.readUInt32BE(12) >>> 16);
    setTimeout(() => {
      const rr = Buffer.alloc(32);
      rr[0] = 0x81; // V=2, one report block
      rr[1] = 201;
      rr.writeUInt16BE(7, 2);
      rr.writeUInt32BE(0x5eaf0001, 4);
      rr.writeUInt32BE(ssrc, 8);
      rr[12] = FRACTION_LOST;
      rr.writeUIntBE(10, 13, 3);
      rr.writeUInt32BE(0, 16);
      rr.writeUInt32BE(0, 20);
      rr.writeUInt32BE(lsr >>> 0, 24);
      // DLSR must be non-zero for mediasoup to compute an RTT: claim ~15 µs of it.
      rr.writeUInt32BE(1, 28);
      sink.socket.send(rr, originPort, '127.0.0.1');
    }, HOLD_MS);
  });
}

describe('consumer quality', () => {
  it('reaches /metrics as histograms and the heartbeat as quantiles, naming nobody', { timeout: 20_000 }, async () => {
    const mid = newMeetingId();
    const tx = await plainSender(origin, mid, ['video']);
    const { producerId, rtp: video } = await tx.produce('video', 7301);
    const rx = await plainReceiver(origin, mid);
    const rxId = rx.sub;
    const sink = rx.sink;
    answerSenderReports(sink, rx.transport.tuple.localPort);
    const consumed = await rx.consume(producerId);

    // A camera at 30 frames/s until mediasoup has a receiver report with timing in it.
    let frame = 0;
    let sending = true;
    const camera = (async () => {
      while (sending) {
        const pkts = packetizeVp8(fakeVp8Frame(frame % 30 === 0, new Uint8Array(frame % 30 === 0 ? 1500 : 400).fill(7)), frame);
        for (let i = 0; i < pkts.length; i++) await video.send(pkts[i]!, i === pkts.length - 1, i === pkts.length - 1 ? 3000 : 0);
        frame++;
        await sleep(33);
      }
    })();
    try {
      const consumer = origin.peer(mid, rxId)!.consumers[0]!;
      let seen = false;
      const end = Date.now() + 12_000;
      while (!seen && Date.now() < end) {
        const out = (await consumer.getStats()).find((s) => s.type === 'outbound-rtp') as { fractionLost: number; roundTripTime?: number } | undefined;
        seen = !!out && out.fractionLost === FRACTION_LOST && (out.roundTripTime ?? 0) > 0;
        if (!seen) await sleep(100);
      }
      expect(seen).toBe(true);

      const beats = edge.beats.length;
      expect(await origin.heartbeat()).toBe(true);
      await until(() => edge.beats.length > beats, 3000, 'heartbeat');
      const q = edge.beats.at(-1)!.load.quality!;
      expect(q.consumers).toBe(1);
      expect(q.lossP50).toBe(0.25);
      expect(q.lossP95).toBe(0.25);
      // The hold plus loopback and scheduling: at least the hold, well under a second.
      expect(q.rttMsP50).toBeGreaterThanOrEqual(HOLD_MS - 5);
      expect(q.rttMsP50).toBeLessThan(1000);
      expect(q.jitterMsP95).toBeGreaterThanOrEqual(0);

      const text = await (await fetch(origin.metricsUrl)).text();
      const bucket = (name: string, le: string) => Number(new RegExp(`^${name}_bucket\\{le="${le}"[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
      expect(bucket('sealroom_origin_consumer_loss_ratio', '0.2')).toBe(0);
      expect(bucket('sealroom_origin_consumer_loss_ratio', '0.5')).toBeGreaterThanOrEqual(1);
      expect(bucket('sealroom_origin_consumer_rtt_seconds', '0.1')).toBe(0);
      expect(bucket('sealroom_origin_consumer_rtt_seconds', '0.8')).toBeGreaterThanOrEqual(1);
      expect(text).toMatch(/^sealroom_origin_consumer_jitter_seconds_count\{[^}]*\} [1-9]/m);
      // Bounded cardinality: no label carries a participant, meeting or media id.
      for (const id of [rxId, tx.sub, mid, producerId, consumed.consumerId]) expect(text).not.toContain(id);
    } finally {
      sending = false;
      await camera;
      tx.socket.close();
      sink.close();
      tx.c.close();
      rx.c.close();
    }
  });
});

describe('quality summary', () => {
  it('takes nearest-rank quantiles and leaves RTT out where there is none', () => {
    expect(quantile([], 0.5)).toBe(0);
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100], 0.95)).toBe(19);
    const s = summarize([
      { loss: 0, rttMs: undefined, jitterMs: 2 },
      { loss: 0.5, rttMs: 40, jitterMs: 4 },
    ]);
    expect(s).toEqual({ consumers: 2, lossP50: 0, lossP95: 0.5, rttMsP50: 40, rttMsP95: 40, jitterMsP50: 2, jitterMsP95: 4 });
  });
});
