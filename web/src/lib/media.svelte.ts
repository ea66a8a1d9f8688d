/**
 * Media through the meeting's mediasoup origin: one session per origin connection, holding
 * the device, a send and a receive transport, this client's producers and its consumers.
 *
 * E2EE is not optional here. Every RTCRtpSender and RTCRtpReceiver gets its SFrame transform
 * inside mediasoup-client's `onRtpSender` / `onRtpReceiver` callbacks, i.e. before the
 * SDP negotiation that starts the flow (a transform attached afterwards lets frames go out
 * in clear without any error; see docs/ARCHITECTURE.md). A producer or consumer whose
 * callback did not run is closed, and a failed attach closes the whole send side.
 * mediasoup-client's padding-only 'probator' receiver never passes through the callback.
 */
import { Device, type types } from 'mediasoup-client';
import type { MediaSource, OriginGrant, OriginNotification, OriginResults } from '@sealroom/protocol';
import { QUALITY_INTERVAL_MS, rateQuality, readIceRoutes, readInboundStats, type IceRoute, type InboundStat, type Quality } from './media-stats.ts';
import { OriginClient, OriginError, type OriginRequestData, watchIce } from './origin-client.ts';
import type { LoadedDevice, WarmOrigin } from './warm-origin.ts';

export type Codec = 'vp8' | 'opus';
export type SendSource = 'audio' | 'video' | 'screen';

/** What the session needs from the E2EE manager. */
export interface FrameSealer {
  attachSender(sender: RTCRtpSender, codec: Codec): void;
  attachReceiver(receiver: RTCRtpReceiver, codec: Codec): void;
}

/** Camera capture for now: one 640×480 VP8 encoding (no simulcast yet). */
export const CAMERA_CONSTRAINTS: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } };
export const VIDEO_ENCODINGS: RTCRtpEncodingParameters[] = [{ maxBitrate: 900_000 }];
/** Screen share: one high-resolution layer (text must stay sharp), at a modest frame rate. */
export const SCREEN_ENCODINGS: RTCRtpEncodingParameters[] = [{ maxBitrate: 2_500_000, maxFramerate: 15 }];
export const SCREEN_CONSTRAINTS: DisplayMediaStreamOptions = { video: { width: { max: 1920 }, height: { max: 1080 }, frameRate: { max: 15 } }, audio: false };

/** The E2EE transform could not be attached: nothing may be sent or received on that path. */
export class E2eeAttachError extends Error {
  override name = 'E2eeAttachError';
}

/** One remote participant's decrypted tracks, as the tiles render them. */
export interface RemoteMedia {
  audio: MediaStreamTrack | null;
  video: MediaStreamTrack | null;
  screen: MediaStreamTrack | null;
}

export interface MediaSessionHandlers {
  /** The session is unusable (origin asked to reconnect, socket or ICE lost): open a new one. */
  lost(reason: string): void;
  /** The origin paused one of our producers (the host muted us, or stopped our video). */
  pausedByServer(source: MediaSource, byHost: boolean): void;
  /** The host lifted its pause of `source`: we may resume it (nothing resumes by itself). */
  released?(source: MediaSource): void;
  /** A receiver could not get its E2EE transform; the session has closed itself. */
  e2eeFailed(err: E2eeAttachError): void;
}

type NewProducer = Extract<OriginNotification, { event: 'newProducer' }>['data'];

interface ConsumerEntry {
  consumer: types.Consumer;
  participantId: string;
  source: MediaSource;
}

/** The codec a consumer carries, as the E2EE transform names it; null for anything else. */
export function e2eeCodec(mimeType: string | undefined): Codec | null {
  switch (mimeType?.toLowerCase()) {
    case 'video/vp8':
      return 'vp8';
    case 'audio/opus':
      return 'opus';
    default:
      return null;
  }
}

/** The browser offers RTCRtpScriptTransform; otherwise the transform needs encoded insertable streams. */
function transportSettings(): Partial<RTCConfiguration> | undefined {
  if ('RTCRtpScriptTransform' in globalThis) return undefined;
  return { encodedInsertableStreams: true } as Partial<RTCConfiguration>;
}

