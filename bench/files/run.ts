/**
 * In-meeting file transfer throughput: two headless Chromium pages in one meeting on a private
 * local edge (wrangler dev + workerd; no media origin, files do not touch it). Alice sends a
 * random file to everyone, Bob accepts; the time from Bob's "accept" until his copy is
 * reassembled and every chunk verified is the figure. Everything real: crypto/seal.ts chunk
 * sealing on Alice's page, the Room relaying, opening on Bob's. Prints a table.
 *
 * Wall-clock throughput on a shared machine follows the load average, so each row also gives
 * what the transfer cost in CPU time, read from /proc: on each page's main thread (where the
 * app's scripts run; what the user would feel as jank), in each browser's processes, and in
 * the edge (workerd).
 *
 *   PATH=$PWD/node_modules/.bin:$PATH tsx bench/files/run.ts [MiB …]     (default 10 50)
 * The pages are read through the web app's test hooks: `npm run bench:files` builds and serves
 * web/dist-test; run directly, build it (SEALROOM_TEST_HOOKS=1 vite build) and set
 * SEALROOM_WEB_DIST=web/dist-test.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { localSecret, root } from '../../scripts/env.mjs';
import { freePort, startStack } from '../../scripts/stack.mjs';
import { openBrowser } from '../../test/lib/browser.ts';
import { createFromHome } from '../../test/lib/meeting.ts';
import { joinWithoutCamera } from '../../test/web/lib/pages.ts';
import { childrenOf, cpuOfTree, cpuSpent } from './cpu.ts';

const MiB = 1024 * 1024;
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
if (!sizes.length) sizes.push(10, 50);

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const card = (page: Page, name: string) => page.locator('[data-testid="file-transfer"]', { hasText: name });

const stack = await startStack({
  port: await freePort(),
  withOrigin: false,
  stateDir: path.join(root, '.cache', `bench-files-${process.pid}`),
  logDir: path.join(root, '.cache', 'bench-logs'),
  secret: localSecret(),
});
/** Each browser's root process: the child of ours that appeared when it was launched. */
const browserPids: number[] = [];
const contexts = [];
for (let i = 0; i < 2; i++) {
  const known = new Set(childrenOf(process.pid));
  contexts.push(await openBrowser());
  browserPids.push(...childrenOf(process.pid).filter((p) => !known.has(p)));
}
const roots = [...browserPids, ...stack.pids];
try {
  const [alice, bob] = await Promise.all(contexts.map(async (c) => c.pages()[0] ?? (await c.newPage())));
  alice!.setDefaultTimeout(600_000);
  bob!.setDefaultTimeout(600_000);
  const meetingId = await createFromHome(alice!, stack.url);
  await joinWithoutCamera(alice!, 'Alice');
  await bob!.goto(`${stack.url}/m/${meetingId}`);
  await joinWithoutCamera(bob!, 'Bob');
  for (const p of [alice!, bob!]) {
    await p.getByTestId('chat-toggle').click();
    await p.getByTestId('file-send').waitFor();
  }
  if (browserPids.length !== 2) console.log(`(could not tell the two browsers' processes apart: ${browserPids.length} new children; CPU columns are n/a)`);
  console.log(`\nload average before: ${loadavg()}`);
  console.log(
    '\n| file | accept → received and verified | throughput | sender done after | CPU s, page main thread: Alice · Bob | CPU s, all: Alice’s browser · Bob’s browser · edge | load average after |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const mib of sizes) {
    const name = `bench-${mib}-${Date.now()}.bin`;
    const data = randomBytes(mib * MiB);
    await alice!.getByTestId('file-input').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: data });
    const cpu0 = roots.map(cpuOfTree);
    await card(bob!, name).getByTestId('file-accept').click();
    const t0 = Date.now();
    const aliceDone = card(alice!, name)
      .and(alice!.locator('[data-status="done"]'))
      .waitFor()
      .then(() => Date.now() - t0);
    await card(bob!, name).and(bob!.locator('[data-status="done"]')).waitFor();
    const s = (Date.now() - t0) / 1000;
    const sent = (await aliceDone) / 1000;
    const cpu = roots.map((r, i) => cpuSpent(cpu0[i]!, cpuOfTree(r)));
    const edge = cpu.slice(browserPids.length).reduce((a, c) => a + c.total, 0);
    const [a, b] = browserPids.length === 2 ? cpu : [];
    const mainCell = a && b ? `${a.rendererMain.toFixed(2)} · ${b.rendererMain.toFixed(2)}` : 'n/a';
    const allCell = a && b ? `${a.total.toFixed(1)} · ${b.total.toFixed(1)} · ${edge.toFixed(1)}` : 'n/a';
    console.log(
      `| ${mib} MiB | ${s.toFixed(2)} s | ${(data.length / 1e6 / s).toFixed(2)} MB/s | ${sent.toFixed(2)} s | ${mainCell} | ${allCell} | ${loadavg()} |`,
    );
    // Free Bob's copy before the next round.
    await card(bob!, name).getByTestId('file-dismiss').click();
  }
} finally {
  await Promise.all(contexts.map((c) => c.close()));
  await stack.stop();
}
