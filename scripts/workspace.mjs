// `npm run test -w <part>` and `npm run typecheck -w <part>`: one part's vitest project or type
// check alone, on the same Node 22 and quiet wrangler settings as `npm test` (run through
// bootstrap.mjs). Arguments after the part narrow the tests, as vitest's file filters do.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { TYPE_CHECKS } from './checks.mjs';
import { quietEnv, root } from './env.mjs';

const [task, part, ...filters] = process.argv.slice(2);
// The e2e workspace's tests have their own entry (`test:e2e`): they need Chromium, the mediasoup
// worker and a built web app first.
if (!['test', 'typecheck'].includes(task) || !(part in TYPE_CHECKS) || (task === 'test' && part === 'test')) {
  console.error(`usage: workspace.mjs test|typecheck ${Object.keys(TYPE_CHECKS).join('|')} [filters]`);
  process.exit(2);
}
const run = task === 'typecheck' ? TYPE_CHECKS[part] : { cmd: path.join(root, 'node_modules', '.bin', 'vitest'), args: ['run', '--project', part, ...filters] };
// npm ran us from the workspace folder; PWD must name the root too, or wrangler warns that they differ.
const r = spawnSync(run.cmd, run.args, { cwd: root, env: { ...quietEnv(), PWD: root }, stdio: 'inherit' });
process.exit(r.status ?? 1);
