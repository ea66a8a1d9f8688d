// Entry point of `npm start`, `npm test` and the benchmarks on a fresh clone.
//
// Why a bootstrap: on a fresh clone only the machine's Node (20) exists. This file runs on it,
// installs the npm packages when they are missing or stale (which brings Node 22 from the npm
// registry as the `node` package), then hands over to the real script under Node 22.
// Plain ESM, no dependencies, Node ≥ 18.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...args] = process.argv.slice(2);
// Each command is a script and the arguments it always gets: `test:e2e` and `soak` are `npm test`
// narrowed to the browser tests, so they get the same toolchain steps first.
const scripts = {
  start: ['scripts/start.mjs'],
  test: ['scripts/test.mjs'],
  'test:e2e': ['scripts/test.mjs', '--e2e'],
  soak: ['scripts/test.mjs', '--e2e', 'test/faults/soak.e2e.test.ts'],
  lint: ['scripts/lint.mjs'],
  format: ['scripts/lint.mjs', '--fix'],
  bench: ['scripts/bench.mjs'],
  deploy: ['scripts/deploy.mjs'],
  selfhost: ['scripts/selfhost.mjs'],
  // `npm run test|typecheck -w <part>`: one workspace alone (scripts/workspace.mjs).
  workspace: ['scripts/workspace.mjs'],
};
if (!(command in scripts)) {
  console.error(`usage: bootstrap.mjs ${Object.keys(scripts).join('|')} [args]`);
  process.exit(2);
}

const lock = path.join(root, 'package-lock.json');
const marker = path.join(root, 'node_modules', '.sealroom-installed');
const lockHash = createHash('sha256').update(readFileSync(lock)).digest('hex');
const node22 = path.join(root, 'node_modules', '.bin', 'node');

if (!existsSync(marker) || readFileSync(marker, 'utf8') !== lockHash || !existsSync(node22)) {
  console.log('» installing npm packages (npm ci; about a minute on a fresh clone)…');
  const t0 = Date.now();
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('npm ci failed');
    process.exit(r.status ?? 1);
  }
  writeFileSync(marker, lockHash);
  console.log(`» npm packages installed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

// node_modules/.bin first on PATH: every tool (wrangler, vitest, tsx) then runs on Node 22.
const env = { ...process.env, PATH: `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}` };
// `npm run soak` is the long soak (10 minutes); inside `npm test` the same file runs for its short default.
if (command === 'soak') env.SOAK_MS ??= '600000';
const [script, ...fixed] = scripts[command];
const child = spawn(node22, [path.join(root, script), ...fixed, ...args], { cwd: root, stdio: 'inherit', env });
// Ctrl-C reaches the whole foreground process group; the child does the cleanup, we wait for it.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
