/**
 * Signalling benchmark: N WebSocket clients in one meeting on one Room DO under
 * `wrangler dev`, driven from this process over loopback. For each N it measures joins per
 * second, the time for a host action (mute all) and for a chat line to reach every client
 * (p50 / p99 over clients), and workerd's memory per participant.
 *
 *   npm run bench:signalling -- [--sizes 100,500,1000]
 *
 * Bounded: every wait has a deadline, and the edge it starts is stopped at the end.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { RoomToClient } from '@sealroom/protocol';
import WebSocket from 'ws';
import { localSecret, root } from '../../scripts/env.mjs';
import { freePort, startStack } from '../../scripts/stack.mjs';

const sizes = (process.argv.find((a, i) => process.argv[i - 1] === '--sizes') ?? '100,500,1000').split(',').map(Number);
/** Joins in flight at once: a crowd arriving, not one at a time and not all in one instant. */
const JOIN_CONCURRENCY = 50;
const DEADLINE_MS = 300_000;

const publicKey = () => randomBytes(32).toString('base64url');

class Client {
  readonly ws: WebSocket;
  id = '';
  readonly arrivals = new Map<string, number>();
  #waiters: Array<{ type: string; resolve: (m: RoomToClient) => void }> = [];

  constructor(url: string) {
    // The deployed Worker never negotiates permessage-deflate (wrangler.jsonc:
    // no_web_socket_compression), but locally the socket ends at wrangler dev's proxy, which
    // would; so these clients don't offer it, as the production edge wouldn't accept it.
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.on('message', (raw) => {
      const text = raw.toString();
      // This one process plays a thousand clients: parse only the frames being timed or awaited,
      // so the harness doesn't become the bottleneck it is measuring.
      const type = /^\{"type":"([a-z-]+)"/.exec(text)?.[1];
      if (type === undefined || (type !== 'muted-all' && type !== 'chat' && !this.#waiters.some((w) => w.type === type))) return;
      const msg = JSON.parse(text) as RoomToClient;
      // Arrival times of the two messages being timed; recorded before any other work.
      if (msg.type === 'muted-all' || msg.type === 'chat') this.arrivals.set(msg.type, performance.now());
      for (const w of this.#waiters) if (w.type === msg.type) w.resolve(msg);
      this.#waiters = this.#waiters.filter((w) => w.type !== msg.type);
    });
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  next(type: string): Promise<RoomToClient> {
    return new Promise((resolve) => this.#waiters.push({ type, resolve }));
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }
}

const withDeadline = <T>(p: Promise<T>, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${DEADLINE_MS / 1000} s`)), DEADLINE_MS))]);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Resident memory of every workerd process under the stack (the runtime that hosts the Room). */
function workerdRssMb(): number {
  let kb = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (!/^Name:\s+workerd$/m.test(status)) continue;
      kb += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // process ended meanwhile
    }
  }
  return kb / 1024;
}

/** workerd's memory with the edge started and nothing joined: what each round's growth is measured from. */
let baselineRss = 0;

async function round(base: string, n: number) {
  const created = await fetch(`${base}/api/meetings`, { method: 'POST', body: JSON.stringify({ topic: `bench ${n}` }) });
  const { id, hostKey } = (await created.json()) as { id: string; hostKey: string };
  const wsUrl = `${base.replace('http', 'ws')}/api/meetings/${id}/ws`;

  const join = async (name: string, extra: Record<string, unknown> = {}) => {
    const c = new Client(wsUrl);
    await c.opened();
    const welcome = c.next('welcome');
    c.send({ type: 'join', name, publicKey: publicKey(), ...extra });
    c.id = ((await welcome) as Extract<RoomToClient, { type: 'welcome' }>).self.id;
    return c;
  };

  const t0 = performance.now();
  const host = await join('Host', { hostKey });
  const clients: Client[] = [];
  let next = 1;
  await withDeadline(
    Promise.all(
      Array.from({ length: JOIN_CONCURRENCY }, async () => {
        while (next < n) {
          const i = next++;
          clients.push(await join(`P${i}`));
          if (process.env.BENCH_DEBUG && clients.length % 10 === 0)
            console.log(`${clients.length} joined after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        }
      }),
    ),
    'joins',
  );
  const joinSeconds = (performance.now() - t0) / 1000;
  // Let the joined-announcements settle before timing anything else.
  await new Promise((r) => setTimeout(r, 1000));
  const rssAfter = workerdRssMb();

  // Host action: mute all → every participant gets `muted-all` (its forced-mute notice).
  const muteSent = performance.now();
  host.send({ type: 'host', command: { action: 'mute-all', allowUnmute: true } });
  await withDeadline(Promise.all(clients.map((c) => (c.arrivals.has('muted-all') ? undefined : c.next('muted-all')))), 'mute-all');
  const muteLat = clients.map((c) => c.arrivals.get('muted-all')! - muteSent);

  // A chat line from one participant to all: everyone else gets it.
  const [speaker, ...listeners] = clients;
  const chatSent = performance.now();
  speaker!.send({ type: 'chat', to: null, envelope: randomBytes(96).toString('base64url') });
  await withDeadline(Promise.all([host, ...listeners].map((c) => (c.arrivals.has('chat') ? undefined : c.next('chat')))), 'chat');
  const chatLat = [host, ...listeners].map((c) => c.arrivals.get('chat')! - chatSent);

  for (const c of [host, ...clients]) c.ws.terminate();
  await new Promise((r) => setTimeout(r, 500));
  return {
    n,
    joinsPerSecond: n / joinSeconds,
    muteP50: percentile(muteLat, 50),
    muteP99: percentile(muteLat, 99),
    chatP50: percentile(chatLat, 50),
    chatP99: percentile(chatLat, 99),
    kbPerParticipant: ((rssAfter - baselineRss) * 1024) / n,
    rssMb: rssAfter,
  };
}

const stack = await startStack({
  port: await freePort(),
  withOrigin: false,
  stateDir: path.join(root, '.cache', `bench-signalling-${process.pid}`),
  logDir: path.join(root, '.cache', 'bench-logs'),
  secret: localSecret(),
});
try {
  // One request warms the Worker up, so the baseline includes the code, not just the runtime.
  await fetch(`${stack.url}/api/meetings/000000000`);
  baselineRss = workerdRssMb();
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  console.log(`\nload average before: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  console.log(`workerd RSS at start: ${baselineRss.toFixed(0)} MB`);
  console.log('\n| clients | joins/s | mute all → all reached p50 | p99 | chat line → all reached p50 | p99 | workerd RSS | RSS per participant |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const n of sizes) {
    const r = await round(stack.url, n);
    console.log(
      `| ${r.n} | ${r.joinsPerSecond.toFixed(0)} | ${ms(r.muteP50)} | ${ms(r.muteP99)} | ${ms(r.chatP50)} | ${ms(r.chatP99)} | ${r.rssMb.toFixed(0)} MB | ${r.kbPerParticipant.toFixed(0)} KB |`,
    );
  }
} finally {
  await stack.stop();
}