/** The grant's TURN servers and policy as mediasoup-client transport options (none: direct ICE only). */
export function iceOptionsOf(grant: Pick<OriginGrant, 'iceServers' | 'iceTransportPolicy'>): Pick<types.TransportOptions, 'iceServers' | 'iceTransportPolicy'> {
  return {
    ...(grant.iceServers?.length ? { iceServers: grant.iceServers.map((s) => ({ ...s })) } : {}),
    ...(grant.iceTransportPolicy ? { iceTransportPolicy: grant.iceTransportPolicy } : {}),
  };
}

export class MediaSession {
  #ice: Pick<types.TransportOptions, 'iceServers' | 'iceTransportPolicy'> = {};
  readonly #client: OriginClient;
  /** Set up in #setup: the device readied at the pre-join form, or a new one. */
  #device!: Device;
  readonly #sealer: FrameSealer;
  readonly #handlers: MediaSessionHandlers;
  readonly #selfId: string;
  #send: types.Transport | null = null;
  #recv: types.Transport | null = null;
  readonly #producers = new Map<SendSource, types.Producer>();
  /** A produce under way per source: a second caller waits for it, then replaces the track. */
  readonly #producing = new Map<SendSource, Promise<void>>();
  readonly #consumers = new Map<string, ConsumerEntry>();
  /** Producer announcements that arrived before the receive transport was ready. */
  #queued: NewProducer[] = [];
  #ready = false;
  #closed = false;

  #remote = $state.raw<Readonly<Record<string, RemoteMedia>>>({});
  #activeSpeaker = $state<string | null>(null);
  /** dBov (−127…0) of whoever is speaking now, by participant id; absent = silent. */
  #audioLevels = $state.raw<Readonly<Record<string, number>>>({});
  #quality = $state.raw<Readonly<Record<string, Quality>>>({});
  #counts = new Map<string, { received: number; lost: number }>();
  #qualityTimer: ReturnType<typeof setInterval> | undefined;
  /** Participants whose camera is not on screen: their video consumers stay paused at the origin. */
  #hidden = new Set<string>();

  private constructor(client: OriginClient, sealer: FrameSealer, handlers: MediaSessionHandlers, selfId: string) {
    this.#client = client;
    this.#sealer = sealer;
    this.#handlers = handlers;
    this.#selfId = selfId;
  }

  /**
   * Connects to the origin, authenticates with the ticket, loads the device, makes both
   * transports. `warm` (warm-origin.ts) is the socket and device readied at the pre-join form,
   * used when it is for the grant's origin.
   */
  static async open(
    grant: OriginGrant,
    selfId: string,
    sealer: FrameSealer,
    handlers: MediaSessionHandlers,
    warm: WarmOrigin | null = null,
  ): Promise<MediaSession> {
    let session: MediaSession | null = null;
    const relay = {
      onNotification: (n: OriginNotification) => {
        if (session) session.#onNotification(n);
      },
      onClosed: (reason: string) => {
        if (session) session.#lose(`origin socket ${reason}`);
      },
    };
    performance.mark('sealroom:origin-dial');
    const ready = warm?.url === grant.url ? warm.take(relay) : null;
    // An open socket is used at once: the welcome's own work (the call view rendering) would
    // otherwise run before the ticket goes out.
    const client = ready?.open ?? (await ready?.client) ?? (await OriginClient.connect(grant.url, relay));
    try {
      performance.mark('sealroom:origin-open');
      session = new MediaSession(client, sealer, handlers, selfId);
      session.#ice = iceOptionsOf(grant);
      await session.#setup(grant.ticket, ready?.device ?? null);
      return session;
    } catch (err) {
      session?.close();
      client.close();
      throw err;
    }
  }

  /** Remote tracks by participant id. */
  get remote(): Readonly<Record<string, RemoteMedia>> {
    return this.#remote;
  }
  get activeSpeaker(): string | null {
    return this.#activeSpeaker;
  }
  get audioLevels(): Readonly<Record<string, number>> {
    return this.#audioLevels;
  }
  /** Receive quality by participant id (absent until measured). */
  get quality(): Readonly<Record<string, Quality>> {
    return this.#quality;
  }

