// What can be checked of the origin's image and service here, where no container engine runs:
// the image installs every library the worker links, builds with the scripts the rest of the
// project runs, and the systemd unit is one systemd accepts.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from '../env.mjs';
import { ensureMediasoupWorker } from '../mediasoup-worker/ensure.mjs';

const deployDir = path.join(root, 'media-origin', 'deploy');
const dockerfile = readFileSync(path.join(deployDir, 'Dockerfile'), 'utf8');
const unit = readFileSync(path.join(deployDir, 'sealroom-origin.service'), 'utf8');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'origin-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The Debian packages of the final stage's `apt-get install`. */
function runtimePackages() {
  const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const m = /apt-get install -y --no-install-recommends ([^\\&\n]+)/.exec(final);
  if (!m) throw new Error('no apt-get install in the final stage');
  return m[1].trim().split(/\s+/);
}

describe('the media origin image', () => {
  it('installs the Debian package of every shared library the built worker links', async () => {
    const worker = await ensureMediasoupWorker({ root, log: () => {} });
    const ldd = spawnSync('ldd', [worker], { encoding: 'utf8' });
    expect(ldd.status).toBe(0);
    const libs = [...ldd.stdout.matchAll(/=> (\/\S+)/g)].map((m) => m[1]);
    expect(libs.length).toBeGreaterThan(5);
    // One dpkg query for all of them: each answer line is `package:arch: path`.
    const r = spawnSync('dpkg', ['-S', ...libs.map((lib) => `*/${path.basename(lib)}`)], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const owners = new Set(
      r.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(':')[0]),
    );
    const found = new Set(
      r.stdout
        .trim()
        .split('\n')
        .map((line) => path.basename(line.split(': ')[1] ?? '')),
    );
    expect(libs.filter((lib) => !found.has(path.basename(lib)))).toEqual([]);
    // libc6 and libgcc-s1 are in every Debian image.
    const needed = [...owners].filter((p) => !['libc6', 'libgcc-s1'].includes(p)).sort();
    const installed = new Set(runtimePackages());
    expect(needed.filter((p) => !installed.has(p))).toEqual([]);
  }, 60_000);

  it('builds with the scripts this repository runs and tests: the offline worker build and the origin bundle', () => {
    expect(dockerfile).toMatch(/node scripts\/mediasoup-worker\/ensure\.mjs/);
    expect(dockerfile).toMatch(/node scripts\/build-origin\.mjs \/out\/origin/);
    expect(dockerfile).toMatch(/^USER sealroom$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*"healthcheck\.mjs"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "main\.mjs"\]$/m);
  });
});

describe('the systemd unit', () => {
  it('is accepted by systemd-analyze verify, with the files it names in place', () => {
    // The unit's paths under a scratch prefix, holding what an install puts there.
    const prefix = path.join(scratch, 'opt');
    mkdirSync(path.join(prefix, 'bin'), { recursive: true });
    mkdirSync(path.join(prefix, 'origin'), { recursive: true });
    symlinkSync(path.join(root, 'node_modules', '.bin', 'node'), path.join(prefix, 'bin', 'node'));
    writeFileSync(path.join(prefix, 'origin', 'main.mjs'), '');
    const file = path.join(scratch, 'sealroom-origin.service');
    writeFileSync(file, unit.replaceAll('/opt/sealroom', prefix));
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('reads the env file, reloads on SIGHUP, and waits out the drain before killing', () => {
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/sealroom\/origin\.env$/m);
    expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    const stop = Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)?.[1]);
    const drain = Number(/^ORIGIN_DRAIN_SECONDS=(\d+)$/m.exec(readFileSync(path.join(root, 'media-origin', 'config.example'), 'utf8'))?.[1]);
    expect(stop).toBeGreaterThan(drain);
  });
});
