// `npm run deploy -- --env staging|production [--dry-run]`: checks the environment's config and
// secrets, builds the web app, applies D1 migrations and deploys the Worker. Refuses, saying what
// to create, while wrangler.jsonc still has placeholders. Needs `wrangler login` (or
// CLOUDFLARE_API_TOKEN) for everything past the offline checks.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'jsonc-parser';
import { configProblems, deploySteps, missingSecrets } from './deploy/plan.mjs';
import { root } from './env.mjs';
import { buildWeb } from './setup.mjs';

const args = process.argv.slice(2);
const envName = args[args.indexOf('--env') + 1];
const dryRun = args.includes('--dry-run');
if (!args.includes('--env') || !envName || envName.startsWith('--')) {
  console.error('usage: npm run deploy -- --env <staging|production> [--dry-run]');
  process.exit(2);
}

const errors = [];
const config = parse(readFileSync(path.join(root, 'wrangler.jsonc'), 'utf8'), errors, { allowTrailingComma: true });
if (errors.length) fail([`wrangler.jsonc does not parse (${errors.length} error(s) at offsets ${errors.map((e) => e.offset).join(', ')})`]);
const problems = configProblems(config, envName);
if (problems.length) fail(problems);
console.log(`» wrangler.jsonc: environment ${envName} is configured`);

const wrangler = (wargs, opts = {}) =>
  spawnSync(path.join(root, 'node_modules', '.bin', 'wrangler'), wargs, { cwd: root, encoding: 'utf8', stdio: opts.capture ? 'pipe' : 'inherit' });

if (dryRun) {
  console.log('» dry run: would check secrets, build web/, then:');
  for (const s of deploySteps(envName)) console.log(`   wrangler ${s.args.join(' ')}   # ${s.what}`);
  process.exit(0);
}

const listed = wrangler(['secret', 'list', '--env', envName, '--format', 'json'], { capture: true });
if (listed.status !== 0) fail([`could not list the Worker's secrets (is wrangler logged in?):\n${listed.stderr.trim()}`]);
let names = [];
try {
  names = JSON.parse(listed.stdout).map((s) => s.name);
} catch {
  // A Worker deployed for the first time has no secrets yet; wrangler says so in prose.
}
const secrets = missingSecrets(names, envName);
if (secrets.length) fail(secrets);

buildWeb();
for (const step of deploySteps(envName)) {
  console.log(`» ${step.what}`);
  const r = wrangler(step.args);
  if (r.status !== 0) fail([`\`wrangler ${step.args.join(' ')}\` failed (exit ${r.status}); nothing after it ran`]);
}
console.log(`» deployed ${envName}`);

function fail(lines) {
  console.error(`deploy refused:\n${lines.map((l) => `  - ${l}`).join('\n')}`);
  process.exit(1);
}
