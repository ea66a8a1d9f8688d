/**
 * Starts a private stack for the end-to-end tests: its own ports and its own fresh state
 * folder, so it never touches (or is touched by) a running `npm start`.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { localMasterKey, localSecret, root } from '../scripts/env.mjs';
import { ensureTestWeb, ensureWorker, testWebDist } from '../scripts/setup.mjs';
import { freePort, startStack } from '../scripts/stack.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    stackUrl: string;
    originUrl: string;
    secret: string;
    /** The stack's mail sink: GET /messages?to=… lists what the edge mailed (scripts/mail-sink.mjs). */
    mailUrl: string;
    /** Process ids of the stack's services (wrangler's, the origin's), for tests that watch their memory. */
    stackPids: { edge: number; origin: number };
  }
}

export default async function setup(project: TestProject) {
  // The pages are read through the app's test hooks: serve the build that has them (`npm test`
  // built it just now; a run of one file builds it here when web/ changed since), unless the
  // developer points SEALROOM_WEB_DIST at another one.
  if (!process.env.SEALROOM_WEB_DIST) {
    ensureTestWeb();
    process.env.SEALROOM_WEB_DIST = testWebDist;
  }
  const stateDir = path.join(root, '.cache', `e2e-state-${process.pid}`);
  rmSync(stateDir, { recursive: true, force: true });
  const secret = localSecret();
  // Free ports picked now, so concurrent runs (a second clone, a developer's npm start) never meet.
  const rtcBase = 41000 + Math.floor(Math.random() * 18) * 1000;
  const stack = await startStack({
    port: await freePort(),
    originPort: await freePort(),
    metricsPort: await freePort(),
    rtcPorts: [rtcBase, rtcBase + 999],
    stateDir,
    logDir: path.join(root, '.cache', 'e2e-logs'),
    secret,
    masterKey: localMasterKey(),
    workerBin: await ensureWorker(() => {}),
    testTap: true,
    // gc() in the Room's isolate, for the soak's memory figures (test/faults/lib/isolate.ts).
    env: { MINIFLARE_WORKERD_V8_FLAGS: '--expose-gc' },
  });
  project.provide('stackUrl', stack.url);
  project.provide('originUrl', stack.originUrl);
  project.provide('secret', secret);
  project.provide('mailUrl', stack.mailUrl);
  const [edgePid, originPid] = stack.pids;
  project.provide('stackPids', { edge: edgePid!, origin: originPid! });
  return async () => {
    await stack.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
}
