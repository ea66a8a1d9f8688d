// The edge without Cloudflare: the same Worker bundle and Room Durable Object under workerd,
// configured by Miniflare from wrangler.jsonc, with Durable Object storage, D1 and R2 kept as
// SQLite files and blobs under one data directory. No dev server: no file watching, no live
// reload, no inspector, no Cloudflare account.
//
// Why Miniflare and not a hand-written workerd config: D1 and R2 are not part of workerd; Miniflare
// provides them as local services over the same bindings, and generates the workerd config for
// assets, Durable Objects and persistence. Its `cf` fetch is off: there is no Cloudflare location here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { renameAppliedMigrationsSql } from '../d1-migrations.mjs';
import { root } from '../env.mjs';

const BUNDLE_DIR = path.join(root, '.cache', 'selfhost-bundle');
/** The hourly sweep wrangler.jsonc schedules on Cloudflare (accounts, nonces, recordings). */
const SWEEP_EVERY_MS = 60 * 60_000;

/** Bundles edge/src/index.ts as `wrangler deploy` would, without deploying (no account needed). */
export function bundleEdge(log = console.log) {
  log('» bundling the edge Worker (wrangler deploy --dry-run)…');
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', BUNDLE_DIR], {
    cwd: root,
    encoding: 'utf8',
    // wrangler runs on the project's Node 22 (node_modules/.bin/node), whatever called this.
    env: {
      ...process.env,
      PATH: `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
      WRANGLER_SEND_METRICS: 'false',
      WRANGLER_SEND_ERROR_REPORTS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    },
  });
  if (r.status !== 0) throw new Error(`bundling the edge failed:\n${r.stdout}\n${r.stderr}`);
  return path.join(BUNDLE_DIR, 'index.js');
}

/**
 * Starts the edge. `vars` are the Worker's variables and secrets (SEALROOM_SHARED_SECRET,
 * SEALROOM_MASTER_KEY, SMTP_*, TURN_*, …); `tls` serves HTTPS from a certificate pair.
 * @param {{ dataDir: string, host: string, port: number, vars: Record<string, string>,
 *   tls?: { certFile: string, keyFile: string }, script?: string, log?: (line: string) => void }} o
 * @returns {Promise<{ url: string, stop: () => Promise<void>, sweep: () => Promise<void> }>}
 */
export async function startSelfhostEdge(o) {
  const log = o.log ?? console.log;
  const { Miniflare, convertV4MiniflareOptions } = await import('miniflare');
  const { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } = await import('wrangler');
  const script = o.script ?? bundleEdge(log);
  mkdirSync(o.dataDir, { recursive: true });
  // modulesRules describe how to load an unbundled tree; the bundle is one ES module.
  const {
    workerOptions: { modulesRules: _rules, ...workerOptions },
  } = unstable_getMiniflareWorkerOptions(path.join(root, 'wrangler.jsonc'));
  // SEALROOM_WEB_DIST: another build of the web app than web/dist (the tests' build with its hooks).
  const webDist = process.env.SEALROOM_WEB_DIST;
  if (webDist && workerOptions.assets) workerOptions.assets = { ...workerOptions.assets, directory: path.resolve(webDist) };
  // wrangler describes the Worker in Miniflare's v4 option shape; Miniflare converts it.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...workerOptions,
      name: 'sealroom-edge',
      modules: true,
      scriptPath: script,
      // Only what this deployment sets: wrangler's reading of .dev.vars is for development.
      bindings: o.vars,
      host: o.host,
      port: o.port,
      ...(o.tls ? { https: true, httpsKey: readFileSync(o.tls.keyFile, 'utf8'), httpsCert: readFileSync(o.tls.certFile, 'utf8') } : {}),
      resourcePersistencePath: o.dataDir,
      cf: false,
      logRequests: false,
      telemetry: { enabled: false },
    }),
  );
  try {
    await mf.ready;
    await migrate(await mf.getD1Database('DB'), unstable_splitSqlQuery, log);
  } catch (err) {
    await mf.dispose();
    throw err;
  }
  const worker = await mf.getWorker();
  const sweep = async () => {
    await worker.scheduled({ cron: workerOptions.cronTriggers?.[0] ?? '17 * * * *', scheduledTime: new Date() });
  };
  const timer = setInterval(() => sweep().catch((err) => log(`» scheduled sweep failed: ${err}`)), SWEEP_EVERY_MS);
  timer.unref();
  const url = `${o.tls ? 'https' : 'http'}://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
  return {
    url,
    sweep,
    stop: async () => {
      clearInterval(timer);
      await mf.dispose();
    },
  };
}

/**
 * Applies edge/migrations/*.sql in order, each once, recorded in `d1_migrations` as wrangler
 * records them, so a data directory moves between this and `wrangler d1 migrations` unharmed.
 * Names from before the renumbering are rewritten first (scripts/d1-migrations.mjs).
 */
async function migrate(db, splitSql, log) {
  await db.batch(renameAppliedMigrationsSql().map((s) => db.prepare(s)));
  const done = new Set((await db.prepare('SELECT name FROM d1_migrations').all()).results.map((r) => r.name));
  const dir = path.join(root, 'edge', 'migrations');
  if (!existsSync(dir)) throw new Error(`no migrations at ${dir}`);
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    if (done.has(name)) continue;
    const statements = splitSql(readFileSync(path.join(dir, name), 'utf8')).filter((s) => s.trim());
    await db.batch([...statements.map((s) => db.prepare(s)), db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').bind(name)]);
    log(`» applied migration ${name}`);
  }
}
