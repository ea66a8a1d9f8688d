/**
 * One meeting on this origin: its routers, the participants connected here, the
 * dominant-speaker observer, and the host's pauses.
 *
 * A meeting starts with one (primary) router. When it outgrows `maxPeersPerRouter`, newcomers
 * go to a router on another worker, and every producer is piped (`pipeToRouter`) into every
 * router of the meeting, so anyone can consume anything by the same producer id. The
 * primary router sees every producer: the active-speaker observer and the test tap live there.
 * The routers can be replaced when a worker dies; the meeting object, and what the host
 * enforced, outlive that.
 */
import type { MediaSource, OriginNotification } from '@sealroom/protocol';
import type { types as ms } from 'mediasoup';
import type { Logger } from './log.ts';
import { errText } from './log.ts';
import { ACTIVE_SPEAKER_INTERVAL_MS, MEDIA_CODECS } from './media.ts';
import { CLOSE, type Peer, type ProducerAppData } from './peer.ts';

/** How long a rebuilt router waits for its participants to come back before it is freed. */
const REBUILT_IDLE_MS = 60_000;

/** Sources the host paused, per participant; kept by the origin so it survives reconnects. */
export type HostPauses = Map<string, Set<MediaSource>>;

export interface MeetingRouterOptions {
  meetingId: string;
  worker: ms.Worker;
  log: Logger;
  hostPauses: HostPauses;
  /** After the last peer left (the origin decides whether to close). */
  onEmpty: (meeting: MeetingRouter) => void;
  /** Spreading a large meeting over workers; absent = one router whatever the size. */
  spread?: {
    maxPeersPerRouter: number;
    /** A worker this meeting has no router on yet, or undefined if there is none. */
    pickWorker: (exclude: ms.Worker[]) => ms.Worker | undefined;
    /** Counts a new router against its worker. */
    track: (worker: ms.Worker, router: ms.Router) => void;
  };
}

/** A further router of a meeting, on another worker than the primary. */
interface ExtraRouter {
  router: ms.Router;
  worker: ms.Worker;
  peers: Set<string>;
}

export class MeetingRouter {
  readonly id: string;
  readonly #log: Logger;
  readonly #hostPauses: HostPauses;
  readonly #onEmpty: (m: MeetingRouter) => void;
  readonly #peers = new Map<string, Peer>();
  readonly #newProducerListeners = new Set<(p: ms.Producer<ProducerAppData>) => void>();
  readonly #spread: MeetingRouterOptions['spread'];
  readonly #extras: ExtraRouter[] = [];
  /** Peer id → its extra router; peers not in here are on the primary. */
  readonly #placement = new Map<string, ExtraRouter>();
  /** Placement and piping run one at a time, so no router misses a producer. */
  #serial: Promise<unknown> = Promise.resolve();
  #worker: ms.Worker;
  #router: ms.Router;
  #speaker: ms.ActiveSpeakerObserver;
  #closed = false;
  #ready: Promise<void> = Promise.resolve();
  #settleReady: { resolve: () => void; reject: (e: unknown) => void } | undefined;

  private constructor(opts: MeetingRouterOptions, router: ms.Router, speaker: ms.ActiveSpeakerObserver) {
    this.id = opts.meetingId;
    this.#log = opts.log.child({ meetingId: opts.meetingId });
    this.#hostPauses = opts.hostPauses;
    this.#onEmpty = opts.onEmpty;
    this.#spread = opts.spread;
    this.#worker = opts.worker;
    this.#router = router;
    this.#speaker = speaker;
    this.#watchSpeaker();
  }

  static async create(opts: MeetingRouterOptions): Promise<MeetingRouter> {
    const { router, speaker } = await MeetingRouter.#makeRouter(opts.worker, opts.meetingId);
    const m = new MeetingRouter(opts, router, speaker);
    m.#log.info({ event: 'meeting_router_created', workerPid: opts.worker.pid });
    return m;
  }

