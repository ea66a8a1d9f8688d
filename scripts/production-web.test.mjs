// The production web bundle carries none of the test hooks (web/src/lib/test-hooks.ts): they would
// hand any script in the page the meeting's keys. Builds the app as `npm start`, `npm run deploy`
// and `npm run selfhost` do, into a folder of its own, and reads every script it emits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from './env.mjs';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'sealroom-web-prod-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function scripts(dir) {
  return readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.js'))
    .map((f) => ({ file: f, text: readFileSync(path.join(dir, f), 'utf8') }));
}

describe('production web build', () => {
  it('has no test hook in any script', () => {
    const { SEALROOM_TEST_HOOKS: _, ...env } = process.env;
    const r = spawnSync(
      path.join(root, 'node_modules', '.bin', 'vite'),
      ['build', '--config', 'web/vite.config.ts', '--logLevel', 'error', '--outDir', outDir, '--emptyOutDir'],
      {
        cwd: root,
        env,
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const js = scripts(outDir);
    // The bundle is the real app: the join marks bench/join reads are in it.
    expect(js.some((s) => s.text.includes('sealroom:welcome'))).toBe(true);
    for (const { file, text } of js) {
      expect(text.includes('__sealroom'), `${file} mentions __sealroom`).toBe(false);
      expect(text.includes('__SEALROOM_TEST_HOOKS__'), `${file} left the flag unreplaced`).toBe(false);
    }
  }, 180_000);
});
