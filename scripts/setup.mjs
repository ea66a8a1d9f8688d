// Steps shared by `npm start` and `npm test`: Debian packages, the mediasoup worker, the web build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureMediasoupWorker } from './mediasoup-worker/ensure.mjs';
import { root } from './env.mjs';

/** Installs missing Debian packages (we may be root on CI; otherwise sudo must work without a prompt). */
export function ensureDebianPackages(packages, log = console.log) {
  const missing = packages.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return !r.stdout?.includes('install ok installed');
  });
  if (missing.length === 0) return;
  log(`» installing Debian packages: ${missing.join(' ')} (apt-get)…`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const run = (args) =>
    spawnSync(sudo[0] ?? args[0], sudo.length ? [...sudo.slice(1), ...args] : args.slice(1), {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  let r = run(['apt-get', 'install', '-y', '-qq', ...missing]);
  if (r.status !== 0) {
    run(['apt-get', 'update', '-qq']);
    r = run(['apt-get', 'install', '-y', '-qq', ...missing]);
  }
  if (r.status !== 0) throw new Error(`apt-get install ${missing.join(' ')} failed`);
}

export async function ensureWorker(log = console.log) {
  const t0 = Date.now();
  const bin = await ensureMediasoupWorker({ root, log });
  if (Date.now() - t0 > 2000) log(`» mediasoup worker ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return bin;
}

/**
 * The web app built with its test hooks (web/src/lib/test-hooks.ts), which the end-to-end tests and
 * the benchmarks serve through SEALROOM_WEB_DIST. web/dist, what `npm start`, `npm run deploy`
 * and `npm run selfhost` serve, never has them.
 */
export const testWebDist = path.join(root, 'web', 'dist-test');

/**
 * Builds the web app into web/dist, or with `testHooks` into web/dist-test.
 * @param {{ testHooks?: boolean, log?: (line: string) => void }} [o]
 */
export function buildWeb({ testHooks = false, log = console.log } = {}) {
  log(`» building web app${testHooks ? ' with test hooks' : ''} (vite)…`);
  const t0 = Date.now();
  const { SEALROOM_TEST_HOOKS: _, ...env } = process.env;
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'vite'), ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
    env: testHooks ? { ...env, SEALROOM_TEST_HOOKS: '1' } : env,
  });
  if (r.status !== 0) throw new Error('web build failed');
  if (testHooks) writeFileSync(path.join(testWebDist, BUILT_STAMP), new Date().toISOString());
  log(`» web app built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** Written last by a successful test build: a build cut short has none, and is rebuilt. */
const BUILT_STAMP = '.built';
/** What the web bundle is made of: a change to any of them makes web/dist-test stale. */
const WEB_INPUTS = ['web/src', 'web/index.html', 'web/vite.config.ts', 'web/svelte.config.js', 'crypto/src', 'protocol/src', 'package-lock.json'];

/**
 * Builds web/dist-test unless it is newer than every file it is built from, so that a run of one
 * end-to-end file, or a benchmark, tests the code as it is without paying for a build each time.
 */
export function ensureTestWeb(log = console.log) {
  const stamp = path.join(testWebDist, BUILT_STAMP);
  const builtAt = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  if (builtAt === 0 || WEB_INPUTS.some((p) => newestMtime(path.join(root, p)) > builtAt)) buildWeb({ testHooks: true, log });
}

function newestMtime(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}
