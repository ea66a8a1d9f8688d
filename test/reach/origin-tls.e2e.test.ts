/**
 * A media origin run the way a host runs it in production, on one machine: the bundle the
 * image and the systemd unit ship (scripts/build-origin.mjs), its settings only from an env
 * file filled in from media-origin/config.example, HTTPS/WSS from a certificate, ICE on one
 * fixed port, no test tap; its health check script passes against it. The edge
 * reaches it over HTTPS (trusting the private CA through NODE_EXTRA_CA_CERTS, as workerd is
 * told in a closed network), and two Chromiums that may not send UDP at all reach it over
 * ICE-TCP on that port, with media sealed end to end.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrigin } from '../../scripts/build-origin.mjs';
import { originEnvFile } from '../../scripts/deploy/origin-env.mjs';
import { localMasterKey, root } from '../../scripts/env.mjs';
import { makeLocalTls } from '../../scripts/local-tls.mjs';
import { ensureWorker } from '../../scripts/setup.mjs';
import { freePort, startEdge, startOriginFromEnvFile } from '../../scripts/stack.mjs';
import { pagePool } from '../lib/browser.ts';
import { transformStats } from '../lib/meeting.ts';
import { twoPersonCall } from '../faults/lib/call.ts';
import { CALL_TEST_MS, FAULT_STACK_START_MS } from '../faults/lib/stack.ts';
import { iceRoutes } from './lib/ice-routes.ts';

const name = `prodlike-${process.pid}-${randomBytes(3).toString('hex')}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'sealroom-prodlike-'));
const stateDir = path.join(root, '.cache', `${name}-state`);
const logDir = path.join(root, '.cache', 'e2e-logs', name);
const secret = randomBytes(32).toString('base64url');
const tls = makeLocalTls(path.join(work, 'tls'));
const ca = readFileSync(tls.caFile);

type Edge = Awaited<ReturnType<typeof startEdge>>;
type Origin = Awaited<ReturnType<typeof startOriginFromEnvFile>>;
let edge: Edge | null = null;
let origin: Origin | null = null;
let icePort = 0;
let builtDir = '';
let envFile = '';

function healthOf(url: string): Promise<{ registered?: boolean } | null> {
  return new Promise((resolve) => {
    https
      .get(`${url}/healthz`, { ca, timeout: 2000 }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(JSON.parse(body) as { registered?: boolean }));
      })
      .once('error', () => resolve(null));
  });
}

// The browsers trust exactly the origin's key (as if its CA were installed) and send no UDP.
const pages = pagePool([`--ignore-certificate-errors-spki-list=${tls.spki}`, '--webrtc-ip-handling-policy=disable_non_proxied_udp']);

beforeAll(async () => {
  edge = await startEdge({
    port: await freePort(),
    stateDir,
    logDir,
    secret,
    masterKey: localMasterKey(),
    log: () => {},
    env: { NODE_EXTRA_CA_CERTS: tls.caFile },
  });
  const port = await freePort();
  icePort = await freePort();
  // Inside the repository, so the bundle finds the mediasoup package as it would beside it in /opt.
  builtDir = await buildOrigin({ outDir: path.join(root, '.cache', `${name}-origin`) });
  envFile = path.join(work, 'origin.env');
  writeFileSync(
    envFile,
    originEnvFile({
      ORIGIN_LISTEN_IP: '127.0.0.1',
      ORIGIN_PORT: String(port),
      ORIGIN_TLS_CERT: tls.certFile,
      ORIGIN_TLS_KEY: tls.keyFile,
      ORIGIN_WEBRTC_PORT: String(icePort),
      ORIGIN_WORKERS: '1',
      ORIGIN_ID: 'prodlike-1',
      ORIGIN_REGION: 'local',
      EDGE_URL: edge.url,
      SEALROOM_SHARED_SECRET: secret,
      ORIGIN_METRICS_PORT: String(await freePort()),
      ORIGIN_LOG_LEVEL: 'info',
    }),
  );
  const url = `https://127.0.0.1:${port}`;
  origin = await startOriginFromEnvFile({
    builtDir,
    envFile,
    url,
    caFile: tls.caFile,
    workerBin: await ensureWorker(() => {}),
    logDir,
    name: 'origin-prodlike',
  });
  // Registered means the edge accepted its heartbeat, which the origin learns from the answer.
  const deadline = Date.now() + 60_000;
  while (!(await healthOf(url))?.registered) {
    if (Date.now() > deadline) throw new Error(`the origin did not register with the edge; see ${logDir}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, FAULT_STACK_START_MS);

afterAll(async () => {
  await pages.closeAll();
  await Promise.all([origin?.stop(), edge?.stop()]);
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  if (builtDir) rmSync(builtDir, { recursive: true, force: true });
});

describe('a production-like origin: env file, TLS, fixed ICE port', () => {
  it(
    'two browsers without UDP decode each other over ICE-TCP to the one port, signalling over wss, sealed',
    async () => {
      const call = await twoPersonCall(pages, edge!.url);
      for (const page of [call.alice, call.bob]) {
        const routes = await iceRoutes(page);
        expect(routes.map((r) => r.direction).sort()).toEqual(['recv', 'send']);
        // The browser's side of an ICE-TCP route is learned from the connection (prflx); what
        // matters is that it is TCP and ends at the origin's one port.
        for (const r of routes) expect(r).toMatchObject({ protocol: 'tcp', remotePort: icePort });
        const t = await transformStats(page);
        expect(t.sealed).toBeGreaterThan(0);
        expect(t.opened).toBeGreaterThan(0);
      }
      // The origin serves nothing but TLS: the signalling that set this call up was wss.
      const plain = await fetch(origin!.url.replace('https:', 'http:') + '/healthz').then(
        (r) => r.status,
        () => 'refused',
      );
      expect(plain).not.toBe(200);
    },
    CALL_TEST_MS,
  );

  it('passes the health check the image and monitoring run, and fails it once stopped', async () => {
    const check = () =>
      spawnSync(path.join(root, 'node_modules', '.bin', 'node'), [`--env-file=${envFile}`, path.join(builtDir, 'healthcheck.mjs')], {
        encoding: 'utf8',
        timeout: 20_000,
      });
    const up = check();
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    await origin!.stop();
    const down = check();
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/healthz/);
  }, 60_000);
});
