// `npm run selfhost`: Sealroom on one Linux host without Cloudflare, for a customer's own network.
// The edge Worker and Room under workerd (scripts/selfhost/edge.mjs) and a media origin built as
// it ships (scripts/build-origin.mjs), everything kept under one data directory:
//
//   <data>/secrets.json  the edge↔origin secret and the at-rest master key, made on first start (0600)
//   <data>/edge.env      optional Worker settings, KEY=value (SMTP_*, TURN_*, ALLOWED_ORIGINS, PUBLIC_ORIGIN…)
//   <data>/origin.env    the origin's settings, written from media-origin/config.example on first start
//   <data>/state/        Durable Object storage, D1 and R2 (SQLite files and blobs)
//
// Settings of this command (environment): SEALROOM_DATA_DIR (default .cache/selfhost), HOST
// (default 127.0.0.1; 0.0.0.0 to serve the network), PORT (8787), EDGE_TLS_CERT and EDGE_TLS_KEY
// (serve HTTPS: browsers need it for camera and microphone anywhere but localhost), TURN_PORT
// (start coturn there, UDP and TCP, and hand out credentials for it; TURN_HOST is the name or IP
// browsers reach it by, default ORIGIN_ANNOUNCED_IP or 127.0.0.1). On first start, ORIGIN_*
// variables in the environment go into origin.env. TURN_RELAY_MIN_PORT / TURN_RELAY_MAX_PORT:
// coturn's relay ports (49152–49999). SIGTERM or Ctrl-C stops everything (the
// origin drains first). docs/DEPLOY.md, "Self-hosted", has the whole walk-through.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { buildOrigin } from './build-origin.mjs';
import { startCoturn } from './coturn.mjs';
import { documentedSettings, originEnvFile } from './deploy/origin-env.mjs';
import { root } from './env.mjs';
import { startSelfhostEdge } from './selfhost/edge.mjs';
import { buildWeb, ensureWorker } from './setup.mjs';
import { startOriginFromEnvFile } from './stack.mjs';

const env = process.env;
const dataDir = path.resolve(env.SEALROOM_DATA_DIR ?? path.join(root, '.cache', 'selfhost'));
const host = env.HOST ?? '127.0.0.1';
const port = Number(env.PORT ?? 8787);
const tls = env.EDGE_TLS_CERT && env.EDGE_TLS_KEY ? { certFile: env.EDGE_TLS_CERT, keyFile: env.EDGE_TLS_KEY } : undefined;
mkdirSync(dataDir, { recursive: true, mode: 0o750 });

const secrets = (() => {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const made = { SEALROOM_SHARED_SECRET: randomBytes(32).toString('base64url'), SEALROOM_MASTER_KEY: randomBytes(32).toString('base64url') };
  writeFileSync(file, `${JSON.stringify(made, null, 2)}\n`, { mode: 0o600 });
  console.log(`» new secrets in ${file}: back it up; without the master key stored recordings cannot be opened`);
  return made;
})();
const edgeEnvFile = path.join(dataDir, 'edge.env');
const edgeVars = existsSync(edgeEnvFile) ? parseEnv(readFileSync(edgeEnvFile, 'utf8')) : {};

// TURN beside the edge, for browsers whose network lets no UDP out; its secret never leaves this host.
let coturn = null;
if (env.TURN_PORT) {
  if (!secrets.TURN_SECRET) {
    secrets.TURN_SECRET = randomBytes(32).toString('base64url');
    writeFileSync(path.join(dataDir, 'secrets.json'), `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  const turnPort = Number(env.TURN_PORT);
  const listenIp = host === '0.0.0.0' ? (env.ORIGIN_ANNOUNCED_IP ?? '127.0.0.1') : host;
  coturn = await startCoturn({
    secret: secrets.TURN_SECRET,
    port: turnPort,
    relayPorts: [Number(env.TURN_RELAY_MIN_PORT ?? 49152), Number(env.TURN_RELAY_MAX_PORT ?? 49999)],
    logDir: path.join(dataDir, 'logs'),
    listenIp,
    host: env.TURN_HOST ?? listenIp,
  });
  edgeVars.TURN_URLS = coturn.urls.join(',');
  edgeVars.TURN_SECRET = secrets.TURN_SECRET;
}

const workerBin = await ensureWorker();
// SEALROOM_WEB_BUILT=1: the web app is built already (a test suite built it, and other stacks
// serve it now): web/dist, or the build SEALROOM_WEB_DIST names.
if (env.SEALROOM_WEB_BUILT !== '1') buildWeb();
let edge;
try {
  edge = await startSelfhostEdge({
    dataDir: path.join(dataDir, 'state'),
    host,
    port,
    tls,
    vars: { ...edgeVars, ...secrets },
  });
} catch (err) {
  await coturn?.stop();
  throw err;
}
// The origin registers with the edge on loopback: they share the host.
const edgeLocalUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;

const originEnv = path.join(dataDir, 'origin.env');
if (!existsSync(originEnv)) {
  const fromEnv = Object.fromEntries(
    documentedSettings()
      .filter((k) => k.startsWith('ORIGIN_') && env[k])
      .map((k) => [k, env[k]]),
  );
  writeFileSync(
    originEnv,
    originEnvFile({ ORIGIN_REGION: 'local', ...fromEnv, EDGE_URL: edgeLocalUrl, SEALROOM_SHARED_SECRET: secrets.SEALROOM_SHARED_SECRET }),
    { mode: 0o600 },
  );
  console.log(`» origin settings written to ${originEnv}`);
}
const o = parseEnv(readFileSync(originEnv, 'utf8'));
const originHost = !o.ORIGIN_LISTEN_IP || o.ORIGIN_LISTEN_IP === '0.0.0.0' ? '127.0.0.1' : o.ORIGIN_LISTEN_IP;
const builtDir = await buildOrigin({ outDir: path.join(root, '.cache', 'selfhost-origin') });
let origin;
try {
  origin = await startOriginFromEnvFile({
    builtDir,
    envFile: originEnv,
    url: `${o.ORIGIN_TLS_CERT ? 'https' : 'http'}://${originHost}:${o.ORIGIN_PORT || 4443}`,
    ...(o.ORIGIN_TLS_CERT && env.ORIGIN_CA_FILE ? { caFile: env.ORIGIN_CA_FILE } : {}),
    workerBin,
    logDir: path.join(dataDir, 'logs'),
  });
} catch (err) {
  await edge.stop();
  await coturn?.stop();
  throw err;
}

console.log(`\n  Sealroom (self-hosted) is running: ${edge.url}\n  Data: ${dataDir}. SIGTERM or Ctrl-C stops it.\n`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log('» stopping…');
  await origin.stop();
  await edge.stop();
  await coturn?.stop();
  console.log('» stopped');
  process.exit(0);
};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  // Miniflare's and wrangler's exit hooks would exit at once with 128+signal, before the origin
  // drains and before the edge is disposed; this shutdown does both, in that order.
  process.removeAllListeners(sig);
  process.on(sig, shutdown);
}
setInterval(() => {}, 1 << 30);
