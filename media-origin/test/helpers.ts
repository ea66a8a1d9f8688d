/** Shared test fixtures: an in-process origin, tickets, a signalling client, RTP over UDP. */
import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type MediaSource,
  MemoryNonceLedger,
  OriginHeartbeat,
  type OriginMethod,
  type OriginNotification,
  type OriginResults,
  OriginToClient,
  type Role,
  TICKET_AUDIENCE,
  TICKET_ISSUER,
  deriveInternalKey,
  signRequest,
  verifyRequest,
} from '@sealroom/protocol';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { HEARTBEAT_PATH, Origin } from '../src/origin.ts';
import { type RtpPacket, buildRtp, parseRtp } from '../src/rtp.ts';

export const SECRET = 'test-secret-test-secret-test-secret-0123';

/** An origin on ephemeral ports with one worker; the edge URL points at nothing unless given. */
export async function startOrigin(env: Record<string, string> = {}): Promise<Origin> {
  const config = loadConfig({
    SEALROOM_SHARED_SECRET: SECRET,
    ORIGIN_PORT: '0',
    ORIGIN_METRICS_PORT: '0',
    ORIGIN_WORKERS: '1',
    ORIGIN_DRAIN_SECONDS: '2',
    // Port 9 (discard) on loopback: refused at once, so heartbeats fail fast and quietly.
    EDGE_URL: 'http://127.0.0.1:9',
    ...env,
  });
  return Origin.create(config, { log: createLogger((process.env.ORIGIN_TEST_LOG as 'debug' | undefined) ?? 'silent') });
}

let counter = 0;
/** A fresh 10-digit meeting id per call, so tests sharing an origin don't meet. */
export const newMeetingId = (): string => String(1_000_000_000 + ((process.pid * 1000 + counter++) % 8_999_999_999));
export const newParticipantId = (): string => `p_${Math.random().toString(36).slice(2, 12)}`;

export interface TicketOptions {
  mid: string;
  sub: string;
  role?: Role;
  src?: MediaSource[];
  /** Seconds from now. */
  expiresIn?: number;
  secret?: string;
  audience?: string;
  iat?: number;
  /** Breakout room id, as the edge puts it in tickets for breakout rooms. */
  room?: string;
}

