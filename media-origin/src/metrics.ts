/**
 * Prometheus metrics. A registry per origin, not prom-client's global one,
 * so several origins in one process (tests) don't collide. Values are read at scrape time
 * from the origin's counts and its last load sample: scraping costs no worker round trip.
 */
import http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ConsumerSample } from './quality.ts';

export interface MetricsSnapshot {
  workers: number;
  meetings: number;
  peers: number;
  routers: number;
  transports: number;
  producers: number;
  consumers: number;
  bitrateIn: number;
  bitrateOut: number;
  packetsLost: number;
  draining: boolean;
  perWorker: { pid: number; routers: number; cpu: number }[];
}

export class OriginMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'outcome'>;
  readonly workerDeaths: Counter;
  readonly ticketRejections: Counter<'reason'>;
  readonly #loss: Histogram;
  readonly #rtt: Histogram;
  readonly #jitter: Histogram;

  constructor(snapshot: () => MetricsSnapshot, labels: { origin: string; region: string }) {
    const r = this.registry;
    r.setDefaultLabels(labels);
    collectDefaultMetrics({ register: r, prefix: 'sealroom_origin_node_' });
    const gauge = (name: string, help: string, pick: (s: MetricsSnapshot) => number) =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          this.set(pick(snapshot()));
        },
      });
    gauge('sealroom_origin_workers', 'Live mediasoup workers', (s) => s.workers);
    gauge('sealroom_origin_meetings', 'Meetings with a router on this origin', (s) => s.meetings);
    gauge('sealroom_origin_peers', 'Connected participants', (s) => s.peers);
    gauge('sealroom_origin_routers', 'mediasoup routers', (s) => s.routers);
    gauge('sealroom_origin_transports', 'mediasoup transports', (s) => s.transports);
    gauge('sealroom_origin_producers', 'mediasoup producers', (s) => s.producers);
    gauge('sealroom_origin_consumers', 'mediasoup consumers', (s) => s.consumers);
    gauge('sealroom_origin_bitrate_in_bps', 'Received bitrate over all transports (last sample)', (s) => s.bitrateIn);
    gauge('sealroom_origin_bitrate_out_bps', 'Sent bitrate over all transports (last sample)', (s) => s.bitrateOut);
    gauge('sealroom_origin_producer_packets_lost', 'Packets lost on the way in, summed over producers (last sample)', (s) => s.packetsLost);
    gauge('sealroom_origin_draining', '1 while draining', (s) => (s.draining ? 1 : 0));
    new Gauge({
      name: 'sealroom_origin_worker_cpu_ratio',
      help: 'CPU share of each mediasoup worker since the previous sample (0..1)',
      labelNames: ['pid'],
      registers: [r],
      collect() {
        this.reset();
        for (const w of snapshot().perWorker) this.set({ pid: String(w.pid) }, w.cpu);
      },
    });
    new Gauge({
      name: 'sealroom_origin_worker_routers',
      help: 'Routers on each mediasoup worker',
      labelNames: ['pid'],
      registers: [r],
      collect() {
        this.reset();
        for (const w of snapshot().perWorker) this.set({ pid: String(w.pid) }, w.routers);
      },
    });
    this.requests = new Counter({
      name: 'sealroom_origin_requests_total',
      help: 'Signalling requests by method and outcome',
      labelNames: ['method', 'outcome'],
      registers: [r],
    });
    this.workerDeaths = new Counter({ name: 'sealroom_origin_worker_deaths_total', help: 'mediasoup workers that died', registers: [r] });
    this.ticketRejections = new Counter({
      name: 'sealroom_origin_ticket_rejections_total',
      help: 'Refused tickets by reason',
      labelNames: ['reason'],
      registers: [r],
    });
    // Quality per consumer as distributions (one observation per consumer per sample): no
    // label names a participant, so the series count is fixed whatever the meeting size.
    this.#loss = new Histogram({
      name: 'sealroom_origin_consumer_loss_ratio',
      help: 'Loss reported by viewers (RTCP fraction lost), per consumer per sample',
      buckets: [0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
      registers: [r],
    });
    this.#rtt = new Histogram({
      name: 'sealroom_origin_consumer_rtt_seconds',
      help: 'Round-trip time to viewers, per consumer per sample',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8],
      registers: [r],
    });
    this.#jitter = new Histogram({
      name: 'sealroom_origin_consumer_jitter_seconds',
      help: 'Interarrival jitter of the forwarded stream, per consumer per sample',
      buckets: [0.005, 0.01, 0.02, 0.04, 0.08, 0.16],
      registers: [r],
    });
  }

  observeQuality(samples: readonly ConsumerSample[]): void {
    for (const s of samples) {
      this.#loss.observe(s.loss);
      if (s.rttMs !== undefined) this.#rtt.observe(s.rttMs / 1000);
      this.#jitter.observe(s.jitterMs / 1000);
    }
  }
}

/** The scrape endpoint (`GET /metrics`), on its own port so it can stay off the public network. */
export function createMetricsServer(metrics: OriginMetrics): http.Server {
  return http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else res.writeHead(404).end();
  });
}
