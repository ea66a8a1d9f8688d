/**
 * One authenticated participant on this origin: its signalling socket, transports,
 * producers and consumers. Every request reaching `handle()` has been parsed with the
 * protocol schema; checks here are about who may do what (the ticket), not shape.
 */
import { type ClientToOrigin, type MediaSource, ORIGIN_CLOSE, type OriginMethod, type OriginNotification, type OriginResults } from '@sealroom/protocol';
import type { types as ms } from 'mediasoup';
import { OriginError, sfu } from './errors.ts';
import type { Logger } from './log.ts';
import {
  INGEST_RECV_BUFFER_BYTES,
  INITIAL_OUTGOING_BITRATE,
  MAX_CONSUMERS_PER_PEER,
  MAX_HELD_NOTIFICATIONS,
  MAX_TRANSPORTS_PER_PEER,
  MAX_WS_BUFFERED_BYTES,
  SOURCE_KIND,
} from './media.ts';
import { nudgeKeyFrames } from './key-frames.ts';
import type { MeetingRouter } from './meeting.ts';
import type { Ticket } from './ticket.ts';

/** The part of a WebSocket a Peer uses (ws's WebSocket fits). */
export interface PeerSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  readonly bufferedAmount: number;
}

export interface ProducerAppData extends ms.AppData {
  participantId: string;
  source: MediaSource;
}

export interface TransportNetwork {
  listenIp: string;
  announcedIp: string;
  rtcMinPort: number;
  rtcMaxPort: number;
  /** The worker's shared ICE server for this router, when the origin listens on fixed ports. */
  webRtcServerOf?: (router: ms.Router) => ms.WebRtcServer | undefined;
}

type Direction = 'send' | 'recv';
type RequestOf<M extends OriginMethod> = Extract<ClientToOrigin, { method: M }>['data'];
type Handlers = { [M in Exclude<OriginMethod, 'auth'>]: (data: RequestOf<M>) => Promise<OriginResults[M]> };

export class Peer {
  readonly id: string;
  #ticket: Ticket;
  readonly #meeting: MeetingRouter;
  /** null while detached: the socket dropped and the participant may come back (grace window). */
  #socket: PeerSocket | null;
  #graceTimer: NodeJS.Timeout | undefined;
  /** Notifications held while detached, delivered on re-attach. */
  #held: string[] = [];
  readonly #net: TransportNetwork;
  readonly #log: Logger;
  /** `connectAsked`: the client has sent its DTLS parameters, so media may flow from now on. */
  readonly #transports = new Map<string, { transport: ms.Transport; direction: Direction; connectAsked: boolean }>();
  readonly #producers = new Map<string, ms.Producer<ProducerAppData>>();
  readonly #consumers = new Map<string, ms.Consumer>();
  #closed = false;

  constructor(opts: { ticket: Ticket; meeting: MeetingRouter; socket: PeerSocket; net: TransportNetwork; log: Logger }) {
    this.id = opts.ticket.sub;
    this.#ticket = opts.ticket;
    this.#meeting = opts.meeting;
    this.#socket = opts.socket;
    this.#net = opts.net;
    this.#log = opts.log.child({ participantId: this.id });
  }

  get closed(): boolean {
    return this.#closed;
  }

  get ticket(): Ticket {
    return this.#ticket;
  }

  get detached(): boolean {
    return this.#socket === null && !this.#closed;
  }

  /** Whether `socket` is this peer's current connection (an old one's close must not touch it). */
  owns(socket: PeerSocket): boolean {
    return this.#socket === socket;
  }

  /**
   * The socket dropped without a close frame (network loss): keep transports, producers and
   * consumers for `graceMs` so a reconnect does not interrupt media; close after that.
   */
  detach(graceMs: number): void {
    if (this.#closed) return;
    this.#socket = null;
    clearTimeout(this.#graceTimer);
    this.#graceTimer = setTimeout(() => {
      this.#log.info({ event: 'reconnect_grace_expired', meetingId: this.#meeting.id });
      this.close(ORIGIN_CLOSE.goingAway, 'reconnect window expired');
    }, graceMs);
    this.#graceTimer.unref();
    this.#log.info({ event: 'peer_detached', meetingId: this.#meeting.id, graceMs });
  }

