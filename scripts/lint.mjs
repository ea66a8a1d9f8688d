// `npm run lint`: prettier's formatting and eslint's rules over every workspace, as `npm test`
// checks them. `npm run format` rewrites what the tools can fix by themselves.
import { spawnSync } from 'node:child_process';
import { STYLE_CHECKS } from './checks.mjs';
import { root } from './env.mjs';

const fix = process.argv.includes('--fix');
let failed = 0;
for (const check of STYLE_CHECKS) {
  const r = spawnSync(check.cmd, fix ? check.fix : check.args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
  console.log(`${r.status === 0 ? '✓' : '✗'} ${check.name}${fix ? ' (fix)' : ''}`);
}
process.exit(failed === 0 ? 0 : 1);
