/**
 * One meeting on this origin: its routers, the participants connected here, the
 * dominant-speaker and audio-level observers, the host's pauses, and the pipes that join it
 * to the same meeting on other origins (cascading).
 *
 * A meeting starts with one (primary) router. When it outgrows `maxPeersPerRouter`, newcomers
 * go to a router on another worker, and every producer is piped (`pipeToRouter`) into every
 * router of the meeting, so anyone can consume anything by the same producer id. The
 * primary router sees every producer: the observers, the test tap and the pipes to other
 * origins live there. Producers piped in from another origin have no peer here; they are
 * listed apart and offered to participants like any other.
 * The routers can be replaced when a worker dies; the meeting object, and what the host
 * enforced, outlive that.
 */
import { type MediaSource, ORIGIN_CLOSE, type OriginNotification } from '@sealroom/protocol';
import type { types as ms } from 'mediasoup';
import type { Logger } from './log.ts';
import { errText } from './log.ts';
import { AudioLevels } from './audio-levels.ts';
import { ACTIVE_SPEAKER_INTERVAL_MS, MEDIA_CODECS } from './media.ts';
import type { Peer, ProducerAppData } from './peer.ts';

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
  #levels: AudioLevels;
  /** Producers piped in from another origin (no peer of theirs is here), by id. */
  readonly #piped = new Map<string, ms.Producer<ProducerAppData>>();
  /** Pipe transports to other origins, by id. */
  readonly #pipes = new Map<string, ms.PipeTransport>();
  #closed = false;
  #ready: Promise<void> = Promise.resolve();
  #settleReady: { resolve: () => void; reject: (e: unknown) => void } | undefined;

  private constructor(opts: MeetingRouterOptions, router: ms.Router, speaker: ms.ActiveSpeakerObserver, levels: AudioLevels) {
    this.id = opts.meetingId;
    this.#log = opts.log.child({ meetingId: opts.meetingId });
    this.#hostPauses = opts.hostPauses;
    this.#onEmpty = opts.onEmpty;
    this.#spread = opts.spread;
    this.#worker = opts.worker;
    this.#router = router;
    this.#speaker = speaker;
    this.#levels = levels;
    this.#watchSpeaker();
  }

  static async create(opts: MeetingRouterOptions): Promise<MeetingRouter> {
    const { router, speaker, levels } = await MeetingRouter.#makeRouter(opts.worker, opts.meetingId);
    const m = new MeetingRouter(opts, router, speaker, levels);
    m.#log.info({ event: 'meeting_router_created', workerPid: opts.worker.pid });
    return m;
  }

  static async #makeRouter(worker: ms.Worker, meetingId: string): Promise<{ router: ms.Router; speaker: ms.ActiveSpeakerObserver; levels: AudioLevels }> {
    const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS, appData: { meetingId } });
    try {
      const speaker = await router.createActiveSpeakerObserver({ interval: ACTIVE_SPEAKER_INTERVAL_MS });
      const levels = await AudioLevels.create(router);
      return { router, speaker, levels };
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
    const levels = this.#levels;
    levels.onChange((msg) => {
      if (this.#levels === levels) this.broadcast(msg);
    });
  }

  /** Adds a peer; a previous connection of the same participant is replaced (a reconnect). */
  addPeer(peer: Peer): void {
    if (this.#closed) throw new Error('meeting closed');
    const old = this.#peers.get(peer.id);
    this.#peers.set(peer.id, peer);
    if (old && old !== peer) old.close(ORIGIN_CLOSE.replaced, 'replaced by a newer connection');
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
    this.#closeIfUnused();
  }

  /** Nobody here and no pipe to another origin: the meeting has no reason to stay. */
  #closeIfUnused(): void {
    if (this.#peers.size === 0 && this.#pipes.size === 0 && !this.#closed) this.#onEmpty(this);
  }

  /** Every producer of the meeting here: participants' own, then those piped in. */
  *producers(): Generator<ms.Producer<ProducerAppData>> {
    for (const peer of this.#peers.values()) yield* peer.producers.values();
    yield* this.#piped.values();
  }

  findProducer(id: string): ms.Producer<ProducerAppData> | undefined {
    for (const peer of this.#peers.values()) {
      const p = peer.producers.get(id);
      if (p) return p;
    }
    return this.#piped.get(id);
  }

  // ── cascading (the mediasoup calls are in cascade.ts) ──────────────────────

  /** Keeps a pipe transport to another origin until it closes. */
  addPipe(pipe: ms.PipeTransport): void {
    if (this.#closed) {
      pipe.close();
      throw new Error('meeting closed');
    }
    this.#pipes.set(pipe.id, pipe);
    pipe.observer.once('close', () => {
      this.#pipes.delete(pipe.id);
      this.#closeIfUnused();
    });
  }

  pipe(id: string): ms.PipeTransport | undefined {
    return this.#pipes.get(id);
  }

  get pipeCount(): number {
    return this.#pipes.size;
  }

  /**
   * A producer that arrived through a pipe from another origin: piped on to this meeting's
   * other routers, observed, and announced to everyone here, as a participant's would be.
   */
  async addPipedProducer(producer: ms.Producer<ProducerAppData>): Promise<void> {
    this.#piped.set(producer.id, producer);
    producer.observer.once('close', () => {
      this.#piped.delete(producer.id);
      this.onProducerClosed(null, producer);
    });
    try {
      await this.onNewProducer(null, producer);
    } catch (err) {
      producer.close();
      throw err;
    }
  }

  /** Host enforcement for a participant whose media comes from another origin. */
  async pausePiped(participantId: string, source: MediaSource): Promise<number> {
    let n = 0;
    for (const p of this.#piped.values()) {
      if (p.appData.participantId !== participantId || p.appData.source !== source) continue;
      await p.pause();
      n++;
    }
    return n;
  }

  broadcast(n: OriginNotification, except?: Peer): void {
    for (const peer of this.#peers.values()) if (peer !== except) peer.notify(n);
  }

  /** `owner` is null for a producer piped in from another origin (it lives on the primary). */
  async onNewProducer(owner: Peer | null, producer: ms.Producer<ProducerAppData>): Promise<void> {
    const participantId = producer.appData.participantId;
    this.#log.info({
      event: 'producer_created',
      participantId,
      source: producer.appData.source,
      kind: producer.kind,
      simulcast: producer.rtpParameters.encodings?.length ?? 1,
      piped: owner === null,
    });
    if (this.#extras.length > 0) {
      // Every other router of the meeting gets the producer (same id) before anyone hears of it.
      await this.#locked(async () => {
        const from = owner ? this.routerOf(owner.id) : this.#router;
        for (const to of [this.#router, ...this.#extras.map((e) => e.router)]) {
          if (to !== from && !producer.closed) await from.pipeToRouter({ producerId: producer.id, router: to });
        }
      });
    }
    if (producer.closed) return;
    if (producer.kind === 'audio') {
      this.#speaker.addProducer({ producerId: producer.id }).catch((err) => this.#log.warn({ event: 'speaker_observer_failed', error: errText(err) }));
      this.#levels.add(producer).catch((err) => this.#log.warn({ event: 'audio_level_observer_failed', error: errText(err) }));
    }
    this.broadcast(newProducerMsg(producer), owner ?? undefined);
    for (const l of this.#newProducerListeners) l(producer);
  }

  onProducerClosed(owner: Peer | null, producer: ms.Producer<ProducerAppData>): void {
    if (this.#closed) return;
    this.broadcast({ type: 'notification', event: 'producerClosed', data: { producerId: producer.id } }, owner ?? undefined);
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
    // Pipes and piped producers died with the router; the edge pipes again after a reconnect.
    this.#pipes.clear();
    this.#piped.clear();
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
      peer.close(ORIGIN_CLOSE.reconnect, 'reconnect');
    }
    this.#log.warn({ event: 'meeting_evicted', reason, peersToldToReconnect: peers.length });
  }

  async rebuild(worker: ms.Worker): Promise<void> {
    if (this.#closed) return;
    try {
      const { router, speaker, levels } = await MeetingRouter.#makeRouter(worker, this.id);
      if (this.#closed) {
        router.close();
        return;
      }
      this.#worker = worker;
      this.#router = router;
      this.#speaker = speaker;
      this.#levels = levels;
      this.#watchSpeaker();
      this.#settleReady?.resolve();
      this.#log.warn({ event: 'meeting_router_recreated', workerPid: worker.pid });
      // If nobody comes back, the rebuilt router must not live forever.
      setTimeout(() => this.#closeIfUnused(), REBUILT_IDLE_MS).unref();
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
  close(code: number = ORIGIN_CLOSE.meetingClosed, reason = 'meeting closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const peer of [...this.#peers.values()]) peer.close(code, reason);
    this.#peers.clear();
    this.#newProducerListeners.clear();
    this.#settleReady?.reject(new Error('meeting closed'));
    for (const e of this.#extras.splice(0)) e.router.close();
    this.#placement.clear();
    this.#pipes.clear();
    this.#piped.clear();
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
