// `npm test`: type-check every part, run every vitest project (unit, workerd, origin) and then
// the end-to-end browser tests, and end with one line totalling them all.
// With `--e2e` (`npm run test:e2e`, `npm run soak`): the end-to-end tests alone, optionally only
// the files named after it, with the same toolchain steps first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { STYLE_CHECKS, TYPE_CHECKS } from './checks.mjs';
import { quietEnv, root } from './env.mjs';
import { buildWeb, ensureDebianPackages, ensureWorker, testWebDist } from './setup.mjs';

const t0 = Date.now();
const argv = process.argv.slice(2);
const e2eOnly = argv.includes('--e2e');
const e2eFiles = e2eOnly ? argv.filter((a) => a !== '--e2e') : [];
const totals = { passed: 0, failed: 0, skipped: 0 };
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

// Fonts so that screenshots show Chinese and emoji rather than empty boxes.
ensureDebianPackages(['chromium', 'fonts-wqy-microhei', 'fonts-noto-color-emoji', 'coturn']);
process.env.MEDIASOUP_WORKER_BIN = await ensureWorker();
// The end-to-end tests read the page through its test hooks: they serve the build that has them.
buildWeb({ testHooks: true });
process.env.SEALROOM_WEB_DIST = testWebDist;
const env = quietEnv();

// ── type and style checks: each counts as one check ───────────────────────────
const checks = [
  ...['protocol', 'crypto', 'edge', 'media-origin', 'test', 'web'].map((p) => [TYPE_CHECKS[p].name, TYPE_CHECKS[p].cmd, TYPE_CHECKS[p].args]),
  ...STYLE_CHECKS.map((c) => [c.name, c.cmd, c.args]),
];
for (const [name, cmd, args] of e2eOnly ? [] : checks) {
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8' });
  if (r.status === 0) {
    totals.passed++;
    console.log(`✓ ${name}`);
  } else {
    totals.failed++;
    console.log(`✗ ${name}\n${r.stdout}${r.stderr}`);
  }
}

// ── vitest: unit + workerd + origin projects together, then end to end alone ──
const projects = readdirSync(root).filter((d) => d !== 'test' && existsSync(path.join(root, d, 'vitest.config.ts')));
const outDir = path.join(root, '.cache', 'test-results');
mkdirSync(outDir, { recursive: true });

function vitest(label, projectNames, files = []) {
  const out = path.join(outDir, `${label}.json`);
  const args = ['run', ...files, ...projectNames.flatMap((p) => ['--project', p]), '--reporter=default', '--reporter=json', `--outputFile.json=${out}`];
  console.log(`\n» vitest (${label}): ${projectNames.join(', ')}`);
  const r = spawnSync(bin('vitest'), args, { cwd: root, env, stdio: 'inherit' });
  if (!existsSync(out)) {
    totals.failed++;
    console.log(`✗ vitest ${label} produced no report (exit ${r.status})`);
    return;
  }
  const report = JSON.parse(readFileSync(out, 'utf8'));
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  totals.skipped += report.numPendingTests + report.numTodoTests;
  // A suite that failed to load has no failing test in it, but it is a failure.
  const broken = report.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
  totals.failed += broken;
  if (r.status !== 0 && report.numFailedTests === 0 && broken === 0) totals.failed++;
}

if (!e2eOnly) vitest('unit', projects);
vitest('e2e', ['e2e'], e2eFiles);

const secs = ((Date.now() - t0) / 1000).toFixed(0);
console.log(`\n(test run took ${secs} s)`);
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed === 0 ? 0 : 1);
