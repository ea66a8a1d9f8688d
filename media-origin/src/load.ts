/**
 * What this origin carries: counts read on demand, and a load sample (CPU per worker, bitrate
 * per transport, loss per producer, quality per consumer) taken with each heartbeat. Metrics
 * read the last sample at scrape time, so a scrape costs no worker round trip.
 */
import type { OriginLoad } from '@sealroom/protocol';
import type { types as ms } from 'mediasoup';
import type { MeetingRouter } from './meeting.ts';
import type { MetricsSnapshot, OriginMetrics } from './metrics.ts';
import { sampleConsumers, summarize } from './quality.ts';
import type { WorkerPool } from './worker-pool.ts';

export interface LoadSources {
  meetings: () => Iterable<MeetingRouter>;
  meetingCount: () => number;
  /** Undefined until the pool is up (metrics may be scraped before). */
  pool: () => WorkerPool | undefined;
  draining: () => boolean;
}

export class LoadSampler {
  readonly #src: LoadSources;
  #last: { load: OriginLoad; packetsLost: number; perWorker: MetricsSnapshot['perWorker'] } | undefined;
  /** Moves the quality sample's window over the consumers from one heartbeat to the next. */
  #qualityOffset = 0;

  constructor(sources: LoadSources) {
    this.#src = sources;
  }

  /** Counts now; bitrate and CPU from the last sample. */
  snapshot(): MetricsSnapshot {
    let transports = 0;
    let producers = 0;
    let consumers = 0;
    let peers = 0;
    let routers = 0;
    for (const m of this.#src.meetings()) {
      routers += m.routerCount;
      transports += m.pipeCount;
      for (const p of m.peers.values()) {
        const c = p.counts;
        peers++;
        transports += c.transports;
        producers += c.producers;
        consumers += c.consumers;
      }
    }
    const last = this.#last;
    return {
      workers: this.#src.pool()?.workers.length ?? 0,
      meetings: this.#src.meetingCount(),
      peers,
      routers,
      transports,
      producers,
      consumers,
      bitrateIn: last?.load.bitrateIn ?? 0,
      bitrateOut: last?.load.bitrateOut ?? 0,
      packetsLost: last?.packetsLost ?? 0,
      draining: this.#src.draining(),
      perWorker: last?.perWorker ?? [],
    };
  }

  /** Samples CPU per worker and bitrate per transport (one worker round trip each). */
  async sample(metrics: OriginMetrics): Promise<OriginLoad> {
    const perWorker = await this.#src.pool()!.sample();
    let bitrateIn = 0;
    let bitrateOut = 0;
    let packetsLost = 0;
    const jobs: Promise<void>[] = [];
    const consumers: ms.Consumer[] = [];
    for (const m of this.#src.meetings()) {
      for (const p of m.peers.values()) {
        consumers.push(...p.consumers);
        for (const t of p.transports) {
          jobs.push(
            t.getStats().then(
              (stats) => {
                for (const s of stats as { recvBitrate?: number; sendBitrate?: number }[]) {
                  bitrateIn += s.recvBitrate ?? 0;
                  bitrateOut += s.sendBitrate ?? 0;
                }
              },
              () => undefined,
            ),
          );
        }
        for (const prod of p.producers.values()) {
          jobs.push(
            prod.getStats().then(
              (stats) => {
                for (const s of stats) packetsLost += s.packetsLost ?? 0;
              },
              () => undefined,
            ),
          );
        }
      }
    }
    const [samples] = await Promise.all([sampleConsumers(consumers, this.#qualityOffset++), ...jobs]);
    metrics.observeQuality(samples);
    const s = this.snapshot();
    const load: OriginLoad = {
      workers: s.workers,
      routers: s.routers,
      transports: s.transports,
      producers: s.producers,
      consumers: s.consumers,
      cpu: perWorker.reduce((a, w) => a + w.cpu, 0),
      bitrateIn,
      bitrateOut,
      quality: summarize(samples),
    };
    this.#last = { load, packetsLost, perWorker };
    return load;
  }
}
