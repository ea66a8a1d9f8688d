// Starts the whole local stack — wrangler dev (edge Worker, Room DO, D1, R2, built web app)
// and one media origin — on 127.0.0.1, and stops it again. Used by `npm start` and by the
// end-to-end tests, which start their own stack on other ports. The pieces (`startEdge`,
// `startOrigin`) are exported for the fault tests, which kill and restart them one by one.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { applyLocalMigrations } from './d1-migrations.mjs';
import { quietEnv, root } from './env.mjs';
import { startMailSink } from './mail-sink.mjs';

const bin = (name) => path.join(root, 'node_modules', '.bin', name);

/**
 * @typedef {{ pid: number, exited: Promise<{ code: number | null, signal: string | null }>, stop: () => Promise<void>,
 *   kill: (signal?: NodeJS.Signals) => void }} Service
 *   stop: SIGTERM to the service's process group, SIGKILL after 8 s. kill: a signal to the group, at once.
 */

/**
 * @param {{ port?: number, originPort?: number, metricsPort?: number, rtcPorts?: [number, number],
 *   stateDir?: string, secret: string, masterKey?: string, workerBin?: string, testTap?: boolean, logDir?: string,
 *   withOrigin?: boolean, mailPort?: number, log?: (line: string) => void, env?: Record<string, string> }} o
 *   mailPort: the HTTP port of the local mail sink's page (scripts/mail-sink.mjs); unset = any free one.
 *   env: more environment for the edge's wrangler (and the workerd it starts).
 * @returns {Promise<{ url: string, originUrl: string, mailUrl: string, stop: () => Promise<void>, pids: number[] }>}
 */
