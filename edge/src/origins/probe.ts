/**
 * Is a media origin alive right now? Heartbeats answer that only within 20 s; a browser whose
 * media socket just dropped needs the answer within a second, so the Room asks the origin
 * itself: `GET /healthz` with a short timeout. One Room asks at most once at a time per origin
 * and keeps the answer briefly, so a whole meeting losing its media at once costs one probe.
 */

/** A live origin answers its health check in milliseconds; a dead one refuses or never answers. */
export const PROBE_TIMEOUT_MS = 1000;
/** How long an answer is reused: everyone's reconnect after one failure lands within it. */
export const PROBE_FRESH_MS = 1000;

type Fetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface OriginProbeOptions {
  timeoutMs?: number;
  freshMs?: number;
  fetch?: Fetch;
  now?: () => number;
}

/**
 * One GET of the origin's health check: alive when it answers 200 with `ok: true` in time.
 * A draining origin is alive (it still serves the meetings it has).
 */
export async function probeOrigin(controlUrl: string, timeoutMs = PROBE_TIMEOUT_MS, fetcher: Fetch = fetch): Promise<boolean> {
  try {
    const res = await fetcher(new URL('/healthz', controlUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) {
      await res.body?.cancel();
      return false;
    }
    const body = (await res.json()) as { ok?: unknown } | null;
    return body?.ok === true;
  } catch {
    return false;
  }
}

/** Probes with one request in flight per origin and answers reused for `freshMs`. */
export class OriginProbe {
  readonly #timeoutMs: number;
  readonly #freshMs: number;
  readonly #fetch: Fetch | undefined;
  readonly #now: () => number;
  readonly #inFlight = new Map<string, Promise<boolean>>();
  readonly #answers = new Map<string, { at: number; alive: boolean }>();

  constructor(o: OriginProbeOptions = {}) {
    this.#timeoutMs = o.timeoutMs ?? PROBE_TIMEOUT_MS;
    this.#freshMs = o.freshMs ?? PROBE_FRESH_MS;
    this.#fetch = o.fetch;
    this.#now = o.now ?? Date.now;
  }

  /** Whether the origin at `controlUrl` (known as `id`) answers its health check. */
  alive(id: string, controlUrl: string): Promise<boolean> {
    const known = this.#answers.get(id);
    if (known && this.#now() - known.at < this.#freshMs) return Promise.resolve(known.alive);
    const pending = this.#inFlight.get(id);
    if (pending) return pending;
    const run = probeOrigin(controlUrl, this.#timeoutMs, this.#fetch).then((alive) => {
      this.#answers.set(id, { at: this.#now(), alive });
      this.#inFlight.delete(id);
      return alive;
    });
    this.#inFlight.set(id, run);
    return run;
  }
}
