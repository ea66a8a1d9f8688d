/**
 * The meetings on this origin: one router set per meeting (and per breakout room), created on
 * first use, freed when empty, rebuilt when their worker dies. Also remembers what outlives a
 * meeting here: host pauses (a participant's producer starts paused) and removals (tickets
 * issued before one are refused).
 */
import { type MediaSource, ORIGIN_CLOSE, TICKET_TTL_SECONDS } from '@sealroom/protocol';
import type { types as ms } from 'mediasoup';
import type { OriginConfig } from './config.ts';
import { OriginError } from './errors.ts';
import { type Logger, errText } from './log.ts';
import { type HostPauses, MeetingRouter } from './meeting.ts';
import { TICKET_CLOCK_TOLERANCE_S } from './ticket.ts';
import type { WorkerPool } from './worker-pool.ts';

/** How long a removal (participant or meeting) outlives the tickets issued before it. */
const TOMBSTONE_MS = (TICKET_TTL_SECONDS + TICKET_CLOCK_TOLERANCE_S) * 1000;
/** Host pauses of a meeting with nobody here are forgotten after this long. */
const IDLE_PAUSES_MS = 10 * 60_000;
const SWEEP_MS = 60_000;

export interface MeetingRegistryOptions {
  config: Pick<OriginConfig, 'peersPerRouter'>;
  log: Logger;
  pool: () => WorkerPool;
  /** Whether new meetings are refused (draining or closed). */
  refusing: () => boolean;
  /** A meeting left this origin (emptied or closed): the drain may be over. */
  onGone: () => void;
}

export class MeetingRegistry {
  readonly #opts: MeetingRegistryOptions;
  readonly #meetings = new Map<string, MeetingRouter>();
  readonly #creating = new Map<string, Promise<MeetingRouter>>();
  readonly #hostPauses = new Map<string, { pauses: HostPauses; idleSince: number | null }>();
  /** `meetingId` or `meetingId/participantId` → when it was removed (ms). */
  readonly #removed = new Map<string, number>();
  #sweepTimer: NodeJS.Timeout | undefined;

  constructor(opts: MeetingRegistryOptions) {
    this.#opts = opts;
  }

  startSweeping(): void {
    this.#sweepTimer = setInterval(() => this.#sweep(), SWEEP_MS);
    this.#sweepTimer.unref();
  }

  get(routerKey: string): MeetingRouter | undefined {
    return this.#meetings.get(routerKey);
  }

  get size(): number {
    return this.#meetings.size;
  }

  values(): IterableIterator<MeetingRouter> {
    return this.#meetings.values();
  }

  keys(): IterableIterator<string> {
    return this.#meetings.keys();
  }

