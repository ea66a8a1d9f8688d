/**
 * What viewers get: loss, round-trip time and jitter per consumer, from
 * mediasoup's consumer stats, boiled down to quantiles for the edge and histograms for
 * Prometheus, so the size of what leaves the origin never grows with the number of
 * participants, and no participant is named in it.
 *
 * - loss: the viewer's own report (RTCP RR fraction lost, RFC 3550 §6.4.1: n/256) for the
 *   stream the origin sends it;
 * - RTT: mediasoup's estimate from the same report (LSR/DLSR);
 * - jitter: interarrival jitter of the stream being forwarded, as it reaches the origin
 *   (mediasoup does not keep the viewer's reported jitter); RTP units turned into ms.
 */
import type { ConsumerQuality } from '@sealroom/protocol';
import type { types as ms } from 'mediasoup';

/** Consumers asked per sample at most: one worker round trip each, every heartbeat. */
export const MAX_QUALITY_SAMPLES = 2000;

export interface ConsumerSample {
  loss: number;
  /** Absent until the viewer has sent a report that allows computing it. */
  rttMs: number | undefined;
  jitterMs: number;
}

/** One consumer's figures, or null when it has sent nothing yet (nothing to judge). */
export async function sampleConsumer(consumer: ms.Consumer): Promise<ConsumerSample | null> {
  const stats = await consumer.getStats();
  let out: ms.ConsumerStat | undefined;
  let jitterMs = 0;
  for (const s of stats) {
    if (s.type === 'outbound-rtp') {
      const o = s as ms.ConsumerStat;
      if (!out || o.packetCount > out.packetCount) out = o; // simulcast: the layer being sent
    } else if (s.type === 'inbound-rtp') {
      const i = s as ms.ProducerStat;
      const clock = consumer.rtpParameters.codecs[0]?.clockRate ?? 90000;
      jitterMs = Math.max(jitterMs, (i.jitter / clock) * 1000);
    }
  }
  if (!out || out.packetCount === 0) return null;
  return {
    loss: Math.min(1, Math.max(0, out.fractionLost / 256)),
    rttMs: out.roundTripTime && out.roundTripTime > 0 ? out.roundTripTime : undefined,
    jitterMs,
  };
}

/**
 * Samples up to MAX_QUALITY_SAMPLES consumers, spread evenly over the list (`offset` moves the
 * window between calls so every consumer is seen over time). Unreachable consumers (closing)
 * are skipped.
 */
export async function sampleConsumers(consumers: readonly ms.Consumer[], offset = 0): Promise<ConsumerSample[]> {
  const n = consumers.length;
  const step = Math.max(1, n / MAX_QUALITY_SAMPLES);
  const picked: ms.Consumer[] = [];
  for (let k = 0; k < Math.min(n, MAX_QUALITY_SAMPLES); k++) picked.push(consumers[(Math.floor(k * step) + offset) % n]!);
  const samples = await Promise.all(picked.map((c) => sampleConsumer(c).catch(() => null)));
  return samples.filter((s): s is ConsumerSample => s !== null);
}

/** The heartbeat's summary: medians and 95th percentiles (nearest rank). */
export function summarize(samples: readonly ConsumerSample[]): ConsumerQuality {
  const loss = samples.map((s) => s.loss);
  const rtt = samples.flatMap((s) => (s.rttMs === undefined ? [] : [s.rttMs]));
  const jitter = samples.map((s) => s.jitterMs);
  const r = (x: number, digits: number) => Number(x.toFixed(digits));
  return {
    consumers: samples.length,
    lossP50: r(quantile(loss, 0.5), 4),
    lossP95: r(quantile(loss, 0.95), 4),
    rttMsP50: r(quantile(rtt, 0.5), 1),
    rttMsP95: r(quantile(rtt, 0.95), 1),
    jitterMsP50: r(quantile(jitter, 0.5), 1),
    jitterMsP95: r(quantile(jitter, 0.95), 1),
  };
}

/** Nearest-rank quantile; 0 for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