  static async #makeRouter(worker: ms.Worker, meetingId: string): Promise<{ router: ms.Router; speaker: ms.ActiveSpeakerObserver }> {
    const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS, appData: { meetingId } });
    try {
      const speaker = await router.createActiveSpeakerObserver({ interval: ACTIVE_SPEAKER_INTERVAL_MS });
      return { router, speaker };
    } catch (err) {
      router.close();
      throw err;
    }
  }

  /** The primary router: it carries (a pipe of) every producer of the meeting. */
  get router(): ms.Router {
    return this.#router;
  }

  /** The router a participant's transports live on. */
  routerOf(peerId: string): ms.Router {
    return this.#placement.get(peerId)?.router ?? this.#router;
  }

  get routerCount(): number {
    return 1 + this.#extras.length;
  }

  usesWorker(worker: ms.Worker): boolean {
    return this.#worker === worker || this.#extras.some((e) => e.worker === worker);
  }

  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn, fn);
    this.#serial = run.catch(() => undefined);
    return run;
  }

  /**
   * Chooses the router for a joining participant: the primary until it holds
   * `maxPeersPerRouter`, then the least-filled extra router, then a new router on a worker
   * the meeting doesn't use yet (with every current producer piped into it).
   */
  place(peerId: string): Promise<void> {
    return this.#locked(async () => {
      const spread = this.#spread;
      if (!spread || this.#closed || this.#peers.has(peerId) || this.#placement.has(peerId)) return;
      const onPrimary = [...this.#peers.keys()].filter((id) => !this.#placement.has(id)).length;
      if (onPrimary < spread.maxPeersPerRouter) return;
      let target = this.#extras.filter((e) => e.peers.size < spread.maxPeersPerRouter).sort((a, b) => a.peers.size - b.peers.size)[0];
      if (!target) {
        const worker = spread.pickWorker([this.#worker, ...this.#extras.map((e) => e.worker)]);
        if (worker) target = await this.#addExtra(worker);
      }
      if (!target) return; // every worker already has a full router of this meeting: stay on the primary
      target.peers.add(peerId);
      this.#placement.set(peerId, target);
    });
  }

  /** Undoes `place()` for a participant that never arrived (its socket closed meanwhile). */
  unplace(peerId: string): void {
    const extra = this.#placement.get(peerId);
    if (!extra || this.#peers.has(peerId)) return;
    this.#placement.delete(peerId);
    extra.peers.delete(peerId);
    this.#dropExtraIfEmpty(extra);
  }

  async #addExtra(worker: ms.Worker): Promise<ExtraRouter> {
    const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS, appData: { meetingId: this.id } });
    const extra: ExtraRouter = { router, worker, peers: new Set() };
    try {
      for (const p of this.producers()) {
        await this.routerOf(p.appData.participantId).pipeToRouter({ producerId: p.id, router });
      }
    } catch (err) {
      router.close();
      throw err;
    }
    this.#extras.push(extra);
    this.#spread?.track(worker, router);
    this.#log.info({ event: 'meeting_router_added', workerPid: worker.pid, routers: this.routerCount });
    return extra;
  }

  #dropExtraIfEmpty(extra: ExtraRouter): void {
    if (extra.peers.size > 0 || this.#closed) return;
    const i = this.#extras.indexOf(extra);
    if (i >= 0) this.#extras.splice(i, 1);
    extra.router.close();
    this.#log.info({ event: 'meeting_router_removed', workerPid: extra.worker.pid, routers: this.routerCount });
  }

  get worker(): ms.Worker {
    return this.#worker;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get peers(): ReadonlyMap<string, Peer> {
    return this.#peers;
  }

  #watchSpeaker(): void {
    const speaker = this.#speaker;
    speaker.on('dominantspeaker', ({ producer }) => {
      if (this.#speaker !== speaker) return;
      const participantId = (producer.appData as Partial<ProducerAppData>).participantId ?? null;
      this.broadcast({ type: 'notification', event: 'activeSpeaker', data: { participantId } });
    });
  }

  /** Adds a peer; a previous connection of the same participant is replaced (a reconnect). */
  addPeer(peer: Peer): void {
    if (this.#closed) throw new Error('meeting closed');
    const old = this.#peers.get(peer.id);
    this.#peers.set(peer.id, peer);
    if (old && old !== peer) old.close(CLOSE.replaced, 'replaced by a newer connection');
    // The newcomer learns what it can consume; others learn of its producers as they come.
    for (const p of this.producers()) {
      if (p.appData.participantId === peer.id) continue;
      peer.notify(newProducerMsg(p));
    }
  }

  removePeer(peer: Peer): void {
    if (this.#peers.get(peer.id) !== peer) return;
    this.#peers.delete(peer.id);
    const extra = this.#placement.get(peer.id);
    if (extra) {
      this.#placement.delete(peer.id);
      extra.peers.delete(peer.id);
      this.#dropExtraIfEmpty(extra);
    }
    if (this.#peers.size === 0 && !this.#closed) this.#onEmpty(this);
  }

  *producers(): Generator<ms.Producer<ProducerAppData>> {
    for (const peer of this.#peers.values()) yield* peer.producers.values();
  }

  findProducer(id: string): ms.Producer<ProducerAppData> | undefined {
    for (const peer of this.#peers.values()) {
      const p = peer.producers.get(id);
      if (p) return p;
    }
    return undefined;
  }

  broadcast(n: OriginNotification, except?: Peer): void {
    for (const peer of this.#peers.values()) if (peer !== except) peer.notify(n);
  }

  async onNewProducer(owner: Peer, producer: ms.Producer<ProducerAppData>): Promise<void> {
    this.#log.info({ event: 'producer_created', participantId: owner.id, source: producer.appData.source, kind: producer.kind, simulcast: producer.rtpParameters.encodings?.length ?? 1 });
    if (this.#extras.length > 0) {
      // Every other router of the meeting gets the producer (same id) before anyone hears of it.
      await this.#locked(async () => {
        const from = this.routerOf(owner.id);
        for (const to of [this.#router, ...this.#extras.map((e) => e.router)]) {
          if (to !== from && !producer.closed) await from.pipeToRouter({ producerId: producer.id, router: to });
        }
      });
    }
    if (producer.closed) return;
    if (producer.kind === 'audio') {
      this.#speaker.addProducer({ producerId: producer.id }).catch((err) => this.#log.warn({ event: 'speaker_observer_failed', error: errText(err) }));
    }
    this.broadcast(newProducerMsg(producer), owner);
    for (const l of this.#newProducerListeners) l(producer);
  }

  onProducerClosed(owner: Peer, producer: ms.Producer<ProducerAppData>): void {
    if (this.#closed) return;
    this.broadcast({ type: 'notification', event: 'producerClosed', data: { producerId: producer.id } }, owner);
  }

  /** Lets the test tap follow producers that appear while it records. */
  onProducer(listener: (p: ms.Producer<ProducerAppData>) => void): () => void {
    this.#newProducerListeners.add(listener);
    return () => this.#newProducerListeners.delete(listener);
  }

  isHostPaused(participantId: string, source: MediaSource): boolean {
    return this.#hostPauses.get(participantId)?.has(source) ?? false;
  }

  /**
   * The worker under this meeting died, and with it the router and every transport. Peers
   * are told at once to reconnect; they come back with their tickets and wait on `ready`
   * until `rebuild()` has a router on a live worker. The host's pauses stay: they live
   * outside the router.
   */
  evict(reason: string): void {
    if (this.#closed) return;
    const peers = [...this.#peers.values()];
    this.#peers.clear();
    this.#placement.clear();
    // The meeting comes back on one router; it spreads again as people rejoin.
    for (const e of this.#extras.splice(0)) e.router.close();
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    this.#ready = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#ready.catch(() => undefined);
    this.#settleReady = { resolve, reject };
    for (const peer of peers) {
      peer.notify({ type: 'notification', event: 'reconnect', data: { reason } });
      peer.close(CLOSE.reconnect, 'reconnect');
    }
    this.#log.warn({ event: 'meeting_evicted', reason, peersToldToReconnect: peers.length });
  }

  async rebuild(worker: ms.Worker): Promise<void> {
    if (this.#closed) return;
    try {
      const { router, speaker } = await MeetingRouter.#makeRouter(worker, this.id);
      if (this.#closed) {
        router.close();
        return;
      }
      this.#worker = worker;
      this.#router = router;
      this.#speaker = speaker;
      this.#watchSpeaker();
      this.#settleReady?.resolve();
      this.#log.warn({ event: 'meeting_router_recreated', workerPid: worker.pid });
      // If nobody comes back, the rebuilt router must not live forever.
      setTimeout(() => {
        if (!this.#closed && this.#peers.size === 0) this.#onEmpty(this);
      }, REBUILT_IDLE_MS).unref();
    } catch (err) {
      this.#settleReady?.reject(err);
      throw err;
    } finally {
      this.#settleReady = undefined;
    }
  }

  /** Resolves when the meeting has a working router (at once, except while recovering). */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** Closes every peer (their sockets with `code`) and the router. Idempotent. */
  close(code: number = CLOSE.meetingClosed, reason = 'meeting closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const peer of [...this.#peers.values()]) peer.close(code, reason);
    this.#peers.clear();
    this.#newProducerListeners.clear();
    this.#settleReady?.reject(new Error('meeting closed'));
    for (const e of this.#extras.splice(0)) e.router.close();
    this.#placement.clear();
    this.#router.close();
    this.#log.info({ event: 'meeting_router_closed' });
  }
}

function newProducerMsg(p: ms.Producer<ProducerAppData>): OriginNotification {
  return {
    type: 'notification',
    event: 'newProducer',
    data: { producerId: p.id, participantId: p.appData.participantId, kind: p.kind, source: p.appData.source },
  };
}
