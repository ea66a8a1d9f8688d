/**
 * The mediasoup workers of this origin (one per core by default) and which one takes the
 * next router. mediasoup is imported lazily: its module reads MEDIASOUP_WORKER_BIN once, when
 * first evaluated, so the launcher (or a test's setup) must have set it before `create()`.
 */
import type { types as ms } from 'mediasoup';
import { type Logger, errText } from './log.ts';

type Mediasoup = typeof import('mediasoup');

/**
 * Wait before replacing a worker that died young: one that dies at start must not spin the
 * CPU. One that ran for a while is replaced at once, since a live meeting waits for it.
 */
const RESPAWN_DELAY_MS = 1000;
const YOUNG_WORKER_MS = 30_000;

export interface WorkerPoolOptions {
  count: number;
  log: Logger;
  /** Called after a worker died and was removed from the pool (its routers are gone). */
  onDied: (worker: ms.Worker) => void;
  rtcMinPort?: number;
  rtcMaxPort?: number;
  /**
   * One WebRtcServer per worker: worker n listens for ICE on UDP and TCP port `port + n`, and
   * every WebRTC transport of its routers shares it. A firewall then opens a handful of ports
   * instead of a range, and TCP can sit on 443 for networks that allow nothing else.
   */
  webRtcServer?: { ip: string; announcedAddress?: string; port: number };
}

export interface WorkerLoad {
  pid: number;
  routers: number;
  /** CPU share since the previous sample, 0..1. */
  cpu: number;
}

export class WorkerPool {
  readonly #mediasoup: Mediasoup;
  readonly #opts: WorkerPoolOptions;
  readonly #workers = new Set<ms.Worker>();
  readonly #routers = new Map<ms.Worker, number>();
  readonly #cpu = new Map<ms.Worker, { at: number; cpuMs: number; share: number }>();
  readonly #servers = new Map<ms.Worker, ms.WebRtcServer>();
  readonly #serverOfRouter = new WeakMap<ms.Router, ms.WebRtcServer>();
  #closed = false;

  private constructor(mediasoup: Mediasoup, opts: WorkerPoolOptions) {
    this.#mediasoup = mediasoup;
    this.#opts = opts;
  }

