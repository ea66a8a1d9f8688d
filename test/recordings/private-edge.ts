/**
 * A private edge (wrangler dev only, no media origin) with a KMS master key. The shared e2e
 * stack (scripts/stack.mjs via test/stack.global-setup.ts) passes no SEALROOM_MASTER_KEY, and
 * cloud recordings refuse to store anything without encryption at rest (503 kms_unavailable).
 * Once the stack passes one, these tests can use inject('stackUrl') and this file goes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { applyLocalMigrations } from '../../scripts/d1-migrations.mjs';
import { quietEnv, root } from '../../scripts/env.mjs';
import { freePort } from '../../scripts/stack.mjs';

const wrangler = path.join(root, 'node_modules', '.bin', 'wrangler');

export interface PrivateEdge {
  url: string;
  /** The workerd processes' ids, to sample their memory. */
  pid: number;
  stop: () => Promise<void>;
}

export async function startPrivateEdge(): Promise<PrivateEdge> {
  const stateDir = path.join(root, '.cache', `e2e-recordings-${process.pid}`);
  const logDir = path.join(root, '.cache', 'e2e-logs');
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const env = quietEnv();
  applyLocalMigrations({ stateDir, env });
  const port = await freePort();
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', '0', '--persist-to', stateDir, '--log-level', 'warn',
    '--show-interactive-dev-session=false', '--live-reload=false',
    '--var', `SEALROOM_SHARED_SECRET:${randomBytes(32).toString('base64url')}`,
    '--var', `SEALROOM_MASTER_KEY:${randomBytes(32).toString('base64url')}`];
  const out = createWriteStream(path.join(logDir, 'recordings-edge.log'), { flags: 'a' });
  // Own process group, so stopping it stops workerd too, and only what this started.
  const child: ChildProcess = spawn(wrangler, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 8000))]);
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
    rmSync(stateDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/api/meetings/000000000`, { signal: AbortSignal.timeout(2000) })).status === 404) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`private edge did not start; see .cache/e2e-logs/recordings-edge.log`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { url, pid: child.pid!, stop };
}
