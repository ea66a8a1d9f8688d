/**
 * The media origin: one HTTP server carrying the browsers' signalling WebSocket (`/ws`,
 * signalling-server.ts) and the edge's signed API (api-server.ts); a metrics server; the worker
 * pool; the meetings (meeting-registry.ts); and the heartbeat that registers this origin with
 * the edge (heartbeat.ts). This class composes them and owns the lifecycle: start, drain, close.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { OriginControl, OriginLoad, OriginPipeRequest } from '@sealroom/protocol';
import type { types as ms } from 'mediasoup';
import { createApiHandler } from './api-server.ts';
import { handlePipe } from './cascade.ts';
import type { OriginConfig } from './config.ts';
import { applyControl } from './control.ts';
import { Heartbeat } from './heartbeat.ts';
import { closeServer, listen, readTls } from './http-io.ts';
import { LoadSampler } from './load.ts';
import { type Logger, createLogger } from './log.ts';
import type { MeetingRouter } from './meeting.ts';
import { MeetingRegistry } from './meeting-registry.ts';
import { type MetricsSnapshot, OriginMetrics, createMetricsServer } from './metrics.ts';
import type { Peer, TransportNetwork } from './peer.ts';
import { routerCapabilities } from './router-capabilities.ts';
import { SignallingServer } from './signalling-server.ts';
import { TicketVerifier } from './ticket.ts';
import { WorkerPool } from './worker-pool.ts';

export { HEARTBEAT_INTERVAL_MS, HEARTBEAT_PATH } from './heartbeat.ts';

export interface OriginOptions {
  log?: Logger;
}

export class Origin {
  readonly config: OriginConfig;
  readonly metrics: OriginMetrics;
  readonly #log: Logger;
  /** HTTPS when the config names a certificate (browsers on an https page need wss). */
  readonly #http: http.Server | https.Server;
  readonly #metricsHttp: http.Server;
  readonly #signalling: SignallingServer;
  readonly #meetings: MeetingRegistry;
  readonly #load: LoadSampler;
  readonly #heartbeat: Heartbeat;
  #pool!: WorkerPool;
  /** Every router's RTP capabilities (router-capabilities.ts), answered before auth. */
  #capabilities: ms.RtpCapabilities | null = null;
  #draining = false;
  #drainDone: Promise<void> | undefined;
  #drainResolve: (() => void) | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(config: OriginConfig, tickets: TicketVerifier, log: Logger) {
    this.config = config;
    this.#log = log;
    this.#meetings = new MeetingRegistry({
      config,
      log,
      pool: () => this.#pool,
      refusing: () => this.#draining || this.#closed,
      onGone: () => this.#checkDrained(),
    });
    this.#load = new LoadSampler({
      meetings: () => this.#meetings.values(),
      meetingCount: () => this.#meetings.size,
      pool: () => this.#pool,
      draining: () => this.#draining,
    });
    this.metrics = new OriginMetrics(() => this.snapshot(), { origin: config.originId, region: config.region });
    this.#heartbeat = new Heartbeat({
      config,
      log,
      sampleLoad: () => this.sampleLoad(),
      announce: () => ({ url: this.wsUrl, controlUrl: this.url, draining: this.#draining }),
    });
    this.#signalling = new SignallingServer({
      config,
      log,
      metrics: this.metrics,
      tickets,
      meetings: this.#meetings,
      net: () => this.#net,
      capabilities: () => this.#capabilities,
    });
    const onRequest = createApiHandler({
      config,
      log,
      meetings: this.#meetings,
      health: () => ({
        closed: this.#closed,
        draining: this.#draining,
        workerPids: this.#pool.workers.map((w) => w.pid),
        registered: this.#heartbeat.registered,
      }),
      control: (c) => this.control(c),
      pipe: (req) => this.pipe(req),
    });
    const onHttp = (req: http.IncomingMessage, res: http.ServerResponse) => void onRequest(req, res);
    this.#http = config.tls ? https.createServer(readTls(config.tls), onHttp) : http.createServer(onHttp);
    this.#http.on('upgrade', this.#signalling.onUpgrade);
    this.#metricsHttp = createMetricsServer(this.metrics);
  }

  static async create(config: OriginConfig, opts: OriginOptions = {}): Promise<Origin> {
    const log = opts.log ?? createLogger(config.logLevel, { originId: config.originId });
    const origin = new Origin(config, await TicketVerifier.create(config.sharedSecret), log);
    try {
      origin.#pool = await WorkerPool.create({
        count: config.workers,
        log,
        rtcMinPort: config.rtcMinPort,
        rtcMaxPort: config.rtcMaxPort,
        ...(config.webRtcPort ? { webRtcServer: { ip: config.listenIp, announcedAddress: config.announcedIp, port: config.webRtcPort } } : {}),
        onDied: (w) => origin.#onWorkerDied(w),
      });
      origin.#capabilities = await routerCapabilities(origin.#pool.workers[0]!);
      await listen(origin.#http, config.port, config.listenIp);
      await listen(origin.#metricsHttp, config.metricsPort, config.listenIp);
    } catch (err) {
      await origin.close();
      throw err;
    }
    origin.#heartbeat.start();
    origin.#meetings.startSweeping();
    log.info({ event: 'origin_started', url: origin.url, workers: config.workers, testTap: config.testTap });
    return origin;
  }

  get #net(): TransportNetwork {
    return {
      listenIp: this.config.listenIp,
      announcedIp: this.config.announcedIp,
      rtcMinPort: this.config.rtcMinPort,
      rtcMaxPort: this.config.rtcMaxPort,
      webRtcServerOf: (router) => this.#pool.webRtcServerOf(router),
    };
  }

  /**
   * Reads the certificate files again (after a renewal; `main.ts` calls this on SIGHUP). New
   * connections get the new certificate; open sockets keep theirs.
   */
  reloadTls(): void {
    if (!this.config.tls || !(this.#http instanceof https.Server)) return;
    this.#http.setSecureContext(readTls(this.config.tls));
    this.#log.info({ event: 'tls_reloaded' });
  }

  /** Base HTTP URL (what the edge calls for control). */
  get url(): string {
    if (this.config.publicUrl) return this.config.publicUrl;
    const host = this.config.announcedIp.includes(':') ? `[${this.config.announcedIp}]` : this.config.announcedIp;
    return `${this.config.tls ? 'https' : 'http'}://${host}:${(this.#http.address() as AddressInfo | null)?.port ?? this.config.port}`;
  }

  /** The WebSocket URL browsers use. */
  get wsUrl(): string {
    return `${this.url.replace(/^http/, 'ws')}/ws`;
  }

  get metricsUrl(): string {
    const a = this.#metricsHttp.address() as AddressInfo | null;
    return `http://${this.config.listenIp}:${a?.port ?? this.config.metricsPort}/metrics`;
  }

  get draining(): boolean {
    return this.#draining;
  }

  get workers(): ms.Worker[] {
    return this.#pool.workers;
  }

  get mediasoup(): typeof import('mediasoup') {
    return this.#pool.mediasoup;
  }

  meeting(id: string): MeetingRouter | undefined {
    return this.#meetings.get(id);
  }

  peer(meetingId: string, participantId: string): Peer | undefined {
    return this.#meetings.get(meetingId)?.peers.get(participantId);
  }

  get peerCount(): number {
    let n = 0;
    for (const m of this.#meetings.values()) n += m.peers.size;
    return n;
  }

  /** Counts now; bitrate and CPU from the last sample (taken with each heartbeat). */
  snapshot(): MetricsSnapshot {
    return this.#load.snapshot();
  }

  /** Samples CPU per worker and bitrate per transport (one worker round trip each). */
  sampleLoad(): Promise<OriginLoad> {
    return this.#load.sample(this.metrics);
  }

  /** Registers with (or refreshes at) the edge now; true when the edge accepted it. */
  heartbeat(): Promise<boolean> {
    return this.#heartbeat.beat();
  }

  /** Enforcement from the Room DO. Applying one twice is harmless. */
  control(c: OriginControl): Promise<Record<string, number | boolean>> {
    return applyControl(this.#meetings, c, this.#log);
  }

  /** Cascading from the edge (see cascade.ts for the order of calls). */
  pipe(req: OriginPipeRequest): Promise<object> {
    return handlePipe(this.#meetings, req, this.#net, this.#log);
  }

  #onWorkerDied(worker: ms.Worker): void {
    this.metrics.workerDeaths.inc();
    this.#meetings.onWorkerDied(worker);
  }

  /**
   * Stops taking new meetings, tells the edge, and closes once every participant has left or
   * after `drainSeconds`, when remaining participants are told to reconnect (elsewhere).
   */
  drain(): Promise<void> {
    if (this.#drainDone) return this.#drainDone;
    this.#draining = true;
    this.#log.info({ event: 'draining', peers: this.peerCount, deadlineSeconds: this.config.drainSeconds });
    this.#drainDone = (async () => {
      await this.heartbeat();
      if (this.peerCount > 0) {
        await new Promise<void>((resolve) => {
          this.#drainResolve = resolve;
          setTimeout(resolve, this.config.drainSeconds * 1000).unref();
        });
      }
      await this.close();
    })();
    return this.#drainDone;
  }

  #checkDrained(): void {
    if (this.#draining && this.peerCount === 0) this.#drainResolve?.();
  }

  /** Closes everything now; remaining clients are told to reconnect. Idempotent. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    this.#heartbeat.stop();
    this.#signalling.stopAccepting();
    this.#closing = (async () => {
      this.#meetings.closeAll();
      await this.#signalling.close();
      this.#pool?.close();
      await Promise.all([closeServer(this.#http), closeServer(this.#metricsHttp)]);
      this.#log.info({ event: 'origin_closed' });
    })();
    return this.#closing;
  }
}