  /**
   * The same participant connected again (a fresh ticket, same id): this socket takes over
   * the transports, the notifications held meanwhile are delivered, and the new ticket's
   * permissions apply from now on (a source it no longer allows is closed).
   */
  attach(socket: PeerSocket, ticket: Ticket): void {
    if (this.#closed) throw new OriginError('not_joined', 'connection closed');
    clearTimeout(this.#graceTimer);
    const old = this.#socket;
    this.#socket = socket;
    this.#ticket = ticket;
    if (old && old !== socket) {
      try {
        old.close(ORIGIN_CLOSE.replaced, 'replaced by a newer connection');
      } catch {
        // already gone
      }
    }
    const held = this.#held;
    this.#held = [];
    for (const text of held) this.#sendRaw(text);
    for (const p of [...this.#producers.values()]) if (!ticket.src.includes(p.appData.source)) p.close();
    this.#log.info({ event: 'peer_resumed', meetingId: this.#meeting.id, heldNotifications: held.length });
  }

  get producers(): ReadonlyMap<string, ms.Producer<ProducerAppData>> {
    return this.#producers;
  }

  get counts(): { transports: number; producers: number; consumers: number } {
    return { transports: this.#transports.size, producers: this.#producers.size, consumers: this.#consumers.size };
  }

  get transports(): ms.Transport[] {
    return [...this.#transports.values()].map((t) => t.transport);
  }

  get consumers(): ms.Consumer[] {
    return [...this.#consumers.values()];
  }

  notify(n: OriginNotification): void {
    this.#sendRaw(JSON.stringify(n));
  }

  respond(id: number, result: { ok: true; data: unknown } | { ok: false; error: OriginError }): void {
    const msg = result.ok
      ? { type: 'response', id, ok: true, data: result.data }
      : { type: 'response', id, ok: false, error: { code: result.error.code, message: result.error.message.slice(0, 500) } };
    this.#sendRaw(JSON.stringify(msg));
  }

  #sendRaw(text: string): void {
    if (this.#closed) return;
    if (!this.#socket) {
      // Detached: hold it for the reconnect; a flood means the state is beyond catching up.
      if (this.#held.length >= MAX_HELD_NOTIFICATIONS) this.close(ORIGIN_CLOSE.goingAway, 'too much missed while away');
      else this.#held.push(text);
      return;
    }
    if (this.#socket.bufferedAmount > MAX_WS_BUFFERED_BYTES) {
      // A client that stops reading would make us buffer without bound.
      this.#log.warn({ event: 'peer_too_slow', meetingId: this.#meeting.id });
      this.close(ORIGIN_CLOSE.tooSlow, 'not reading');
      return;
    }
    this.#socket.send(text);
  }

  /** Runs one (already parsed) request; throws OriginError for refusals. */
  async handle<M extends Exclude<OriginMethod, 'auth'>>(method: M, data: RequestOf<M>): Promise<OriginResults[M]> {
    if (this.#closed) throw new OriginError('not_joined', 'connection closed');
    const h = this.#handlers[method] as (d: RequestOf<M>) => Promise<OriginResults[M]>;
    return h(data);
  }

  readonly #handlers: Handlers = {
    rtpCapabilities: async () => ({ rtpCapabilities: this.#meeting.routerOf(this.id).rtpCapabilities as Record<string, unknown> }),

    createTransport: async ({ direction }) => {
      this.#checkTransportRoom();
      const { listenIp, announcedIp, rtcMinPort, rtcMaxPort } = this.#net;
      const router = this.#meeting.routerOf(this.id);
      const webRtcServer = this.#net.webRtcServerOf?.(router);
      const base = {
        ip: listenIp,
        ...(announcedIp !== listenIp ? { announcedAddress: announcedIp } : {}),
        portRange: { min: rtcMinPort, max: rtcMaxPort },
        ...(direction === 'send' ? { recvBufferSize: INGEST_RECV_BUFFER_BYTES } : {}),
      };
      const transport = await router.createWebRtcTransport({
        // On fixed ports every transport shares its worker's server; ICE tells them apart by ufrag.
        ...(webRtcServer
          ? { webRtcServer }
          : {
              listenInfos: [
                { protocol: 'udp' as const, ...base },
                { protocol: 'tcp' as const, ...base },
              ],
            }),
        preferUdp: true,
        enableUdp: true,
        enableTcp: true,
        initialAvailableOutgoingBitrate: INITIAL_OUTGOING_BITRATE,
        enableSctp: false,
        appData: { participantId: this.id, direction },
      });
      this.#adopt(transport, direction);
      transport.on('dtlsstatechange', (state) => {
        if (state === 'failed' || state === 'closed') this.#log.warn({ event: 'dtls_state', meetingId: this.#meeting.id, state });
      });
      transport.on('icestatechange', (state) => {
        if (state === 'disconnected') this.#log.info({ event: 'ice_disconnected', meetingId: this.#meeting.id, transportId: transport.id });
      });
      return {
        id: transport.id,
        iceParameters: transport.iceParameters as unknown as Record<string, unknown>,
        iceCandidates: transport.iceCandidates as unknown as Record<string, unknown>[],
        dtlsParameters: transport.dtlsParameters,
      };
    },

    connectTransport: async ({ transportId, dtlsParameters }) => {
      const entry = this.#transport(transportId);
      entry.connectAsked = true;
      await sfu(() => entry.transport.connect({ dtlsParameters: dtlsParameters as ms.DtlsParameters }));
      return {};
    },

    restartIce: async ({ transportId }) => {
      const { transport } = this.#transport(transportId);
      if (!('restartIce' in transport)) throw new OriginError('bad_message', 'not a WebRTC transport');
      const iceParameters = await (transport as ms.WebRtcTransport).restartIce();
      return { iceParameters: iceParameters as unknown as Record<string, unknown> };
    },

    produce: async ({ transportId, kind, source, rtpParameters }) => {
      if (!this.#ticket.src.includes(source)) throw new OriginError('forbidden', `ticket does not allow producing ${source}`);
      if (SOURCE_KIND[source] !== kind) throw new OriginError('bad_message', `${source} must be ${SOURCE_KIND[source]}`);
      const { transport, direction } = this.#transport(transportId);
      if (direction !== 'send') throw new OriginError('bad_message', 'produce needs a send transport');
      for (const p of this.#producers.values()) {
        if (p.appData.source === source) throw new OriginError('forbidden', `already producing ${source}; close it first`);
      }
      // A source the host paused stays paused for a new producer too: re-producing must not unmute.
      const hostPaused = this.#meeting.isHostPaused(this.id, source);
      const producer = await sfu(() =>
        transport.produce<ProducerAppData>({
          kind,
          rtpParameters: rtpParameters as unknown as ms.RtpParameters,
          paused: hostPaused,
          appData: { participantId: this.id, source },
        }),
      );
      if (this.#closed) {
        producer.close();
        throw new OriginError('not_joined', 'connection closed');
      }
      this.#producers.set(producer.id, producer);
      producer.observer.once('close', () => {
        this.#producers.delete(producer.id);
        this.#meeting.onProducerClosed(this, producer);
      });
      try {
        await this.#meeting.onNewProducer(this, producer);
      } catch (err) {
        // A producer other routers of the meeting could not get would be half-visible.
        producer.close();
        throw err;
      }
      if (hostPaused) queueMicrotask(() => this.notify({ type: 'notification', event: 'producerPaused', data: { producerId: producer.id, byHost: true } }));
      return { producerId: producer.id };
    },

    consume: async ({ transportId, producerId, rtpCapabilities }) => {
      const { transport, direction, connectAsked } = this.#transport(transportId);
      if (direction !== 'recv') throw new OriginError('bad_message', 'consume needs a recv transport');
      if (this.#consumers.size >= MAX_CONSUMERS_PER_PEER) throw new OriginError('rate_limited', 'too many consumers');
      const found = this.#meeting.findProducer(producerId);
      if (!found) throw new OriginError('not_found', 'no such producer in this meeting');
      const caps = rtpCapabilities as unknown as ms.RtpCapabilities;
      let can: boolean;
      try {
        can = this.#meeting.routerOf(this.id).canConsume({ producerId, rtpCapabilities: caps });
      } catch {
        can = false;
      }
      if (!can) throw new OriginError('bad_message', 'cannot consume this producer with these RTP capabilities');
      // Paused until the client has set up its receiver and says resume: otherwise the first
      // packets (and the key frame) arrive before anything can decode them. Except on a browser
      // transport the client has not asked to connect: nothing flows on it before the client sets
      // up its receivers (that is what makes it connect), and mediasoup asks for a key frame once
      // it connects. Those, the consumers of everyone already there when someone joins, run at
      // once: a round trip off every join.
      const paused = connectAsked || transport.type !== 'webrtc';
      const consumer = await sfu(() => transport.consume({ producerId, rtpCapabilities: caps, paused, appData: { participantId: this.id } }));
      if (this.#closed) {
        consumer.close();
        throw new OriginError('not_joined', 'connection closed');
      }
      this.#consumers.set(consumer.id, consumer);
      consumer.observer.once('close', () => this.#consumers.delete(consumer.id));
      return {
        consumerId: consumer.id,
        producerId,
        kind: consumer.kind,
        rtpParameters: consumer.rtpParameters as unknown as Record<string, unknown>,
        participantId: found.appData.participantId,
        source: found.appData.source,
        paused,
      };
    },

    resumeConsumer: async ({ consumerId }) => {
      const c = this.#consumer(consumerId);
      await c.resume();
      // A video consumer starts on a key frame; asking now saves waiting for the next one, and
      // asking again while it forwards nothing saves it from waiting forever (key-frames.ts).
      if (c.kind === 'video') {
        await c.requestKeyFrame().catch(() => undefined);
        nudgeKeyFrames(c);
      }
      return {};
    },

    pauseConsumer: async ({ consumerId }) => {
      await this.#consumer(consumerId).pause();
      return {};
    },

    setPreferredLayers: async ({ consumerId, spatialLayer, temporalLayer }) => {
      const c = this.#consumer(consumerId);
      if (c.type === 'simple') return {}; // nothing to choose from on a single-layer stream
      await c.setPreferredLayers({ spatialLayer, ...(temporalLayer !== undefined ? { temporalLayer } : {}) });
      return {};
    },

    pauseProducer: async ({ producerId }) => {
      await this.#producer(producerId).pause();
      return {};
    },

    resumeProducer: async ({ producerId }) => {
      const p = this.#producer(producerId);
      if (this.#meeting.isHostPaused(this.id, p.appData.source)) throw new OriginError('forbidden', `the host paused your ${p.appData.source}`);
      await p.resume();
      return {};
    },

    closeProducer: async ({ producerId }) => {
      this.#producer(producerId).close();
      return {};
    },
  };

  /** Host enforcement: pause every producer of `source` and tell the client why. */
  async hostPause(source: MediaSource): Promise<number> {
    let n = 0;
    for (const p of this.#producers.values()) {
      if (p.appData.source !== source) continue;
      await p.pause();
      n++;
      this.notify({ type: 'notification', event: 'producerPaused', data: { producerId: p.id, byHost: true } });
    }
    return n;
  }

  /**
   * A PlainTransport on this peer, for tests and the benchmark only (never reachable from
   * the wire): lets RTP made by a test enter and leave through the same produce/consume
   * signalling a browser uses. A send transport learns the sender's address from its first
   * packet (comedia); a receive transport sends to `remote`.
   */
  async createPlainTransport(direction: Direction, remote?: { ip: string; port: number }): Promise<ms.PlainTransport> {
    this.#checkTransportRoom();
    const transport = await this.#meeting.routerOf(this.id).createPlainTransport({
      listenInfo: {
        protocol: 'udp',
        ip: this.#net.listenIp,
        portRange: { min: this.#net.rtcMinPort, max: this.#net.rtcMaxPort },
        ...(direction === 'send' ? { recvBufferSize: INGEST_RECV_BUFFER_BYTES } : {}),
      },
      rtcpMux: true,
      comedia: direction === 'send',
      appData: { participantId: this.id, direction },
    });
    this.#adopt(transport, direction);
    if (direction === 'recv') {
      if (!remote) throw new OriginError('bad_message', 'a receive PlainTransport needs a remote address');
      await transport.connect({ ip: remote.ip, port: remote.port });
    }
    return transport;
  }

  #checkTransportRoom(): void {
    if (this.#transports.size >= MAX_TRANSPORTS_PER_PEER) throw new OriginError('rate_limited', 'too many transports; close one first');
  }

  #adopt(transport: ms.Transport, direction: Direction): void {
    if (this.#closed) {
      transport.close();
      throw new OriginError('not_joined', 'connection closed');
    }
    this.#transports.set(transport.id, { transport, direction, connectAsked: false });
    transport.observer.once('close', () => this.#transports.delete(transport.id));
  }

  #transport(id: string): { transport: ms.Transport; direction: Direction; connectAsked: boolean } {
    const t = this.#transports.get(id);
    if (!t) throw new OriginError('not_found', 'no such transport');
    return t;
  }

  #producer(id: string): ms.Producer<ProducerAppData> {
    const p = this.#producers.get(id);
    if (!p) throw new OriginError('not_found', 'no such producer');
    return p;
  }

  #consumer(id: string): ms.Consumer {
    const c = this.#consumers.get(id);
    if (!c) throw new OriginError('not_found', 'no such consumer');
    return c;
  }

  /** Closes transports (and with them producers and consumers) and the socket. Idempotent. */
  close(code: number = ORIGIN_CLOSE.goingAway, reason = ''): void {
    if (this.#closed) return;
    for (const { transport } of this.#transports.values()) transport.close();
    this.#transports.clear();
    this.#closed = true;
    clearTimeout(this.#graceTimer);
    this.#held = [];
    try {
      this.#socket?.close(code, reason);
    } catch {
      // already closed by the other side
    }
    this.#meeting.removePeer(this);
  }
}
