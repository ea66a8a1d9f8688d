// The type check of each part, as `npm test` runs them and `npm run typecheck -w <part>` runs one.
import path from 'node:path';
import { root } from './env.mjs';

const bin = (name) => path.join(root, 'node_modules', '.bin', name);

/** Part (workspace folder) → the command that type-checks it, run from the repository root. */
export const TYPE_CHECKS = {
  ...Object.fromEntries(['protocol', 'crypto', 'edge', 'media-origin', 'test'].map((p) => [p, { name: `tsc ${p}`, cmd: bin('tsc'), args: ['-p', p] }])),
  web: {
    name: 'svelte-check web',
    cmd: bin('svelte-check'),
    args: ['--workspace', 'web', '--tsconfig', 'tsconfig.json', '--threshold', 'error', '--output', 'human'],
  },
};

/** The style checks `npm test` counts and `npm run lint` runs: prettier's formatting, then eslint's rules. */
export const STYLE_CHECKS = [
  { name: 'prettier --check', cmd: bin('prettier'), args: ['--check', '--log-level', 'warn', '.'], fix: ['--write', '--log-level', 'warn', '.'] },
  { name: 'eslint', cmd: bin('eslint'), args: ['.'], fix: ['--fix', '.'] },
];
