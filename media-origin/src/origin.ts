/**
 * The media origin: one HTTP server carrying the browsers' signalling WebSocket (`/ws`), the
 * edge's enforcement endpoint (`POST /control`), its cascading endpoint (`POST /pipe`), a
 * health check, and (tests only) the tap;
 * a metrics server; the worker pool; the meetings; and the heartbeat that registers this
 * origin with the edge.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  ClientToOrigin,
  type MediaSource,
  MemoryNonceLedger,
  OriginControl,
  ORIGIN_CLOSE,
  OriginControlBatch,
  type OriginHeartbeat,
  type OriginLoad,
  OriginPipeRequest,
  type OriginResults,
  TICKET_TTL_SECONDS,
  parseJson,
  signRequest,
  verifyRequest,
} from '@sealroom/protocol';
import type { types as ms } from 'mediasoup';
import { type WebSocket, WebSocketServer } from 'ws';
import type { OriginConfig } from './config.ts';
import { acceptProducer, closePipe, connectPipe, openPipe, pipeProducer } from './cascade.ts';
import { OriginError, httpStatus } from './errors.ts';
import { type Logger, createLogger, errText } from './log.ts';
import { AUTH_TIMEOUT_MS, MAX_WS_FRAME } from './media.ts';
import { type HostPauses, MeetingRouter } from './meeting.ts';
import { type MetricsSnapshot, OriginMetrics } from './metrics.ts';
import { Peer, type TransportNetwork } from './peer.ts';
import { sampleConsumers, summarize } from './quality.ts';
import { TapRequest, TestStateRequest, runTap } from './test-tap.ts';
import { type Ticket, TicketVerifier, TICKET_CLOCK_TOLERANCE_S } from './ticket.ts';
import { WorkerPool } from './worker-pool.ts';

export const HEARTBEAT_INTERVAL_MS = 5_000;
export const HEARTBEAT_PATH = '/internal/origins/heartbeat';
const HEARTBEAT_TIMEOUT_MS = 3_000;
/** Largest body accepted on /control and /test/tap. */
/** Control batches (mute all in a 1000-person meeting) run to ~150 KB; nothing larger is legitimate. */
const MAX_HTTP_BODY = 1024 * 1024;
/** How long a removal (participant or meeting) outlives the tickets issued before it. */
const TOMBSTONE_MS = (TICKET_TTL_SECONDS + TICKET_CLOCK_TOLERANCE_S) * 1000;
/** Host pauses of a meeting with nobody here are forgotten after this long. */
const IDLE_PAUSES_MS = 10 * 60_000;
const SWEEP_MS = 60_000;
/** On close, how long clients get to receive their close frames before sockets are cut. */
const CLOSE_GRACE_MS = 500;

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
  readonly #wss: WebSocketServer;
  readonly #tickets: TicketVerifier;
  #pool!: WorkerPool;
  readonly #meetings = new Map<string, MeetingRouter>();
  readonly #creating = new Map<string, Promise<MeetingRouter>>();
  readonly #hostPauses = new Map<string, { pauses: HostPauses; idleSince: number | null }>();
  /** `meetingId` or `meetingId/participantId` → when it was removed (ms). */
  readonly #removed = new Map<string, number>();
  readonly #sockets = new Set<WebSocket>();
  /** Nonces of accepted edge calls: one process, so memory is the whole ledger. */
  readonly #nonces = new MemoryNonceLedger();
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #lastLoad: { load: OriginLoad; packetsLost: number; perWorker: MetricsSnapshot['perWorker'] } | undefined;
  #edgeReachable: boolean | undefined;
  /** Moves the quality sample's window over the consumers from one heartbeat to the next. */
  #qualityOffset = 0;
  #draining = false;
  #drainDone: Promise<void> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(config: OriginConfig, tickets: TicketVerifier, log: Logger) {
    this.config = config;
    this.#tickets = tickets;
    this.#log = log;
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => void this.#onHttp(req, res);
    this.#http = config.tls ? https.createServer(readTls(config.tls), onRequest) : http.createServer(onRequest);
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_FRAME, perMessageDeflate: false });
    this.#http.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://origin').pathname;
      if (path !== '/ws' || this.#closed) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onSocket(ws, req));
    });
    this.metrics = new OriginMetrics(() => this.snapshot(), { origin: config.originId, region: config.region });
    this.#metricsHttp = http.createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/metrics') {
        this.metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
      } else res.writeHead(404).end();
    });
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
      await listen(origin.#http, config.port, config.listenIp);
      await listen(origin.#metricsHttp, config.metricsPort, config.listenIp);
    } catch (err) {
      await origin.close();
      throw err;
    }
    origin.#heartbeatTimer = setInterval(() => void origin.heartbeat(), HEARTBEAT_INTERVAL_MS);
    origin.#heartbeatTimer.unref();
    origin.#sweepTimer = setInterval(() => origin.#sweep(), SWEEP_MS);
    origin.#sweepTimer.unref();
    void origin.heartbeat();
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

  // ── load, heartbeat ──────────────────────────────────────────────────────────

  /** Counts now; bitrate and CPU from the last sample (taken with each heartbeat). */
  snapshot(): MetricsSnapshot {
    let transports = 0;
    let producers = 0;
    let consumers = 0;
    let peers = 0;
    let routers = 0;
    for (const m of this.#meetings.values()) {
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
    const last = this.#lastLoad;
    return {
      workers: this.#pool?.workers.length ?? 0,
      meetings: this.#meetings.size,
      peers,
      routers,
      transports,
      producers,
      consumers,
      bitrateIn: last?.load.bitrateIn ?? 0,
      bitrateOut: last?.load.bitrateOut ?? 0,
      packetsLost: last?.packetsLost ?? 0,
      draining: this.#draining,
      perWorker: last?.perWorker ?? [],
    };
  }

  /** Samples CPU per worker and bitrate per transport (one worker round trip each). */
  async sampleLoad(): Promise<OriginLoad> {
    const perWorker = await this.#pool.sample();
    let bitrateIn = 0;
    let bitrateOut = 0;
    let packetsLost = 0;
    const jobs: Promise<void>[] = [];
    const consumers: ms.Consumer[] = [];
    for (const m of this.#meetings.values()) {
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
    this.metrics.observeQuality(samples);
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
    this.#lastLoad = { load, packetsLost, perWorker };
    return load;
  }

  /**
   * Registers with (or refreshes at) the edge. An unreachable edge is logged once per change
   * of state and retried at the next beat: the origin keeps serving meetings it has.
   */
  async heartbeat(): Promise<boolean> {
    if (this.#closed) return false;
    let ok = false;
    try {
      const load = await this.sampleLoad();
      const hb = {
        originId: this.config.originId,
        region: this.config.region,
        url: this.wsUrl,
        controlUrl: this.url,
        draining: this.#draining,
        load,
      } satisfies OriginHeartbeat;
      const body = JSON.stringify(hb);
      const headers = await signRequest(this.config.sharedSecret, 'POST', HEARTBEAT_PATH, body);
      const res = await fetch(`${this.config.edgeUrl}${HEARTBEAT_PATH}`, {
        method: 'POST',
        body,
        headers: { ...headers, 'content-type': 'application/json' },
        signal: AbortSignal.timeout(HEARTBEAT_TIMEOUT_MS),
      });
      await res.body?.cancel();
      ok = res.ok;
      if (!ok && this.#edgeReachable !== false) this.#log.warn({ event: 'heartbeat_refused', status: res.status });
    } catch (err) {
      if (this.#edgeReachable !== false) this.#log.warn({ event: 'edge_unreachable', edgeUrl: this.config.edgeUrl, error: errText(err) });
    }
    if (ok && this.#edgeReachable !== true) this.#log.info({ event: 'registered_with_edge', edgeUrl: this.config.edgeUrl });
    this.#edgeReachable = ok;
    return ok;
  }

  // ── browser signalling ───────────────────────────────────────────────────────

  #onSocket(ws: WebSocket, req: http.IncomingMessage): void {
    this.#sockets.add(ws);
    const wantMeeting = new URL(req.url ?? '/', 'http://origin').searchParams.get('meeting');
    let peer: Peer | null = null;
    let authing = false;
    // Requests of one socket run one after another: a client cannot race its own produce
    // against its own close, and responses come back in order.
    let queue = Promise.resolve();
    const authTimer = setTimeout(() => {
      if (!peer) ws.close(ORIGIN_CLOSE.badTicket, 'authenticate first');
    }, AUTH_TIMEOUT_MS);
    authTimer.unref();

    const reply = (id: number, r: { ok: true; data: unknown } | { ok: false; error: OriginError }) => {
      if (peer?.owns(ws)) return peer.respond(id, r);
      const msg = r.ok
        ? { type: 'response', id, ok: true, data: r.data }
        : { type: 'response', id, ok: false, error: { code: r.error.code, message: r.error.message } };
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };

    const onMessage = async (raw: string | null) => {
      const parsed = parseJson(ClientToOrigin, raw, MAX_WS_FRAME);
      if (!parsed.ok) {
        this.metrics.requests.inc({ method: 'invalid', outcome: parsed.code });
        return reply(requestIdOf(raw), { ok: false, error: new OriginError(parsed.code, parsed.message) });
      }
      const msg = parsed.value;
      try {
        let data: unknown;
        if (msg.method === 'auth') {
          if (peer || authing) throw new OriginError('already_joined', 'already authenticated');
          authing = true;
          try {
            const result = await this.#authenticate(msg.data.ticket, wantMeeting, ws);
            peer = result.peer;
            clearTimeout(authTimer);
            reply(msg.id, { ok: true, data: { participantId: peer.id, meetingId: result.ticket.mid, resumed: result.resumed } satisfies OriginResults['auth'] });
            // A participant still known here (within the reconnect window, or a second socket)
            // takes its transports back; anyone else joins the meeting.
            if (result.resumed) peer.attach(ws, result.ticket);
            else result.meeting.addPeer(peer);
            this.metrics.requests.inc({ method: 'auth', outcome: 'ok' });
            return;
          } finally {
            authing = false;
          }
        }
        if (!peer) throw new OriginError('not_joined', 'send auth with a ticket first');
        data = await peer.handle(msg.method, msg.data as never);
        reply(msg.id, { ok: true, data });
        this.metrics.requests.inc({ method: msg.method, outcome: 'ok' });
      } catch (err) {
        const e = err instanceof OriginError ? err : new OriginError('internal', 'internal error');
        if (!(err instanceof OriginError)) this.#log.error({ event: 'request_failed', method: msg.method, meetingId: peer?.ticket.mid, error: errText(err) });
        this.metrics.requests.inc({ method: msg.method, outcome: e.code });
        reply(msg.id, { ok: false, error: e });
        if (msg.method === 'auth') {
          if (e.code === 'bad_ticket') this.metrics.ticketRejections.inc({ reason: e.message });
          ws.close(ORIGIN_CLOSE.badTicket, e.code);
        }
      }
    };

    ws.on('message', (data, isBinary) => {
      const text = isBinary ? null : data.toString();
      queue = queue.then(() => onMessage(text)).catch((err) => this.#log.error({ event: 'socket_handler_failed', error: errText(err) }));
    });
    ws.on('close', (code) => {
      clearTimeout(authTimer);
      this.#sockets.delete(ws);
      if (!peer?.owns(ws)) return; // replaced by a newer connection, or never authenticated
      // 1006: the connection died without a close frame (network loss, sleep). Keep the media
      // for the reconnect window. A close frame (1000/1001/1005) means the client left.
      if (code === 1006 && this.config.reconnectGraceSeconds > 0 && !this.#closed) peer.detach(this.config.reconnectGraceSeconds * 1000);
      else peer.close();
    });
    ws.on('error', (err) => this.#log.warn({ event: 'socket_error', meetingId: peer?.ticket.mid, error: errText(err) }));
  }

  async #authenticate(
    token: string,
    wantMeeting: string | null,
    ws: WebSocket,
  ): Promise<{ peer: Peer; meeting: MeetingRouter; ticket: Ticket; resumed: boolean }> {
    const ticket = await this.#tickets.verify(token);
    // An origin URL may pin the meeting (`/ws?meeting=…`); a ticket for another one is refused.
    if (wantMeeting !== null && wantMeeting !== ticket.mid) throw new OriginError('bad_ticket', 'ticket is for another meeting');
    const issuedMs = (ticket.iat ?? 0) * 1000;
    const meetingGone = this.#removed.get(ticket.mid);
    if (meetingGone !== undefined && issuedMs <= meetingGone) throw new OriginError('meeting_ended', 'meeting was closed');
    const removed = this.#removed.get(`${ticket.mid}/${ticket.sub}`);
    if (removed !== undefined && issuedMs <= removed) throw new OriginError('forbidden', 'participant was removed');
    // A breakout room is its own router (and the edge gives it its own key group).
    const meeting = await this.#meetingFor(ticket.room ? `${ticket.mid}/${ticket.room}` : ticket.mid, ticket.mid);
    try {
      await meeting.ready;
    } catch {
      throw new OriginError('internal', 'meeting could not be restored; reconnect');
    }
    if (meeting.closed) throw new OriginError('meeting_ended', 'meeting was closed');
    if (ws.readyState !== ws.OPEN) throw new OriginError('not_joined', 'socket closed');
    const known = meeting.peers.get(ticket.sub);
    if (known && !known.closed) return { peer: known, meeting, ticket, resumed: true };
    await meeting.place(ticket.sub);
    if (ws.readyState !== ws.OPEN || meeting.closed) {
      meeting.unplace(ticket.sub);
      throw new OriginError('not_joined', 'socket closed');
    }
    const peer = new Peer({ ticket, meeting, socket: ws, net: this.#net, log: this.#log.child({ meetingId: ticket.mid }) });
    return { peer, meeting, ticket, resumed: false };
  }

  /**
   * The router for `routerKey`: the meeting id for its main room, `meetingId/bN` for breakout
   * room N. Host pauses belong to the meeting, so they follow a participant between rooms.
   */
  async #meetingFor(routerKey: string, meetingId: string = routerKey): Promise<MeetingRouter> {
    const existing = this.#meetings.get(routerKey);
    if (existing && !existing.closed) return existing;
    if (this.#draining || this.#closed) throw new OriginError('no_origin', 'this origin is draining; ask the edge for another');
    let pending = this.#creating.get(routerKey);
    if (!pending) {
      pending = (async () => {
        const worker = await this.#pool.acquire();
        const meeting = await MeetingRouter.create({
          meetingId: routerKey,
          worker,
          log: this.#log,
          hostPauses: this.#pausesOf(meetingId),
          onEmpty: (m) => this.#onMeetingEmpty(m),
          spread: {
            maxPeersPerRouter: this.config.peersPerRouter,
            pickWorker: (exclude) => this.#pool.pickOther(exclude),
            track: (w, r) => this.#pool.track(w, r),
          },
        });
        this.#pool.track(worker, meeting.router);
        this.#meetings.set(routerKey, meeting);
        this.#hostPausesEntry(meetingId).idleSince = null;
        return meeting;
      })().finally(() => this.#creating.delete(routerKey));
      this.#creating.set(routerKey, pending);
    }
    return pending;
  }

  #hostPausesEntry(meetingId: string): { pauses: HostPauses; idleSince: number | null } {
    let e = this.#hostPauses.get(meetingId);
    if (!e) this.#hostPauses.set(meetingId, (e = { pauses: new Map(), idleSince: Date.now() }));
    return e;
  }

  #pausesOf(meetingId: string): HostPauses {
    return this.#hostPausesEntry(meetingId).pauses;
  }

  #onMeetingEmpty(m: MeetingRouter): void {
    // Nobody left: free the router now; a returning participant gets a fresh one.
    if (this.#meetings.get(m.id) === m) this.#meetings.delete(m.id);
    m.close();
    const e = this.#hostPauses.get(m.id);
    if (e) e.idleSince = Date.now();
    this.#checkDrained();
  }

  #onWorkerDied(worker: ms.Worker): void {
    this.metrics.workerDeaths.inc();
    for (const m of this.#meetings.values()) {
      if (!m.usesWorker(worker)) continue;
      m.evict('media worker restarted');
      this.#pool
        .acquire()
        .then(async (w) => {
          await m.rebuild(w);
          this.#pool.track(w, m.router);
        })
        .catch((err) => {
          this.#log.error({ event: 'meeting_recovery_failed', meetingId: m.id, error: errText(err) });
          if (this.#meetings.get(m.id) === m) this.#meetings.delete(m.id);
          m.close(ORIGIN_CLOSE.reconnect, 'reconnect');
        });
    }
  }

  #sweep(): void {
    const now = Date.now();
    for (const [k, at] of this.#removed) if (now - at > TOMBSTONE_MS) this.#removed.delete(k);
    for (const [id, e] of this.#hostPauses) {
      if (e.idleSince !== null && now - e.idleSince > IDLE_PAUSES_MS && !this.#meetings.has(id)) this.#hostPauses.delete(id);
    }
  }

  // ── HTTP: health, control, test tap ──────────────────────────────────────────

  async #onHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://origin').pathname;
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };
    const fail = (e: OriginError): void => json(httpStatus(e.code), { error: { code: e.code, message: e.message } });
    try {
      if (req.method === 'GET' && path === '/healthz') {
        // registered: the edge accepted the last heartbeat, so it may send meetings here.
        return json(this.#closed ? 503 : 200, { ok: !this.#closed, draining: this.#draining, workers: this.#pool.workers.length, registered: this.#edgeReachable === true });
      }
      const testOnly = path === '/test/tap' || path === '/test/state';
      if (req.method === 'POST' && (path === '/control' || path === '/pipe' || (testOnly && this.config.testTap))) {
        const body = await readBody(req, MAX_HTTP_BODY);
        const auth = await verifyRequest(this.config.sharedSecret, 'POST', path, body, { get: (h) => headerOf(req, h) }, this.#nonces);
        if (!auth.ok) {
          this.#log.warn({ event: auth.reason === 'replayed' ? 'replayed_internal_request' : 'unsigned_internal_request', path, reason: auth.reason });
          return fail(new OriginError('forbidden', auth.reason === 'replayed' ? 'this signed request was already used' : 'bad or missing signature'));
        }
        if (path === '/control') {
          // A batch (one host action such as mute all) is an array: applied in order, answered together.
          if (body.trimStart().startsWith('[')) {
            const batch = parseJson(OriginControlBatch, body, MAX_HTTP_BODY);
            if (!batch.ok) return fail(new OriginError(batch.code, batch.message));
            const results = [];
            for (const c of batch.value) results.push(await this.control(c));
            return json(200, { ok: true, results });
          }
          const parsed = parseJson(OriginControl, body, MAX_HTTP_BODY);
          if (!parsed.ok) return fail(new OriginError(parsed.code, parsed.message));
          return json(200, { ok: true, ...(await this.control(parsed.value)) });
        }
        if (path === '/pipe') {
          const parsed = parseJson(OriginPipeRequest, body, MAX_HTTP_BODY);
          if (!parsed.ok) return fail(new OriginError(parsed.code, parsed.message));
          return json(200, { ok: true, ...(await this.pipe(parsed.value)) });
        }
        if (path === '/test/state') {
          const parsed = parseJson(TestStateRequest, body, MAX_HTTP_BODY);
          if (!parsed.ok) return fail(new OriginError(parsed.code, parsed.message));
          // Fault tests kill a worker by PID, find the origin a meeting landed on and the holds it was told.
          const held: Record<string, Record<string, MediaSource[]>> = {};
          for (const [id, e] of this.#hostPauses) held[id] = Object.fromEntries([...e.pauses].map(([p, set]) => [p, [...set]]));
          return json(200, { workerPids: this.#pool.workers.map((w) => w.pid), meetings: [...this.#meetings.keys()], held });
        }
        const parsed = parseJson(TapRequest, body, MAX_HTTP_BODY);
        if (!parsed.ok) return fail(new OriginError(parsed.code, parsed.message));
        const meeting = this.#meetings.get(parsed.value.meetingId);
        if (!meeting) return fail(new OriginError('not_found', 'no such meeting on this origin'));
        this.#log.info({ event: 'test_tap', meetingId: meeting.id, ms: parsed.value.ms });
        return json(200, await runTap(meeting, parsed.value.ms));
      }
      return json(404, { error: { code: 'not_found', message: 'not found' } });
    } catch (err) {
      if (err instanceof OriginError) return fail(err);
      this.#log.error({ event: 'http_failed', path, error: errText(err) });
      if (!res.headersSent) fail(new OriginError('internal', 'internal error'));
    }
  }

  /** The main router of a meeting and those of its breakout rooms. */
  #routersOf(meetingId: string): MeetingRouter[] {
    return [...this.#meetings.entries()].filter(([k]) => k === meetingId || k.startsWith(`${meetingId}/`)).map(([, m]) => m);
  }

  /** Enforcement from the Room DO. Applying one twice is harmless. */
  async control(c: OriginControl): Promise<Record<string, number | boolean>> {
    const log = this.#log.child({ meetingId: c.meetingId });
    const routers = this.#routersOf(c.meetingId);
    const peersOf = (id: string) => routers.flatMap((r) => r.peers.get(id) ?? []);
    switch (c.action) {
      case 'pauseSource': {
        // Remembered even when the participant isn't here yet: its producer starts paused.
        const pauses = this.#pausesOf(c.meetingId);
        let set = pauses.get(c.participantId);
        if (!set) pauses.set(c.participantId, (set = new Set<MediaSource>()));
        set.add(c.source);
        let paused = 0;
        for (const p of peersOf(c.participantId)) paused += await p.hostPause(c.source);
        // Its media may also reach this origin through a pipe from another one.
        for (const r of routers) paused += await r.pausePiped(c.participantId, c.source);
        log.info({ event: 'host_pause', participantId: c.participantId, source: c.source, producers: paused });
        return { paused };
      }
      case 'releaseSource': {
        // Releasing lets the client resume; it does not unmute anyone by force.
        this.#hostPauses.get(c.meetingId)?.pauses.get(c.participantId)?.delete(c.source);
        for (const p of peersOf(c.participantId)) p.notify({ type: 'notification', event: 'released', data: { source: c.source } });
        log.info({ event: 'host_release', participantId: c.participantId, source: c.source });
        return {};
      }
      case 'closeParticipant': {
        this.#removed.set(`${c.meetingId}/${c.participantId}`, Date.now());
        const peers = peersOf(c.participantId);
        for (const p of peers) p.close(ORIGIN_CLOSE.removed, 'removed from the meeting');
        log.info({ event: 'participant_closed', participantId: c.participantId, wasConnected: peers.length > 0 });
        return { closed: peers.length > 0 };
      }
      case 'closeMeeting': {
        this.#removed.set(c.meetingId, Date.now());
        for (const [k, m] of [...this.#meetings.entries()]) if (routers.includes(m)) this.#meetings.delete(k);
        this.#hostPauses.delete(c.meetingId);
        for (const m of routers) m.close(ORIGIN_CLOSE.meetingClosed, 'meeting closed');
        log.info({ event: 'meeting_closed_by_edge', wasOpen: routers.length > 0 });
        this.#checkDrained();
        return { closed: routers.length > 0 };
      }
    }
  }

  /** Cascading from the edge (see cascade.ts for the order of calls). */
  async pipe(req: OriginPipeRequest): Promise<object> {
    const log = this.#log.child({ meetingId: req.meetingId });
    if (req.action === 'openPipe') {
      const meeting = await this.#meetingFor(req.meetingId);
      try {
        await meeting.ready;
      } catch {
        throw new OriginError('internal', 'meeting could not be restored; try again');
      }
      const opened = await openPipe(meeting, this.#net);
      log.info({ event: 'pipe_opened', pipeId: opened.pipeId });
      return opened;
    }
    const meeting = this.#meetings.get(req.meetingId);
    if (!meeting || meeting.closed) throw new OriginError('not_found', 'no such meeting on this origin');
    switch (req.action) {
      case 'connectPipe':
        return connectPipe(meeting, req);
      case 'pipeProducer': {
        const piped = await pipeProducer(meeting, req);
        log.info({ event: 'producer_piped_out', pipeId: req.pipeId, participantId: piped.participantId, source: piped.source });
        return piped;
      }
      case 'acceptProducer': {
        const r = await acceptProducer(meeting, req);
        log.info({ event: 'producer_piped_in', pipeId: req.pipeId, participantId: req.producer.participantId, source: req.producer.source });
        return r;
      }
      case 'closePipe':
        log.info({ event: 'pipe_closed', pipeId: req.pipeId });
        return closePipe(meeting, req);
    }
  }

  // ── lifecycle ────────────────────────────────────────────────────────────────

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

  #drainResolve: (() => void) | undefined;

  #checkDrained(): void {
    if (this.#draining && this.peerCount === 0) this.#drainResolve?.();
  }

  /** Closes everything now; remaining clients are told to reconnect. Idempotent. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    clearInterval(this.#heartbeatTimer);
    clearInterval(this.#sweepTimer);
    this.#closing = (async () => {
      for (const m of this.#meetings.values()) {
        m.broadcast({ type: 'notification', event: 'reconnect', data: { reason: 'origin shutting down' } });
        m.close(ORIGIN_CLOSE.goingAway, 'origin shutting down');
      }
      this.#meetings.clear();
      // Let close frames (and the reconnect notices before them) go out, briefly.
      for (const ws of this.#sockets) ws.close(ORIGIN_CLOSE.goingAway, 'origin shutting down');
      const deadline = Date.now() + CLOSE_GRACE_MS;
      while (this.#sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const ws of this.#sockets) ws.terminate();
      this.#wss.close();
      this.#pool?.close();
      await Promise.all([closeServer(this.#http), closeServer(this.#metricsHttp)]);
      this.#log.info({ event: 'origin_closed' });
    })();
    return this.#closing;
  }
}

function requestIdOf(raw: string | null): number {
  // Echo the id of a request that failed to parse, when it has a usable one; -1 otherwise.
  if (raw === null) return -1;
  const m = /"id"\s*:\s*(\d{1,10})\b/.exec(raw.slice(0, 4096));
  const n = m ? Number(m[1]) : -1;
  return Number.isSafeInteger(n) && n <= 2 ** 31 ? n : -1;
}

function headerOf(req: http.IncomingMessage, name: string): string | null {
  const v = req.headers[name.toLowerCase()];
  return typeof v === 'string' ? v : null;
}

function readBody(req: http.IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new OriginError('bad_message', 'body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function readTls(tls: { certFile: string; keyFile: string }): { cert: Buffer; key: Buffer } {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${errText(err)}`);
    }
  };
  return { cert: read(tls.certFile, 'certificate (ORIGIN_TLS_CERT)'), key: read(tls.keyFile, 'key (ORIGIN_TLS_KEY)') };
}

function listen(server: http.Server | https.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