  /** The main router of a meeting and those of its breakout rooms. */
  routersOf(meetingId: string): MeetingRouter[] {
    return [...this.#meetings.entries()].filter(([k]) => k === meetingId || k.startsWith(`${meetingId}/`)).map(([, m]) => m);
  }

  /** When the meeting, or one participant of it (`meetingId/participantId`), was removed. */
  removedAt(key: string): number | undefined {
    return this.#removed.get(key);
  }

  markRemoved(key: string): void {
    this.#removed.set(key, Date.now());
  }

  /** Host pauses per meeting, for the test state endpoint. */
  get hostPauses(): ReadonlyMap<string, { pauses: HostPauses }> {
    return this.#hostPauses;
  }

  pausesOf(meetingId: string): HostPauses {
    return this.#hostPausesEntry(meetingId).pauses;
  }

  releasePause(meetingId: string, participantId: string, source: MediaSource): void {
    this.#hostPauses.get(meetingId)?.pauses.get(participantId)?.delete(source);
  }

  /**
   * The router for `routerKey`: the meeting id for its main room, `meetingId/bN` for breakout
   * room N. Host pauses belong to the meeting, so they follow a participant between rooms.
   */
  async meetingFor(routerKey: string, meetingId: string = routerKey): Promise<MeetingRouter> {
    const existing = this.#meetings.get(routerKey);
    if (existing && !existing.closed) return existing;
    if (this.#opts.refusing()) throw new OriginError('no_origin', 'this origin is draining; ask the edge for another');
    let pending = this.#creating.get(routerKey);
    if (!pending) {
      const pool = this.#opts.pool();
      pending = (async () => {
        const worker = await pool.acquire();
        const meeting = await MeetingRouter.create({
          meetingId: routerKey,
          worker,
          log: this.#opts.log,
          hostPauses: this.pausesOf(meetingId),
          onEmpty: (m) => this.#onMeetingEmpty(m),
          spread: {
            maxPeersPerRouter: this.#opts.config.peersPerRouter,
            pickWorker: (exclude) => pool.pickOther(exclude),
            track: (w, r) => pool.track(w, r),
          },
        });
        pool.track(worker, meeting.router);
        this.#meetings.set(routerKey, meeting);
        this.#hostPausesEntry(meetingId).idleSince = null;
        return meeting;
      })().finally(() => this.#creating.delete(routerKey));
      this.#creating.set(routerKey, pending);
    }
    return pending;
  }

  /** Closes a meeting and its breakout rooms for good; answers how many routers it had here. */
  closeMeeting(meetingId: string): number {
    const routers = this.routersOf(meetingId);
    this.markRemoved(meetingId);
    for (const [k, m] of [...this.#meetings.entries()]) if (routers.includes(m)) this.#meetings.delete(k);
    this.#hostPauses.delete(meetingId);
    for (const m of routers) m.close(ORIGIN_CLOSE.meetingClosed, 'meeting closed');
    this.#opts.onGone();
    return routers.length;
  }

  /** Moves the meetings of a dead worker to a fresh one; their participants reconnect. */
  onWorkerDied(worker: ms.Worker): void {
    const pool = this.#opts.pool();
    for (const m of this.#meetings.values()) {
      if (!m.usesWorker(worker)) continue;
      m.evict('media worker restarted');
      pool
        .acquire()
        .then(async (w) => {
          await m.rebuild(w);
          pool.track(w, m.router);
        })
        .catch((err) => {
          this.#opts.log.error({ event: 'meeting_recovery_failed', meetingId: m.id, error: errText(err) });
          if (this.#meetings.get(m.id) === m) this.#meetings.delete(m.id);
          m.close(ORIGIN_CLOSE.reconnect, 'reconnect');
        });
    }
  }

  /** Tells everyone to reconnect elsewhere and forgets every meeting. */
  closeAll(): void {
    clearInterval(this.#sweepTimer);
    for (const m of this.#meetings.values()) {
      m.broadcast({ type: 'notification', event: 'reconnect', data: { reason: 'origin shutting down' } });
      m.close(ORIGIN_CLOSE.goingAway, 'origin shutting down');
    }
    this.#meetings.clear();
  }

  #hostPausesEntry(meetingId: string): { pauses: HostPauses; idleSince: number | null } {
    let e = this.#hostPauses.get(meetingId);
    if (!e) this.#hostPauses.set(meetingId, (e = { pauses: new Map(), idleSince: Date.now() }));
    return e;
  }

  #onMeetingEmpty(m: MeetingRouter): void {
    // Nobody left: free the router now; a returning participant gets a fresh one.
    if (this.#meetings.get(m.id) === m) this.#meetings.delete(m.id);
    m.close();
    const e = this.#hostPauses.get(m.id);
    if (e) e.idleSince = Date.now();
    this.#opts.onGone();
  }

  #sweep(): void {
    const now = Date.now();
    for (const [k, at] of this.#removed) if (now - at > TOMBSTONE_MS) this.#removed.delete(k);
    for (const [id, e] of this.#hostPauses) {
      if (e.idleSince !== null && now - e.idleSince > IDLE_PAUSES_MS && !this.#meetings.has(id)) this.#hostPauses.delete(id);
    }
  }
}
