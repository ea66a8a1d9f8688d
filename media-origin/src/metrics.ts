/**
 * Prometheus metrics (issue 5 item 10). A registry per origin, not prom-client's global one,
 * so several origins in one process (tests) don't collide. Values are read at scrape time
 * from the origin's counts and its last load sample: scraping costs no worker round trip.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

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
    this.requests = new Counter({ name: 'sealroom_origin_requests_total', help: 'Signalling requests by method and outcome', labelNames: ['method', 'outcome'], registers: [r] });
    this.workerDeaths = new Counter({ name: 'sealroom_origin_worker_deaths_total', help: 'mediasoup workers that died', registers: [r] });
    this.ticketRejections = new Counter({ name: 'sealroom_origin_ticket_rejections_total', help: 'Refused tickets by reason', labelNames: ['reason'], registers: [r] });
  }
}