  /**
   * Which participants' cameras are on screen. The others' camera consumers are paused at the
   * origin (no bandwidth spent on tiles nobody sees) and resumed when they come back; audio
   * and screens always flow.
   */
  async setHidden(ids: Iterable<string>): Promise<void> {
    const next = new Set(ids);
    const changed: Promise<unknown>[] = [];
    for (const { consumer, participantId, source } of this.#consumers.values()) {
      if (source !== 'video' || consumer.closed) continue;
      const hide = next.has(participantId);
      if (hide === this.#hidden.has(participantId)) continue;
      if (hide) {
        consumer.pause();
        changed.push(this.#client.request('pauseConsumer', { consumerId: consumer.id }));
      } else {
        consumer.resume();
        changed.push(this.#client.request('resumeConsumer', { consumerId: consumer.id }));
      }
    }
    this.#hidden = next;
    await Promise.allSettled(changed);
  }

  /** Whether our consumer of this participant's camera is paused (test hook and indicators). */
  cameraPaused(participantId: string): boolean | null {
    for (const { consumer, participantId: id, source } of this.#consumers.values()) if (id === participantId && source === 'video') return consumer.paused;
    return null;
  }

  async #measureQuality(): Promise<void> {
    const next: Record<string, Quality> = {};
    const seen = new Set<string>();
    // One stream per participant: the camera when we receive it, else the microphone.
    const pick = new Map<string, types.Consumer>();
    for (const { consumer, participantId, source } of this.#consumers.values()) {
      if (consumer.closed || consumer.paused || source === 'screen') continue;
      if (source === 'video' || !pick.has(participantId)) pick.set(participantId, consumer);
    }
    for (const [participantId, consumer] of pick) {
      try {
        const report = await consumer.getStats();
        for (const s of report.values()) {
          if (s.type !== 'inbound-rtp') continue;
          const key = `${participantId}:${consumer.id}`;
          seen.add(key);
          const received = s.packetsReceived ?? 0;
          const lost = Math.max(0, s.packetsLost ?? 0);
          const prev = this.#counts.get(key);
          this.#counts.set(key, { received, lost });
          if (prev && received > prev.received) {
            const dl = lost - prev.lost;
            next[participantId] = rateQuality(Math.max(0, dl) / (received - prev.received + Math.max(0, dl)), s.jitter ?? 0);
          } else if (this.#quality[participantId]) next[participantId] = this.#quality[participantId];
          break;
        }
      } catch {
        // A consumer closing under us: measured next time, if it is still there.
      }
    }
    for (const k of this.#counts.keys()) if (!seen.has(k)) this.#counts.delete(k);
    if (!this.#closed) this.#quality = next;
  }

  async #setup(ticket: string, warmDevice: Promise<LoadedDevice | null> | null): Promise<void> {
    // The origin answers one socket's requests in order, auth first, so the requests that need
    // only the ticket go out together: one round trip instead of four. If auth fails, so do the others.
    const [auth, { rtpCapabilities }, sendInfo, recvInfo, loaded] = await Promise.all([
      this.#client.request('auth', { ticket }),
      this.#client.request('rtpCapabilities', {}),
      this.#client.request('createTransport', { direction: 'send' }),
      this.#client.request('createTransport', { direction: 'recv' }),
      warmDevice,
    ]);
    if (auth.participantId !== this.#selfId) throw new OriginError('bad_ticket', 'ticket is for someone else', 'auth');
    // The device readied before the join serves only if the meeting's router has exactly its capabilities.
    if (loaded?.capabilities === JSON.stringify(rtpCapabilities)) this.#device = loaded.device;
    else {
      this.#device = new Device();
      await this.#device.load({ routerRtpCapabilities: rtpCapabilities as types.RtpCapabilities });
    }
    performance.mark('sealroom:device-loaded');
    this.#send = this.#makeTransport('send', sendInfo);
    this.#recv = this.#makeTransport('recv', recvInfo);
    performance.mark('sealroom:transports');
    this.#ready = true;
    this.#qualityTimer = setInterval(() => void this.#measureQuality(), QUALITY_INTERVAL_MS);
    const queued = this.#queued;
    this.#queued = [];
    void this.#consumeAll(queued);
  }

  #makeTransport(direction: 'send' | 'recv', info: OriginResults['createTransport']): types.Transport {
    const options: types.TransportOptions = {
      id: info.id,
      iceParameters: info.iceParameters as types.IceParameters,
      iceCandidates: info.iceCandidates as types.IceCandidate[],
      dtlsParameters: info.dtlsParameters as types.DtlsParameters,
      additionalSettings: transportSettings(),
      ...this.#ice,
    };
    const transport = direction === 'send' ? this.#device.createSendTransport(options) : this.#device.createRecvTransport(options);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.#client
        .request('connectTransport', { transportId: transport.id, dtlsParameters: dtlsParameters as OriginRequestData['connectTransport']['dtlsParameters'] })
        .then(() => callback(), errback);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        this.#client
          .request('produce', {
            transportId: transport.id,
            kind,
            source: appData['source'] as MediaSource,
            rtpParameters: rtpParameters as unknown as OriginRequestData['produce']['rtpParameters'],
          })
          .then(({ producerId }) => callback({ id: producerId }), errback);
      });
    }
    // Join phases, read by bench/join.
    const onConnected = (state: RTCPeerConnectionState) => {
      if (state !== 'connected') return;
      performance.mark(`sealroom:${direction}-connected`);
      transport.off('connectionstatechange', onConnected);
    };
    transport.on('connectionstatechange', onConnected);
    // A failed (or long disconnected) transport gets an ICE restart before the session is given up.
    watchIce(transport, {
      restartIce: (transportId) => this.#client.request('restartIce', { transportId }),
      onGiveUp: (reason) => this.#lose(`${direction} transport: ${reason}`),
    });
    return transport;
  }

  /**
   * Sends a local track, sealed. Replaces the track if this source is already being sent.
   * Calls for one source run one after the other: a share started while a new session sends
   * what we already shared would otherwise ask the origin for a second screen producer.
   */
  async produce(source: SendSource, track: MediaStreamTrack): Promise<void> {
    const before = this.#producing.get(source);
    const run = (async () => {
      if (before) await before.catch(() => undefined);
      await this.#produceNow(source, track);
    })();
    this.#producing.set(source, run);
    try {
      await run;
    } finally {
      if (this.#producing.get(source) === run) this.#producing.delete(source);
    }
  }

  async #produceNow(source: SendSource, track: MediaStreamTrack): Promise<void> {
    const send = this.#send;
    if (!send || this.#closed) throw new OriginError('closed', 'media session is closed');
    const existing = this.#producers.get(source);
    if (existing && !existing.closed) {
      await existing.replaceTrack({ track });
      return;
    }
    const isVideo = source !== 'audio';
    const codec: Codec = isVideo ? 'vp8' : 'opus';
    if (source === 'screen' && 'contentHint' in track) track.contentHint = 'detail';
    let sealed = false;
    let attachFailed = false;
    let producer: types.Producer;
    try {
      producer = await send.produce({
        track,
        stopTracks: false,
        codec: isVideo ? this.#vp8() : undefined,
        encodings: source === 'video' ? VIDEO_ENCODINGS : source === 'screen' ? SCREEN_ENCODINGS : undefined,
        codecOptions: source === 'audio' ? { opusFec: true, opusDtx: false } : undefined,
        appData: { source },
        onRtpSender: (sender) => {
          try {
            this.#sealer.attachSender(sender, codec);
            sealed = true;
          } catch (err) {
            attachFailed = true;
            throw err;
          }
        },
      });
    } catch (err) {
      // A sender whose transform could not be attached may still sit in the peer connection,
      // and the next negotiation would start it in clear: drop the whole send side.
      if (attachFailed) {
        this.#closeSendSide();
        throw new E2eeAttachError(`could not seal ${source}: ${String(err)}`);
      }
      throw err;
    }
    if (!sealed) {
      producer.close();
      this.#closeSendSide();
      throw new E2eeAttachError(`${source} sender was created without its E2EE transform`);
    }
    this.#producers.set(source, producer);
    producer.on('transportclose', () => this.#producers.delete(source));
  }

  /** Pauses or resumes what we send, locally and at the origin (so nobody gets stale frames). */
  async setPaused(source: SendSource, paused: boolean): Promise<void> {
    const producer = this.#producers.get(source);
    if (!producer || producer.closed || producer.paused === paused) return;
    if (paused) {
      producer.pause();
      await this.#client.request('pauseProducer', { producerId: producer.id });
    } else {
      producer.resume();
      await this.#client.request('resumeProducer', { producerId: producer.id });
    }
  }

  /** Stops sending a source for good (the screen share ends); the origin closes its consumers. */
  async closeProducer(source: SendSource): Promise<void> {
    const producer = this.#producers.get(source);
    if (!producer) return;
    this.#producers.delete(source);
    if (producer.closed) return;
    producer.close();
    await this.#client.request('closeProducer', { producerId: producer.id });
  }

  isProducing(source: SendSource): boolean {
    const p = this.#producers.get(source);
    return !!p && !p.closed;
  }

  /** Inbound RTP figures of every consumer, as the end-to-end test reads them. */
  inboundStats(): Promise<InboundStat[]> {
    return readInboundStats(this.#consumers.values());
  }

  /** How each transport reaches the origin, as the end-to-end test reads it. */
  iceRoutes(): Promise<IceRoute[]> {
    return readIceRoutes([
      ['send', this.#send],
      ['recv', this.#recv],
    ]);
  }

  /** Closes transports, producers and consumers and the origin socket. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#qualityTimer);
    this.#send?.close();
    this.#recv?.close();
    this.#producers.clear();
    this.#consumers.clear();
    this.#queued = [];
    this.#client.close();
    this.#remote = {};
  }

  #vp8(): types.RtpCodecCapability | undefined {
    return this.#device.sendRtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === 'video/vp8');
  }

  #closeSendSide(): void {
    this.#send?.close();
    this.#send = null;
    this.#producers.clear();
  }

  #lose(reason: string): void {
    if (this.#closed) return;
    this.close();
    this.#handlers.lost(reason);
  }

  #onNotification(n: OriginNotification): void {
    if (this.#closed) return;
    switch (n.event) {
      case 'newProducer':
        if (n.data.participantId === this.#selfId) return;
        if (this.#ready) void this.#consumeAll([n.data]);
        else this.#queued.push(n.data);
        return;
      case 'producerClosed':
        this.#queued = this.#queued.filter((q) => q.producerId !== n.data.producerId);
        for (const [id, e] of this.#consumers) if (e.consumer.producerId === n.data.producerId) this.#dropConsumer(id);
        return;
      case 'consumerClosed':
        this.#dropConsumer(n.data.consumerId);
        return;
      case 'producerPaused': {
        for (const [source, p] of this.#producers) {
          if (p.id !== n.data.producerId) continue;
          p.pause();
          this.#handlers.pausedByServer(source, n.data.byHost);
        }
        return;
      }
      case 'activeSpeaker':
        this.#activeSpeaker = n.data.participantId;
        return;
      case 'audioLevels':
        this.#audioLevels = Object.fromEntries(n.data.levels.map((l) => [l.participantId, l.dBov]));
        return;
      case 'released':
        this.#handlers.released?.(n.data.source);
        return;
      case 'reconnect':
        this.#lose(`origin asked to reconnect: ${n.data.reason}`);
        return;
      default:
        assertNever(n);
    }
  }

  /**
   * Receives producers announced together (everyone already sending when we joined) in one SDP
   * exchange: mediasoup-client makes one renegotiation of the consume() calls made in the same
   * tick, so the origin's answers are all awaited first and then handed over at once.
   */
  async #consumeAll(ps: NewProducer[]): Promise<void> {
    if (ps.length === 0) return;
    const answers = await Promise.all(ps.map((p) => this.#askToConsume(p)));
    await Promise.all(answers.map((res, i) => (res ? this.#receive(ps[i]!, res) : undefined)));
  }

  /** The origin's consumer for `p` (created paused), or null if it could not make one. */
  async #askToConsume(p: NewProducer): Promise<OriginResults['consume'] | null> {
    const recv = this.#recv;
    if (!recv || this.#closed) return null;
    try {
      return await this.#client.request('consume', {
        transportId: recv.id,
        producerId: p.producerId,
        rtpCapabilities: this.#device.recvRtpCapabilities as unknown as OriginRequestData['consume']['rtpCapabilities'],
      });
    } catch (err) {
      if (!this.#closed) console.warn('sealroom: could not receive', { producerId: p.producerId, kind: p.kind, error: String(err) });
      return null;
    }
  }

  async #receive(p: NewProducer, res: OriginResults['consume']): Promise<void> {
    const recv = this.#recv;
    if (!recv || this.#closed) return;
    try {
      const rtpParameters = res.rtpParameters as unknown as types.RtpParameters;
      const codec = e2eeCodec(rtpParameters.codecs[0]?.mimeType);
      if (!codec) throw new Error(`cannot decrypt codec ${rtpParameters.codecs[0]?.mimeType ?? 'none'}`);
      let opened = false;
      let attachFailed = false;
      let consumer: types.Consumer;
      try {
        consumer = await recv.consume({
          id: res.consumerId,
          producerId: res.producerId,
          kind: res.kind,
          rtpParameters,
          onRtpReceiver: (receiver) => {
            try {
              this.#sealer.attachReceiver(receiver, codec);
              opened = true;
            } catch (err) {
              attachFailed = true;
              throw err;
            }
          },
        });
      } catch (err) {
        throw attachFailed ? new E2eeAttachError(`could not open ${p.kind}: ${String(err)}`) : err;
      }
      if (!opened || this.#closed) {
        consumer.close();
        if (!opened) throw new E2eeAttachError('receiver was created without its E2EE transform');
        return;
      }
      this.#consumers.set(consumer.id, { consumer, participantId: res.participantId, source: res.source });
      consumer.on('transportclose', () => this.#consumers.delete(consumer.id));
      this.#setRemoteTrack(res.participantId, res.source, consumer.track);
      performance.mark(`sealroom:consumed-${res.kind}`);
      // Consumers start paused at the origin, but for those on a transport not yet connected
      // (media.ts of the origin); an off-screen camera stays or becomes paused.
      if (res.source === 'video' && this.#hidden.has(res.participantId)) {
        consumer.pause();
        if (!res.paused) await this.#client.request('pauseConsumer', { consumerId: consumer.id });
      } else {
        if (res.paused) await this.#client.request('resumeConsumer', { consumerId: consumer.id });
        performance.mark(`sealroom:resumed-${res.kind}`);
      }
    } catch (err) {
      if (this.#closed) return;
      if (err instanceof E2eeAttachError) {
        // A receiver without its transform would feed ciphertext to the decoder: stop here.
        this.close();
        this.#handlers.e2eeFailed(err);
        return;
      }
      console.warn('sealroom: could not receive', { producerId: p.producerId, kind: p.kind, error: String(err) });
    }
  }

  #dropConsumer(consumerId: string): void {
    const e = this.#consumers.get(consumerId);
    if (!e) return;
    this.#consumers.delete(consumerId);
    e.consumer.close();
    if (this.#remote[e.participantId]?.[e.source] === e.consumer.track) this.#setRemoteTrack(e.participantId, e.source, null);
  }

  #setRemoteTrack(participantId: string, source: MediaSource, track: MediaStreamTrack | null): void {
    const current = this.#remote[participantId] ?? { audio: null, video: null, screen: null };
    const next = { ...current, [source]: track };
    const copy = { ...this.#remote };
    if (!next.audio && !next.video && !next.screen) delete copy[participantId];
    else copy[participantId] = next;
    this.#remote = copy;
  }
}

function assertNever(x: never): never {
  throw new Error(`unhandled origin notification: ${JSON.stringify(x)}`);
}
