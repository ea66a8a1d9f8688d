// The type check of each part, as `npm test` runs them and `npm run typecheck -w <part>` runs one.
import path from 'node:path';
import { root } from './env.mjs';

const bin = (name) => path.join(root, 'node_modules', '.bin', name);

/** Part (workspace folder) → the command that type-checks it, run from the repository root. */
export const TYPE_CHECKS = {
  ...Object.fromEntries(['protocol', 'crypto', 'edge', 'media-origin', 'test'].map((p) => [p, { name: `tsc ${p}`, cmd: bin('tsc'), args: ['-p', p] }])),
  web: { name: 'svelte-check web', cmd: bin('svelte-check'), args: ['--workspace', 'web', '--tsconfig', 'tsconfig.json', '--threshold', 'error', '--output', 'human'] },
};
