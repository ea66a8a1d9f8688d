/**
 * Makes sure a mediasoup worker binary exists (scripts/mediasoup-worker/ensure.mjs builds it
 * offline if needed, once per machine) and hands its path to the test files.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    mediasoupWorkerBin: string;
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export default async function setup(project: TestProject): Promise<void> {
  const ensure = (await import(pathToFileURL(path.join(root, 'scripts', 'mediasoup-worker', 'ensure.mjs')).href)) as {
    ensureMediasoupWorker(o: { root: string; log: (line: string) => void }): Promise<string>;
  };
  const bin = await ensure.ensureMediasoupWorker({ root, log: (l) => console.error(l) });
  // Forked test workers inherit this; setup-env.ts sets it again from `inject` for thread pools.
  process.env.MEDIASOUP_WORKER_BIN = bin;
  project.provide('mediasoupWorkerBin', bin);
}