export async function startStack(o) {
  const port = o.port ?? 8787;
  const originPort = o.originPort ?? 4443;
  const logDir = path.resolve(root, o.logDir ?? '.cache/logs');
  const log = o.log ?? ((l) => console.log(l));
  // Never talk to someone else's stack by mistake: every port must be ours.
  for (const p of [...(o.withOrigin === false ? [port] : [port, originPort, o.metricsPort ?? 9464]), ...(o.mailPort ? [o.mailPort] : [])]) {
    if (!(await portIsFree(p))) throw new Error(`port ${p} on 127.0.0.1 is in use (another Sealroom running?); set another port`);
  }
  const edge = await startEdge({ ...o, port, logDir });
  const services = [edge];
  const stop = async () => {
    await Promise.all(services.map((s) => s.stop()));
  };
  const pids = () => services.flatMap((s) => s.pids ?? [s.pid]);
  try {
    if (o.withOrigin === false) {
      log(`» edge on ${edge.url} (no media origin; logs in ${path.relative(root, logDir)}/), mail it sends on ${edge.mailUrl}`);
      return { url: edge.url, originUrl: '', mailUrl: edge.mailUrl, stop, pids: pids() };
    }
    const origin = await startOrigin({
      edgeUrl: edge.url,
      port: originPort,
      metricsPort: o.metricsPort ?? 9464,
      rtcPorts: o.rtcPorts,
      secret: o.secret,
      workerBin: o.workerBin,
      testTap: o.testTap,
      logDir,
    });
    services.push(origin);
    log(`» edge on ${edge.url}, media origin on ${origin.url} (logs in ${path.relative(root, logDir)}/), mail it sends on ${edge.mailUrl}`);
    return { url: edge.url, originUrl: origin.url, mailUrl: edge.mailUrl, stop, pids: pids() };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The edge: D1 migrations, the mail sink, then `wrangler dev` with its state under `stateDir`.
 * `restart()` stops wrangler (the Room is evicted) and starts it again on the same port and state.
 * @param {{ port: number, stateDir?: string, secret: string, masterKey?: string, logDir?: string, mailPort?: number,
 *   log?: (line: string) => void, vars?: Record<string, string>, env?: Record<string, string>, readyMs?: number }} o
 *   readyMs: how long wrangler may take to serve (default 60 s; a loaded machine restarting it needs more).
 *   vars: more Worker variables (e.g. TURN_URLS and TURN_SECRET for a test that runs a TURN server).
 * @returns {Promise<Service & { url: string, mailUrl: string, pids: number[], restart: () => Promise<void> }>}
 */
export async function startEdge(o) {
  const stateDir = path.resolve(root, o.stateDir ?? '.wrangler/state');
  const logDir = path.resolve(root, o.logDir ?? '.cache/logs');
  const log = o.log ?? ((l) => console.log(l));
  mkdirSync(logDir, { recursive: true });
  // o.env: e.g. NODE_EXTRA_CA_CERTS, which wrangler hands to workerd so the Worker trusts a private CA.
  const env = quietEnv({ ...process.env, ...(o.env ?? {}) });
  // D1 schema first: the Worker expects its tables.
  applyLocalMigrations({ stateDir, env });

  // Mail (sign-up verification links) goes to a local sink that only shows it, never relays it.
  const mail = await startMailSink({ httpPort: o.mailPort ?? 0, log });
  const url = `http://127.0.0.1:${o.port}`;
  // No DNS here: SSO email domains are proven by operator approval (an HMAC-signed internal call).
  // Every local browser and test comes from 127.0.0.1, one address: the per-address limit on
  // anonymous meeting creation would count them all as one person.
  const localVars = ['--var', 'SSO_DOMAIN_PROOF:operator', '--var', 'MEETING_CREATE_LIMIT:100000/600'];
  const mailVars = ['SMTP_HOST:127.0.0.1', `SMTP_PORT:${mail.smtpPort}`, 'SMTP_SECURE:off', 'SMTP_FROM:Sealroom <no-reply@sealroom.localhost>'].flatMap((v) => [
    '--var',
    v,
  ]);
  const args = [
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(o.port),
    '--inspector-port',
    '0',
    '--persist-to',
    stateDir,
    '--log-level',
    'warn',
    '--show-interactive-dev-session=false',
    '--live-reload=false',
    '--var',
    `SEALROOM_SHARED_SECRET:${o.secret}`,
    ...(o.masterKey ? ['--var', `SEALROOM_MASTER_KEY:${o.masterKey}`] : []),
    ...mailVars,
    ...localVars,
    ...Object.entries(o.vars ?? {}).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
    ...assetsArgs(),
  ];
  let child = null;
  const up = async () => {
    child = launch('edge', bin('wrangler'), args, env, logDir);
    await waitFor(`${url}/api/meetings/000000000`, (r) => r.status === 404, o.readyMs ?? 60_000, 'edge (wrangler dev)', child);
  };
  try {
    await up();
  } catch (err) {
    if (child) await stopGroup(child);
    await mail.stop();
    throw err;
  }
  return {
    url,
    mailUrl: mail.url,
    get pid() {
      return child.pid;
    },
    get pids() {
      return [child.pid];
    },
    get exited() {
      return child.exited;
    },
    kill: (signal = 'SIGKILL') => signalGroup(child, signal),
    stop: async () => {
      await stopGroup(child);
      await mail.stop();
    },
    restart: async () => {
      await stopGroup(child);
      await up();
    },
  };
}

/**
 * One media origin registered with the edge at `edgeUrl`.
 * @param {{ edgeUrl: string, port: number, metricsPort: number, rtcPorts?: [number, number], secret: string,
 *   workerBin?: string, testTap?: boolean, logDir?: string, id?: string, region?: string, publicUrl?: string,
 *   workers?: number }} o
 *   publicUrl: the URL browsers are told to use (a proxy in front of the origin, in the fault tests).
 * @returns {Promise<Service & { url: string, id: string }>}
 */
export async function startOrigin(o) {
  const [rtcMin, rtcMax] = o.rtcPorts ?? [40000, 40999];
  const logDir = path.resolve(root, o.logDir ?? '.cache/logs');
  mkdirSync(logDir, { recursive: true });
  const id = o.id ?? `local-${o.port}`;
  const url = `http://127.0.0.1:${o.port}`;
  const child = launch(
    o.id ? `origin-${id}` : 'origin',
    bin('tsx'),
    ['media-origin/src/main.ts'],
    {
      ...process.env,
      MEDIASOUP_WORKER_BIN: o.workerBin,
      SEALROOM_SHARED_SECRET: o.secret,
      EDGE_URL: o.edgeUrl,
      ORIGIN_LISTEN_IP: '127.0.0.1',
      ORIGIN_PORT: String(o.port),
      ORIGIN_RTC_MIN_PORT: String(rtcMin),
      ORIGIN_RTC_MAX_PORT: String(rtcMax),
      ORIGIN_METRICS_PORT: String(o.metricsPort),
      ORIGIN_ID: id,
      ...(o.region ? { ORIGIN_REGION: o.region } : {}),
      ...(o.publicUrl ? { ORIGIN_PUBLIC_URL: o.publicUrl } : {}),
      ...(o.workers ? { ORIGIN_WORKERS: String(o.workers) } : {}),
      ...(o.testTap ? { SEALROOM_TEST_TAP: '1' } : {}),
    },
    logDir,
  );
  try {
    await waitFor(`${url}/healthz`, (r) => r.ok, 60_000, 'media origin', child);
  } catch (err) {
    await stopGroup(child);
    throw err;
  }
  return { url, id, pid: child.pid, exited: child.exited, kill: (signal = 'SIGKILL') => signalGroup(child, signal), stop: () => stopGroup(child) };
}

/**
 * A media origin run the way a host runs it: the bundle `scripts/build-origin.mjs` wrote into
 * `builtDir`, on Node 22, every setting from one env file (what the systemd unit's
 * EnvironmentFile and `docker run --env-file` read), none from this process. `url` is where it
 * serves (https when the file names a certificate); `caFile` the CA that signed its
 * certificate, for the readiness check.
 * @param {{ builtDir: string, envFile: string, url: string, workerBin: string, caFile?: string, logDir?: string, name?: string }} o
 * @returns {Promise<Service & { url: string }>}
 */
export async function startOriginFromEnvFile(o) {
  const logDir = path.resolve(root, o.logDir ?? '.cache/logs');
  mkdirSync(logDir, { recursive: true });
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MEDIASOUP_WORKER_BIN: o.workerBin };
  const child = launch(o.name ?? 'origin', bin('node'), [`--env-file=${o.envFile}`, path.join(o.builtDir, 'main.mjs')], env, logDir);
  const ca = o.caFile ? readFileSync(o.caFile) : undefined;
  try {
    await waitFor(`${o.url}/healthz`, (r) => r.ok, 60_000, 'media origin', child, ca);
  } catch (err) {
    await stopGroup(child);
    throw err;
  }
  return { url: o.url, pid: child.pid, exited: child.exited, kill: (signal = 'SIGKILL') => signalGroup(child, signal), stop: () => stopGroup(child) };
}

/** True when nothing listens on 127.0.0.1:port. */
export function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port the OS says is free right now (for tests that must not collide with anything). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Each service gets its own process group (detached), so stopping it stops everything it spawned. */
function launch(name, cmd, args, env, logDir) {
  const out = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(cmd, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  child.name = name;
  child.logFile = path.join(logDir, `${name}.log`);
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return child;
}

/**
 * SEALROOM_WEB_DIST serves another build of the web app than web/dist: the end-to-end tests and
 * benchmarks serve web/dist-test (the build with test hooks, scripts/setup.mjs), and a developer
 * testing a change builds it elsewhere (`vite build --outDir …`) without pulling web/dist from
 * under a stack that is running.
 */
function assetsArgs() {
  const dir = process.env.SEALROOM_WEB_DIST;
  return dir ? ['--assets', path.resolve(dir)] : [];
}

/** A signal to the service's whole process group (it and everything it spawned). */
function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // gone already
  }
}

async function stopGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const done = await Promise.race([child.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 8000))]);
  if (!done) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    await child.exited;
  }
}

/** `ca`: trust this CA for an https `url` (fetch cannot be given one). */
async function waitFor(url, ok, timeoutMs, what, child, ca) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${what} exited during start-up; see ${child.logFile}`);
    try {
      if (ok(ca ? await getWithCa(url, ca) : await fetch(url, { signal: AbortSignal.timeout(2000) }))) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s; see ${child.logFile}`);
}

/** GET over https trusting `ca`; answers the part of a Response that readiness checks read. */
function getWithCa(url, ca) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve({ ok: res.statusCode >= 200 && res.statusCode < 300, status: res.statusCode });
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
  });
}
