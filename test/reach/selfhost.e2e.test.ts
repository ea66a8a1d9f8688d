/**
 * The self-hosted mode as a customer runs it: `npm run selfhost`'s script (edge Worker and Room
 * under workerd with local storage, the origin as it ships, coturn) on one host. Two browsers
 * hold a sealed call through it, relayed by its coturn (TURN_POLICY=relay in its edge.env, so
 * nothing else could carry it); after a restart on the same data directory the meeting and the
 * secrets are still there.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from '../../scripts/env.mjs';
import { ensureWorker, testWebDist } from '../../scripts/setup.mjs';
import { freePort } from '../../scripts/stack.mjs';
import { pagePool } from '../lib/browser.ts';
import { transformStats } from '../lib/meeting.ts';
import { twoPersonCall } from '../faults/lib/call.ts';
import { iceRoutes } from './lib/ice-routes.ts';
import { CALL_TEST_MS, FAULT_STACK_START_MS } from '../faults/lib/stack.ts';

const dataDir = path.join(root, '.cache', `selfhost-test-${process.pid}-${randomBytes(3).toString('hex')}`);
const pages = pagePool();
let running: { child: ChildProcess; url: string; exited: Promise<number | null> } | null = null;

/** Starts the self-hosted stack and resolves with its URL once it says it runs. */
async function selfhost(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(path.join(root, 'node_modules', '.bin', 'node'), ['scripts/selfhost.mjs'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: `${path.join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`, ...env },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /is running: (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => reject(new Error(`selfhost exited (${code}) before it ran:\n${out}`)));
  });
  return { child, url, exited };
}

/** SIGTERM to the command alone, as systemd or Ctrl-C would: it stops what it started itself. */
async function stop(s: { child: ChildProcess; exited: Promise<number | null> }): Promise<number | null> {
  process.kill(s.child.pid!, 'SIGTERM');
  const code = await Promise.race([s.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
  if (code === 'hung') {
    process.kill(-s.child.pid!, 'SIGKILL');
    throw new Error('selfhost did not stop within 30 s of SIGTERM');
  }
  return code;
}

afterAll(async () => {
  await pages.closeAll();
  if (running) await stop(running).catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('self-hosted mode', () => {
  it(
    'runs a sealed call on one host, and keeps meetings and secrets across a restart',
    async () => {
      const rtcBase = 20000 + Math.floor(Math.random() * 190) * 100;
      const relayBase = 61000 + Math.floor(Math.random() * 39) * 100;
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(path.join(dataDir, 'edge.env'), 'TURN_POLICY=relay\n');
      const env = {
        SEALROOM_DATA_DIR: dataDir,
        SEALROOM_WEB_BUILT: '1',
        // The call below is read through the app's test hooks.
        SEALROOM_WEB_DIST: process.env.SEALROOM_WEB_DIST ?? testWebDist,
        MEDIASOUP_WORKER_BIN: await ensureWorker(() => {}),
        PORT: String(await freePort()),
        ORIGIN_PORT: String(await freePort()),
        ORIGIN_METRICS_PORT: String(await freePort()),
        ORIGIN_RTC_MIN_PORT: String(rtcBase),
        ORIGIN_RTC_MAX_PORT: String(rtcBase + 99),
        ORIGIN_WORKERS: '1',
        TURN_PORT: String(await freePort()),
        TURN_RELAY_MIN_PORT: String(relayBase),
        TURN_RELAY_MAX_PORT: String(relayBase + 99),
      };
      running = await selfhost(env);
      const call = await twoPersonCall(pages, running.url);
      for (const page of [call.alice, call.bob]) {
        for (const r of await iceRoutes(page)) expect(r.candidateType).toBe('relay');
        const t = await transformStats(page);
        expect(t.sealed).toBeGreaterThan(0);
        expect(t.opened).toBeGreaterThan(0);
      }
      const secrets = readFileSync(path.join(dataDir, 'secrets.json'), 'utf8');
      await pages.closeAll();

      expect(await stop(running)).toBe(0);
      running = await selfhost(env);
      const res = await fetch(`${running.url}/api/meetings/${call.meetingId}`);
      expect(res.status).toBe(200);
      expect(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')).toBe(secrets);
    },
    CALL_TEST_MS + FAULT_STACK_START_MS,
  );
});
