/**
 * The V8 isolates of `wrangler dev`'s workerd, reached through workerd's inspector: full garbage
 * collections, then the Room's live heap.
 *
 * Why the soak collects: workerd in development never runs a major collection while the JS heap
 * is small, and each request or socket leaves a small dead JS wrapper that owns much larger native
 * memory (measured in docs/BENCHMARKS.md: a hello-world Worker grows ~6 KB of RSS per request
 * without end, and stays flat when collected every 1000 requests). A production isolate collects
 * under memory pressure. Collecting before each sample measures what is really kept alive.
 *
 * Needs the isolate started with `--expose-gc` (MINIFLARE_WORKERD_V8_FLAGS in the e2e stack).
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import http from 'node:http';

/** The 127.0.0.1 ports a process listens on (/proc/net/tcp LISTEN sockets among its descriptors). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed while we looked
    }
  }
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[3] === '0A' && f[1]?.startsWith('0100007F:') && inodes.has(f[9]!))
    .map((f) => parseInt(f[1]!.split(':')[1]!, 16));
}

/** An inspector's target list, on a connection of its own that closes after (no pooled socket left on the inspector). */
function targetList(port: number): Promise<{ id?: string }[]> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/json/list', agent: false, headers: { connection: 'close' }, timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          const v: unknown = JSON.parse(body);
          resolve(Array.isArray(v) ? v : []);
        } catch {
          resolve([]);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve([]));
  });
}

/** One V8 isolate of a workerd process, reachable through its inspector. */
export interface Isolate {
  /** workerd's name for it: `core:user:<worker>` for a user Worker, `core:entry` for miniflare's router, … */
  name: string;
  pid: number;
  socketUrl: string;
}

/**
 * Every isolate the inspectors of these workerd processes list. workerd picks its inspector port
 * at start-up, so each listening port is asked for its target list; the Worker's own ports answer
 * something else or nothing, hence the short timeout.
 */
export async function isolates(workerdPids: number[]): Promise<Isolate[]> {
  const found: Isolate[] = [];
  for (const pid of workerdPids) {
    for (const port of listeningPorts(pid)) {
      for (const t of await targetList(port)) {
        // Wrangler's inspector proxy lists one aggregate target without a workerd name: skip it.
        if (t.id?.includes(':')) found.push({ name: t.id, pid, socketUrl: `ws://127.0.0.1:${port}/${t.id}` });
      }
    }
  }
  return found;
}

/**
 * Collects every isolate at once and returns the live heap (MB) of the user Worker `worker`.
 *
 * All of them, not just the Worker's: under `wrangler dev` every request and socket also passes
 * through miniflare's own Workers (its entry router, the asset and binding services) in the same
 * process, and those never collect either. Collecting only the Room's isolate left workerd's
 * anonymous memory growing ~0.3 MB per join; collecting all of them keeps it flat (docs/BENCHMARKS.md).
 */
export async function collectAll(all: Isolate[], worker: string): Promise<number> {
  const room = all.find((i) => i.name === `core:user:${worker}`);
  if (!room) throw new Error(`no inspector target for worker ${worker} among ${all.map((i) => i.name).join(', ') || 'none'}`);
  const heaps = await Promise.all(all.map((i) => collectAndMeasure(i.socketUrl)));
  return heaps[all.indexOf(room)]!;
}

/**
 * Runs two full collections in the isolate and returns its live heap in MB.
 *
 * workerd's inspector never answers the first session opened to an isolate (seen on every fresh
 * stack here: the socket opens, `Runtime.enable` gets no reply; every later session answers at
 * once), so a session that stays silent is closed and the next one tried.
 */
export async function collectAndMeasure(socketUrl: string, attempts = 3, timeoutMs = 5_000): Promise<number> {
  for (let i = 1; ; i++) {
    try {
      return await inspectorSession(socketUrl, timeoutMs);
    } catch (err) {
      if (i >= attempts || !(err instanceof SilentInspector)) throw err;
    }
  }
}

class SilentInspector extends Error {}

async function inspectorSession(socketUrl: string, timeoutMs: number): Promise<number> {
  const ws = new WebSocket(socketUrl);
  const contexts: number[] = [];
  const pending = new Map<number, (result: unknown) => void>();
  let next = 0;
  ws.addEventListener('message', (e) => {
    const m = JSON.parse(String(e.data)) as {
      id?: number;
      method?: string;
      params?: { context: { id: number } };
      result?: unknown;
      error?: { message: string };
    };
    if (m.method === 'Runtime.executionContextCreated') contexts.push(m.params!.context.id);
    if (m.id !== undefined) pending.get(m.id)?.(m.error ? new Error(`inspector: ${m.error.message}`) : m.result);
  });
  const call = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = ++next;
      pending.set(id, (r) => (r instanceof Error ? reject(r) : resolve(r as T)));
      ws.send(JSON.stringify({ id, method, params }));
    });
  const work = (async () => {
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`cannot reach the isolate's inspector at ${socketUrl}`));
    });
    // Enabling the domain reports the existing contexts before it answers.
    await call('Runtime.enable');
    if (contexts.length === 0) throw new Error('the isolate reported no execution context');
    const r = await call<{ result: { value?: string } }>('Runtime.evaluate', {
      contextId: contexts[0],
      expression: 'typeof gc === "function" ? (gc(), gc(), "collected") : "no gc"',
    });
    if (r.result.value !== 'collected') throw new Error('the isolate has no gc(): start workerd with --expose-gc');
    const heap = await call<{ usedSize: number }>('Runtime.getHeapUsage');
    return heap.usedSize / 1024 / 1024;
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SilentInspector(`the isolate's inspector did not answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    ws.close();
  }
}
