/**
 * A private edge (wrangler dev only, no media origin) with a KMS master key. The shared e2e
 * stack (scripts/stack.mjs via test/stack.global-setup.ts) passes no SEALROOM_MASTER_KEY, and
 * cloud recordings refuse to store anything without encryption at rest (503 kms_unavailable).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { root } from '../../scripts/env.mjs';
import { freePort, startEdge } from '../../scripts/stack.mjs';

export interface PrivateEdge {
  url: string;
  stop: () => Promise<void>;
}

export async function startPrivateEdge(): Promise<PrivateEdge> {
  const stateDir = path.join(root, '.cache', `e2e-recordings-${process.pid}`);
  rmSync(stateDir, { recursive: true, force: true });
  const edge = await startEdge({
    port: await freePort(),
    stateDir,
    secret: randomBytes(32).toString('base64url'),
    masterKey: randomBytes(32).toString('base64url'),
    logDir: path.join(root, '.cache', 'e2e-logs', 'recordings-edge'),
    log: () => {},
  });
  return {
    url: edge.url,
    stop: async () => {
      await edge.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
