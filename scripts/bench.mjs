// `npm run bench:<name>`: runs bench/<name>/run.ts on Node 22 and prints its table.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { root } from './env.mjs';
import { ensureTestWeb, testWebDist } from './setup.mjs';

const name = process.argv[2];
const script = path.join(root, 'bench', name ?? '', 'run.ts');
if (!name || !existsSync(script)) {
  console.error(
    'usage: npm run bench:<name>, name one of the folders under bench/ (crypto, crypto-browser, sfu, signalling, accounts, accounts-crowd, files, recordings, join)',
  );
  process.exit(2);
}
// Benchmarks that drive the web app read its pages through the test hooks: they serve the build
// that has them (built here when web/ changed since the last one).
const WEB_BENCHES = new Set(['files', 'join']);
const env = { ...process.env };
if (WEB_BENCHES.has(name) && !env.SEALROOM_WEB_DIST) {
  ensureTestWeb();
  env.SEALROOM_WEB_DIST = testWebDist;
}
const r = spawnSync(path.join(root, 'node_modules', '.bin', 'tsx'), [script, ...process.argv.slice(3)], { cwd: root, stdio: 'inherit', env });
process.exit(r.status ?? 1);
