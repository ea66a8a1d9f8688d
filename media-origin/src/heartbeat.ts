/**
 * The heartbeat that registers this origin with the edge (signed `POST` with its URLs, load
 * and draining flag). An unreachable edge is logged once per change of state and retried at
 * the next beat: the origin keeps serving the meetings it has.
 */
import { type OriginHeartbeat, type OriginLoad, signRequest } from '@sealroom/protocol';
import type { OriginConfig } from './config.ts';
import { type Logger, errText } from './log.ts';

export const HEARTBEAT_INTERVAL_MS = 5_000;
export const HEARTBEAT_PATH = '/internal/origins/heartbeat';
const HEARTBEAT_TIMEOUT_MS = 3_000;

export interface HeartbeatOptions {
  config: Pick<OriginConfig, 'originId' | 'region' | 'sharedSecret' | 'edgeUrl'>;
  log: Logger;
  sampleLoad: () => Promise<OriginLoad>;
  /** What to announce, read at each beat (URLs are known once the server listens). */
  announce: () => { url: string; controlUrl: string; draining: boolean };
}

export class Heartbeat {
  readonly #opts: HeartbeatOptions;
  #timer: NodeJS.Timeout | undefined;
  #edgeReachable: boolean | undefined;
  #stopped = false;

  constructor(opts: HeartbeatOptions) {
    this.#opts = opts;
  }

  /** The edge accepted the last heartbeat, so it may send meetings here. */
  get registered(): boolean {
    return this.#edgeReachable === true;
  }

  /** Beats now and every `HEARTBEAT_INTERVAL_MS` until `stop()`. */
  start(): void {
    this.#timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
    this.#timer.unref();
    void this.beat();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  async beat(): Promise<boolean> {
    if (this.#stopped) return false;
    const { config, log } = this.#opts;
    let ok = false;
    try {
      const load = await this.#opts.sampleLoad();
      const hb = {
        originId: config.originId,
        region: config.region,
        ...this.#opts.announce(),
        load,
      } satisfies OriginHeartbeat;
      const body = JSON.stringify(hb);
      const headers = await signRequest(config.sharedSecret, 'POST', HEARTBEAT_PATH, body);
      const res = await fetch(`${config.edgeUrl}${HEARTBEAT_PATH}`, {
        method: 'POST',
        body,
        headers: { ...headers, 'content-type': 'application/json' },
        signal: AbortSignal.timeout(HEARTBEAT_TIMEOUT_MS),
      });
      await res.body?.cancel();
      ok = res.ok;
      if (!ok && this.#edgeReachable !== false) log.warn({ event: 'heartbeat_refused', status: res.status });
    } catch (err) {
      if (this.#edgeReachable !== false) log.warn({ event: 'edge_unreachable', edgeUrl: config.edgeUrl, error: errText(err) });
    }
    if (ok && this.#edgeReachable !== true) log.info({ event: 'registered_with_edge', edgeUrl: config.edgeUrl });
    this.#edgeReachable = ok;
    return ok;
  }
}