/** Signs a ticket exactly as the edge does (edge/src/room/ticket.ts). */
export async function mintTicket(o: TicketOptions): Promise<string> {
  const key = await deriveInternalKey(o.secret ?? SECRET, 'ticket');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ mid: o.mid, role: o.role ?? 'participant', src: o.src ?? ['audio', 'video', 'screen'], ...(o.room ? { room: o.room } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(o.sub)
    .setIssuer(TICKET_ISSUER)
    .setAudience(o.audience ?? TICKET_AUDIENCE)
    .setIssuedAt(o.iat ?? now)
    .setExpirationTime(now + (o.expiresIn ?? 300))
    .sign(key);
}

type Reply<M extends OriginMethod> = { ok: true; data: OriginResults[M] } | { ok: false; error: { code: string; message: string } };

/** A signalling client speaking the protocol over a real WebSocket. */
export class SignalClient {
  readonly ws: WebSocket;
  readonly notifications: OriginNotification[] = [];
  readonly #pending = new Map<number, (r: unknown) => void>();
  readonly #waiters: { pred: (n: OriginNotification) => boolean; resolve: (n: OriginNotification) => void }[] = [];
  #nextId = 1;
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  /** What auth answered, once `join()` succeeded. */
  auth: OriginResults['auth'] | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
    ws.on('message', (raw) => {
      const msg = OriginToClient.parse(JSON.parse(raw.toString()));
      if (msg.type === 'response') {
        this.#pending.get(msg.id)?.(msg);
        this.#pending.delete(msg.id);
        return;
      }
      this.notifications.push(msg);
      for (const w of [...this.#waiters]) {
        if (w.pred(msg)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(msg);
        }
      }
    });
  }

  /** `tls.ca` trusts a private CA for wss://. */
  static async connect(url: string, tls?: { ca: Buffer }): Promise<SignalClient> {
    const ws = new WebSocket(url, tls ? { ca: tls.ca } : {});
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new SignalClient(ws);
  }

  /** Connects and authenticates; throws if the origin refuses. */
  static async join(origin: Origin, ticket: TicketOptions, tls?: { ca: Buffer }): Promise<SignalClient> {
    const c = await SignalClient.connect(origin.wsUrl, tls);
    const r = await c.request('auth', { ticket: await mintTicket(ticket) });
    if (!r.ok) throw new Error(`auth refused: ${r.error.code} ${r.error.message}`);
    c.auth = r.data;
    return c;
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  request<M extends OriginMethod>(method: M, data: unknown): Promise<Reply<M>> {
    const id = this.#nextId++;
    return this.requestWithId(id, method, data) as Promise<Reply<M>>;
  }

  requestWithId(id: number, method: string, data: unknown): Promise<Reply<OriginMethod>> {
    return new Promise((resolve, reject) => {
      this.#pending.set(id, resolve as (r: unknown) => void);
      this.ws.send(JSON.stringify({ type: 'request', id, method, data }), (err) => err && reject(err));
    });
  }

  /** Like request, but throws on a refusal. */
  async ok<M extends OriginMethod>(method: M, data: unknown): Promise<OriginResults[M]> {
    const r = await this.request(method, data);
    if (!r.ok) throw new Error(`${method} refused: ${r.error.code} ${r.error.message}`);
    return r.data;
  }

  /** The first notification (already received or coming) that matches. */
  waitFor<E extends OriginNotification['event']>(
    event: E,
    pred: (n: Extract<OriginNotification, { event: E }>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Extract<OriginNotification, { event: E }>> {
    type N = Extract<OriginNotification, { event: E }>;
    const match = (n: OriginNotification): n is N => n.event === event && pred(n as N);
    const seen = this.notifications.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} notification within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        pred: match,
        resolve: (n) => {
          clearTimeout(timer);
          resolve(n as N);
        },
      });
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** A UDP socket on loopback that records the RTP it receives. */
export class RtpSink {
  readonly socket: dgram.Socket;
  readonly packets: RtpPacket[] = [];

  private constructor(socket: dgram.Socket) {
    this.socket = socket;
    socket.on('message', (buf) => {
      const p = parseRtp(buf);
      // RTCP shares the port (rtcp-mux): payload types 72–76 with the marker bit are RTCP (RFC 5761 §4).
      if (p && !(p.payloadType >= 72 && p.payloadType <= 76)) this.packets.push(p);
    });
  }

  static async open(): Promise<RtpSink> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new RtpSink(socket);
  }

  get port(): number {
    return (this.socket.address() as AddressInfo).port;
  }

  count(ssrc?: number): number {
    return ssrc === undefined ? this.packets.length : this.packets.filter((p) => p.ssrc === ssrc).length;
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * Sends RTP of one stream to a PlainTransport. Streams for one transport must share a
 * socket: in comedia mode the transport only accepts the first source address it saw.
 */
export class RtpSource {
  readonly socket: dgram.Socket;
  readonly ssrc: number;
  readonly payloadType: number;
  readonly #port: number;
  readonly #ownSocket: boolean;
  seq = Math.floor(Math.random() * 0xffff);
  timestamp = Math.floor(Math.random() * 0xffffffff);

  constructor(port: number, ssrc: number, payloadType: number, socket?: dgram.Socket) {
    this.#port = port;
    this.ssrc = ssrc;
    this.payloadType = payloadType;
    this.#ownSocket = !socket;
    this.socket = socket ?? dgram.createSocket('udp4');
  }

  send(payload: Uint8Array, marker = true, tsStep = 0, extensions?: { id: number; data: Uint8Array }[]): Promise<void> {
    const pkt = buildRtp({
      payloadType: this.payloadType,
      marker,
      seq: this.seq,
      timestamp: this.timestamp,
      ssrc: this.ssrc,
      payload,
      ...(extensions ? { extensions } : {}),
    });
    this.seq = (this.seq + 1) & 0xffff;
    this.timestamp = (this.timestamp + tsStep) >>> 0;
    return new Promise((resolve, reject) => this.socket.send(pkt, this.#port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  /**
   * An RTCP Sender Report (RFC 3550 §6.4.1) mapping wall-clock time to this stream's RTP
   * time. mediasoup needs them to line up simulcast layers before it switches between them.
   */
  sendSenderReport(): Promise<void> {
    const sr = Buffer.alloc(28);
    sr[0] = 0x80;
    sr[1] = 200;
    sr.writeUInt16BE(6, 2); // length in 32-bit words minus one
    sr.writeUInt32BE(this.ssrc >>> 0, 4);
    const now = Date.now();
    sr.writeUInt32BE(Math.floor(now / 1000) + 2_208_988_800, 8); // NTP seconds since 1900
    sr.writeUInt32BE(Math.floor(((now % 1000) / 1000) * 2 ** 32) >>> 0, 12);
    sr.writeUInt32BE(this.timestamp >>> 0, 16);
    return new Promise((resolve, reject) => this.socket.send(sr, this.#port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    if (this.#ownSocket) this.socket.close();
  }
}

export const OPUS_PARAMS = (ssrc: number) => ({
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }],
  encodings: [{ ssrc }],
});

/** Opus with the audio-level header extension (RFC 6464) as id 1, for the active-speaker observer. */
export const AUDIO_LEVEL_EXT_ID = 1;
export const OPUS_LEVEL_PARAMS = (ssrc: number) => ({
  ...OPUS_PARAMS(ssrc),
  headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: AUDIO_LEVEL_EXT_ID, encrypt: false, parameters: {} }],
});

export const VP8_PARAMS = (ssrc: number) => ({
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
  encodings: [{ ssrc }],
});

/**
 * A participant that sends through a PlainTransport (RTP from the test), joined over the real
 * signalling. `produce` uses the plain Opus/VP8 parameters unless given others. The caller
 * closes `socket`.
 */
export async function plainSender(origin: Origin, mid: string, src: MediaSource[] = ['audio', 'video']) {
  const sub = newParticipantId();
  const c = await SignalClient.join(origin, { mid, sub, src });
  const t = await origin.peer(mid, sub)!.createPlainTransport('send');
  const socket = dgram.createSocket('udp4');
  const produce = async (kind: 'audio' | 'video', ssrc: number, rtpParameters: object = kind === 'audio' ? OPUS_PARAMS(ssrc) : VP8_PARAMS(ssrc)) => {
    const { producerId } = await c.ok('produce', { transportId: t.id, kind, source: kind, rtpParameters });
    const rtp = new RtpSource(t.tuple.localPort, ssrc, kind === 'audio' ? 111 : 96, socket);
    return { producerId, rtp };
  };
  return { sub, c, produce, transport: t, socket };
}

/** A receive-only participant whose PlainTransport sends to a sink; `consume` also resumes. */
export async function plainReceiver(origin: Origin, mid: string) {
  const sub = newParticipantId();
  const c = await SignalClient.join(origin, { mid, sub, src: [] });
  const sink = await RtpSink.open();
  const t = await origin.peer(mid, sub)!.createPlainTransport('recv', { ip: '127.0.0.1', port: sink.port });
  const { rtpCapabilities } = await c.ok('rtpCapabilities', {});
  const consume = async (producerId: string) => {
    const r = await c.ok('consume', { transportId: t.id, producerId, rtpCapabilities });
    const ssrc = (r.rtpParameters as { encodings: { ssrc: number }[] }).encodings[0]!.ssrc;
    await c.ok('resumeConsumer', { consumerId: r.consumerId });
    return { ...r, ssrc };
  };
  return { sub, c, sink, consume, transport: t };
}

/** POSTs a signed internal request (as the edge would). */
export async function signedPost(base: string, path: string, body: unknown, secret = SECRET): Promise<Response> {
  const text = JSON.stringify(body);
  const headers = await signRequest(secret, 'POST', path, text);
  return fetch(`${base}${path}`, { method: 'POST', body: text, headers: { ...headers, 'content-type': 'application/json' } });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until true or the timeout. */
export async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A stand-in for the edge's heartbeat route: verifies the signature and the schema. */
export class FakeEdge {
  readonly beats: OriginHeartbeat[] = [];
  readonly nonces = new MemoryNonceLedger();
  rejected = 0;
  readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString();
      const signed = await verifyRequest(
        SECRET,
        req.method ?? '',
        req.url ?? '',
        body,
        { get: (h) => (req.headers[h] as string | undefined) ?? null },
        this.nonces,
      );
      const parsed = OriginHeartbeat.safeParse(JSON.parse(body));
      if (req.url !== HEARTBEAT_PATH || !signed.ok || !parsed.success) {
        this.rejected++;
        res.writeHead(401).end();
        return;
      }
      this.beats.push(parsed.data);
      res.writeHead(204).end();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}
