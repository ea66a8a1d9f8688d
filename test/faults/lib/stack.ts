/**
 * A private stack for one fault-test file: its own edge (wrangler dev, fresh D1/DO state under
 * .cache/) and N media origins, each on ports of its own, so a test may kill any of them
 * without touching the shared stack of test/stack.global-setup.ts or another run.
 *
 *   const stack = faultStack({ origins: 2 });
 *   beforeAll(() => stack.ready, FAULT_STACK_START_MS);
 *   afterAll(stack.stop);                        // also stops a stack still starting
 *   stack.origins[0].kill('SIGKILL');
 *   await stack.originServing(meetingId);        // which origin holds the meeting's router now
 *   await stack.workerPids(stack.origins[1]);    // mediasoup worker PIDs, to kill one
 *   (await stack.state(origin)).held;            // host holds the origin was told
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { signRequest } from '@sealroom/protocol';
import { localMasterKey, localSecret, root } from '../../../scripts/env.mjs';
import { ensureWorker } from '../../../scripts/setup.mjs';
import { freePort, startEdge, startOrigin } from '../../../scripts/stack.mjs';

type Edge = Awaited<ReturnType<typeof startEdge>>;
type StartedOrigin = Awaited<ReturnType<typeof startOrigin>>;

/** Starting wrangler and the origins on a loaded machine takes minutes, not vitest's hook default. */
export const FAULT_STACK_START_MS = 300_000;
/** A fault test sets up a Chromium call first, which under the same load takes minutes too. */
export const CALL_TEST_MS = 300_000;

export interface FaultOrigin extends StartedOrigin {
  /** Index in `origins`, for messages. */
  index: number;
}

export interface FaultStack {
  /** Resolves once the edge and every origin run and the origins have registered with the edge. */
  ready: Promise<void>;
  /** The edge's URL (set once `ready`). */
  url: string;
  secret: string;
  edge: Edge;
  origins: FaultOrigin[];
  /** The origin whose router holds `meetingId` (asked through each live origin's test endpoint). */
  originServing(meetingId: string): Promise<FaultOrigin | null>;
  /** PIDs of the mediasoup workers of `origin`. */
  workerPids(origin: FaultOrigin): Promise<number[]>;
  /** The origin's test-only view of itself. */
  state(origin: FaultOrigin): Promise<OriginState>;
  /** Stops every service started (or still starting) and removes the state folder; safe to call twice. */
  stop(): Promise<void>;
}

export interface OriginState {
  workerPids: number[];
  /** Router keys: a meeting id, or `meetingId/bN` for a breakout room. */
  meetings: string[];
  /** Host holds the origin was told: meeting id → participant id → paused sources. */
  held: Record<string, Record<string, string[]>>;
}

/**
 * Starts an edge and `origins` media origins (test tap on, `workersPerOrigin` mediasoup workers
 * each, 1 by default) and waits until every origin has registered with the edge, so the first
 * meeting may be placed on any of them. Returns at once; `ready` says when it runs.
 */
export function faultStack(o: { origins: number; name?: string; workersPerOrigin?: number; edgeVars?: Record<string, string> }): FaultStack {
  const name = o.name ?? `faults-${process.pid}-${randomBytes(3).toString('hex')}`;
  const stateDir = path.join(root, '.cache', `${name}-state`);
  const logDir = path.join(root, '.cache', 'e2e-logs', name);
  const secret = localSecret();
  const origins: FaultOrigin[] = [];
  let edge: Edge | undefined;
  let stopping = false;
  // Every service is stopped by `stop`, including one whose start finishes after `stop` was called.
  const started = async <T extends { stop: () => Promise<void> }>(service: T): Promise<T> => {
    if (stopping) {
      await service.stop();
      throw new Error('fault stack stopped while starting');
    }
    return service;
  };
  const ready = (async () => {
    rmSync(stateDir, { recursive: true, force: true });
    const workerBin = await ensureWorker(() => {});
    edge = await started(
      await startEdge({
        port: await freePort(),
        stateDir,
        logDir,
        secret,
        masterKey: localMasterKey(),
        log: () => {},
        ...(o.edgeVars ? { vars: o.edgeVars } : {}),
      }),
    );
    for (let i = 0; i < o.origins; i++) {
      // Each origin its own RTC range, away from the shared stack's (41000–58999).
      const rtcBase = 20000 + Math.floor(Math.random() * 190) * 100;
      const origin = await started(
        await startOrigin({
          edgeUrl: edge.url,
          port: await freePort(),
          metricsPort: await freePort(),
          rtcPorts: [rtcBase, rtcBase + 99],
          secret,
          workerBin,
          testTap: true,
          logDir,
          id: `${name}-o${i}`,
          workers: o.workersPerOrigin ?? 1,
        }),
      );
      origins.push(Object.assign(origin, { index: i }));
    }
    await Promise.all(origins.map((x) => untilRegistered(x.url)));
  })();
  ready.catch(() => undefined);
  const state = (origin: FaultOrigin) => originState(origin.url, secret);
  return {
    ready,
    get url() {
      return edge?.url ?? '';
    },
    secret,
    get edge() {
      if (!edge) throw new Error('fault stack not ready');
      return edge;
    },
    origins,
    async originServing(meetingId) {
      for (const x of origins) {
        const s = await state(x).catch(() => null);
        if (s?.meetings.includes(meetingId)) return x;
      }
      return null;
    },
    workerPids: async (x) => (await state(x)).workerPids,
    state,
    async stop() {
      if (stopping) return;
      stopping = true;
      await Promise.all([...origins.map((s) => s.stop()), edge?.stop()]);
      // A start still under way stops what it brings up (see `started`).
      await ready.catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** The origin's test-only view of itself (SEALROOM_TEST_TAP): worker PIDs, meetings, holds. */
export async function originState(originUrl: string, secret: string): Promise<OriginState> {
  const body = '{}';
  const headers = await signRequest(secret, 'POST', '/test/state', body);
  const res = await fetch(`${originUrl}/test/state`, {
    method: 'POST',
    body,
    headers: { ...headers, 'content-type': 'application/json' },
    signal: AbortSignal.timeout(2000),
  });
  if (!res.ok) throw new Error(`origin state: ${res.status} ${await res.text()}`);
  return (await res.json()) as OriginState;
}

/** Polls the origin's health until it reports that the edge accepted its heartbeat. */
async function untilRegistered(originUrl: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const h = (await fetch(`${originUrl}/healthz`).then(
      (r) => r.json(),
      () => null,
    )) as { registered?: boolean } | null;
    if (h?.registered) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`origin ${originUrl} did not register with the edge within ${timeoutMs} ms`);
}
