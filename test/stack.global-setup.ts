/**
 * Starts a private stack for the end-to-end tests: its own ports and its own fresh state
 * folder, so it never touches (or is touched by) a running `npm start`.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { localSecret, root } from '../scripts/env.mjs';
import { ensureWorker } from '../scripts/setup.mjs';
import { startStack } from '../scripts/stack.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    stackUrl: string;
    originUrl: string;
    secret: string;
  }
}

export default async function setup(project: TestProject) {
  const stateDir = path.join(root, '.cache', 'e2e-state');
  rmSync(stateDir, { recursive: true, force: true });
  const secret = localSecret();
  const stack = await startStack({
    port: 8788,
    originPort: 4444,
    metricsPort: 9465,
    rtcPorts: [41000, 41999],
    stateDir,
    logDir: path.join(root, '.cache', 'e2e-logs'),
    secret,
    workerBin: await ensureWorker(() => {}),
    testTap: true,
  });
  project.provide('stackUrl', stack.url);
  project.provide('originUrl', stack.originUrl);
  project.provide('secret', secret);
  return () => stack.stop();
}
