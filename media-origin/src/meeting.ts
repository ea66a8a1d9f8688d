/**
 * One meeting on this origin: its router (on one worker), the participants connected here,
 * the dominant-speaker observer, and the host's pauses. The router can be swapped for a new
 * one when its worker dies; the meeting object, and what the host enforced, outlive that.
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
}

export class MeetingRouter {
  readonly id: string;
  readonly #log: Logger;
  readonly #hostPauses: HostPauses;
  readonly #onEmpty: (m: MeetingRouter) => void;
  readonly #peers = new Map<string, Peer>();
  readonly #newProducerListeners = new Set<(p: ms.Producer<ProducerAppData>) => void>();
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

  get router(): ms.Router {
    return this.#router;
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

  onNewProducer(owner: Peer, producer: ms.Producer<ProducerAppData>): void {
    this.#log.info({ event: 'producer_created', participantId: owner.id, source: producer.appData.source, kind: producer.kind, simulcast: producer.rtpParameters.encodings?.length ?? 1 });
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