  static async create(opts: WorkerPoolOptions): Promise<WorkerPool> {
    const mediasoup = await import('mediasoup');
    const pool = new WorkerPool(mediasoup, opts);
    try {
      await Promise.all(Array.from({ length: opts.count }, (_, slot) => pool.#spawn(slot)));
    } catch (err) {
      pool.close();
      throw err;
    }
    return pool;
  }

  get mediasoup(): Mediasoup {
    return this.#mediasoup;
  }

  get workers(): ms.Worker[] {
    return [...this.#workers];
  }

  /** `slot` is the worker's place in the pool; its replacement takes the same one (and ICE port). */
  async #spawn(slot: number): Promise<ms.Worker> {
    const worker = await this.#mediasoup.createWorker({
      logLevel: 'warn',
      // The RTC port range is set per transport (listenInfos.portRange); these are only the
      // deprecated worker-wide defaults, kept in step for transports made without one.
      ...(this.#opts.rtcMinPort ? { rtcMinPort: this.#opts.rtcMinPort, rtcMaxPort: this.#opts.rtcMaxPort } : {}),
    });
    if (this.#closed) {
      worker.close();
      throw new Error('worker pool closed');
    }
    const at = this.#opts.webRtcServer;
    if (at) {
      const listen = {
        ip: at.ip,
        port: at.port + slot,
        ...(at.announcedAddress && at.announcedAddress !== at.ip ? { announcedAddress: at.announcedAddress } : {}),
      };
      try {
        this.#servers.set(
          worker,
          await worker.createWebRtcServer({
            listenInfos: [
              { protocol: 'udp', ...listen },
              { protocol: 'tcp', ...listen },
            ],
          }),
        );
      } catch (err) {
        worker.close();
        throw new Error(`cannot listen for ICE on ${at.ip}:${at.port + slot} (UDP and TCP): ${errText(err)}`, { cause: err });
      }
    }
    this.#workers.add(worker);
    this.#routers.set(worker, 0);
    const bornAt = Date.now();
    worker.on('died', (err) => {
      this.#workers.delete(worker);
      this.#routers.delete(worker);
      this.#cpu.delete(worker);
      this.#servers.delete(worker);
      this.#opts.log.error({ event: 'worker_died', pid: worker.pid, error: errText(err) });
      this.#opts.onDied(worker);
      if (this.#closed) return;
      setTimeout(
        () => {
          if (this.#closed) return;
          this.#spawn(slot).then(
            (w) => this.#opts.log.info({ event: 'worker_replaced', pid: w.pid }),
            (e) => this.#opts.log.error({ event: 'worker_respawn_failed', error: errText(e) }),
          );
        },
        Date.now() - bornAt < YOUNG_WORKER_MS ? RESPAWN_DELAY_MS : 0,
      ).unref();
    });
    this.#opts.log.info({ event: 'worker_started', pid: worker.pid });
    return worker;
  }

  /**
   * The worker with the fewest routers. Routers, not consumers, are the unit here because a
   * meeting stays on its worker; the edge spreads meetings over origins by the same logic.
   */
  pick(exclude?: ms.Worker): ms.Worker {
    let best: ms.Worker | undefined;
    for (const w of this.#workers) {
      if (w === exclude || w.died) continue;
      if (!best || (this.#routers.get(w) ?? 0) < (this.#routers.get(best) ?? 0)) best = w;
    }
    if (!best) throw new Error('no live mediasoup worker');
    return best;
  }

  /** The least-loaded live worker not in `exclude`, if any. */
  pickOther(exclude: readonly ms.Worker[]): ms.Worker | undefined {
    let best: ms.Worker | undefined;
    for (const w of this.#workers) {
      if (exclude.includes(w) || w.died) continue;
      if (!best || (this.#routers.get(w) ?? 0) < (this.#routers.get(best) ?? 0)) best = w;
    }
    return best;
  }

  /** A live worker, waiting (up to `timeoutMs`) for a replacement if all of them just died. */
  async acquire(timeoutMs = 10_000): Promise<ms.Worker> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return this.pick();
      } catch (err) {
        if (this.#closed || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Counts a router against its worker until the router closes. */
  track(worker: ms.Worker, router: ms.Router): void {
    this.#routers.set(worker, (this.#routers.get(worker) ?? 0) + 1);
    const server = this.#servers.get(worker);
    if (server) this.#serverOfRouter.set(router, server);
    router.observer.once('close', () => {
      if (this.#routers.has(worker)) this.#routers.set(worker, Math.max(0, (this.#routers.get(worker) ?? 1) - 1));
    });
  }

  /** The WebRtcServer transports of `router` share, when the origin listens on fixed ports. */
  webRtcServerOf(router: ms.Router): ms.WebRtcServer | undefined {
    return this.#serverOfRouter.get(router);
  }

  /** Per-worker routers and CPU share since the previous call (getrusage of the worker). */
  async sample(): Promise<WorkerLoad[]> {
    const now = Date.now();
    const out: WorkerLoad[] = [];
    for (const w of this.#workers) {
      let share = this.#cpu.get(w)?.share ?? 0;
      try {
        const ru = await w.getResourceUsage();
        const cpuMs = ru.ru_utime + ru.ru_stime;
        const prev = this.#cpu.get(w);
        if (prev && now > prev.at) share = Math.max(0, (cpuMs - prev.cpuMs) / (now - prev.at));
        this.#cpu.set(w, { at: now, cpuMs, share });
      } catch {
        // A worker that is dying answers nothing; its 'died' handler cleans up.
      }
      out.push({ pid: w.pid, routers: this.#routers.get(w) ?? 0, cpu: share });
    }
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#workers) w.close();
    this.#workers.clear();
    this.#routers.clear();
  }
}
