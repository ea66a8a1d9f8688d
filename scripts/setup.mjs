// Steps shared by `npm start` and `npm test`: Debian packages, the mediasoup worker, the web build.
import { spawnSync } from 'node:child_process';
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
  const run = (args) => spawnSync(sudo[0] ?? args[0], sudo.length ? [...sudo.slice(1), ...args] : args.slice(1), {
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

export function buildWeb(log = console.log) {
  log('» building web app (vite)…');
  const t0 = Date.now();
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'vite'), ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('web build failed');
  log(`» web app built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
