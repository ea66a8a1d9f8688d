/**
 * Join latency: how long a newcomer waits for the first frame of someone already in the call.
 * A bare mediasoup baseline (baseline-server.ts, no Sealroom code) and Sealroom (its whole
 * stack on free ports) run in one process tree on the same mediasoup worker binary, alternating
 * run by run so that the machine's load falls on both alike. Each run is a fresh publisher and
 * a fresh newcomer, each in a fresh Chromium profile (test/lib/browser.ts).
 *
 * Two clocks in the newcomer's page, both measured in the page (performance.now):
 * - page open → first frame: from navigation start to the first inbound-rtp video report with
 *   framesDecoded > 0, polled every 25 ms over every RTCPeerConnection the page made;
 * - join click → first frame: from the join button's click to the same moment.
 * A third Sealroom newcomer each run is a returning user who asked to join straight away: no
 * form, no click, so page open → first frame only.
 * Sealroom's pages also leave `sealroom:*` performance marks at each join phase (web/src);
 * their medians, relative to the join click, are the phase table, with the page's own load
 * (`load:` rows: the document and each script, style and font fetched, when its last byte arrived).
 *
 *   JOIN_RUNS=8 tsx bench/join/run.ts      (npm run bench:join)
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import type { BrowserContext, Page } from 'playwright-core';
import { localMasterKey, localSecret, root } from '../../scripts/env.mjs';
import { ensureWorker } from '../../scripts/setup.mjs';
import { freePort, startStack } from '../../scripts/stack.mjs';
import { openBrowser } from '../../test/lib/browser.ts';
import { newRoomId, startBaseline } from './baseline-server.ts';

/** What bench/join/probe.js leaves in the page. */
type Probe = { joinClick: number | null; firstFrame: number | null; longTasks: [number, number][] };
const PROBE = path.join(path.dirname(new URL(import.meta.url).pathname), 'probe.js');

const RUNS = Number(process.env['JOIN_RUNS'] ?? 8);
const TIMEOUT_MS = 60_000;

/**
 * noKey: video and audio frames the newcomer dropped for want of a key (Sealroom only).
 * busy: ms the newcomer's main thread spent in long tasks (≥ 50 ms) before and after the click,
 * and (Sealroom) between its pre-join form showing and the click.
 */
type Busy = { beforeClick: number; formToClick?: number; afterClick: number };
type Sample = { open: number; click: number; marks: Record<string, number>; busy: Busy; noKey?: number };

async function measure(page: Page): Promise<Sample> {
  await page.waitForFunction(() => (window as unknown as { __bench: Probe }).__bench.firstFrame !== null, null, { timeout: TIMEOUT_MS, polling: 50 });
  return page.evaluate(() => {
    const b = (window as unknown as { __bench: Probe }).__bench;
    // A returning user who skips the form never clicks: their clock starts at page open.
    const clickAt = b.joinClick ?? 0;
    const marks: Record<string, number> = {};
    for (const m of performance.getEntriesByType('mark')) if (m.name.startsWith('sealroom:') && !(m.name in marks)) marks[m.name] = m.startTime - clickAt;
    // Where the page's own load went: the document and each script, style and font it fetched
    // (names without their content hash), each when its last byte arrived.
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    if (nav) {
      marks['load:document'] = nav.responseEnd - clickAt;
      marks['load:dom-interactive'] = nav.domInteractive - clickAt;
    }
    for (const r of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
      const file = new URL(r.name).pathname.split('/').pop() ?? '';
      if (!/\.(js|css|woff2?)$/.test(file)) continue;
      marks[`load:${file.replace(/-[A-Za-z0-9_-]{8}\./, '.')}`] = r.responseEnd - clickAt;
    }
    // Each task's share of a window, so one that straddles the click counts on both sides.
    // (No named helper: the page gets this function's text, without the bundler's name helper.)
    const form = performance.getEntriesByName('sealroom:prejoin-shown')[0]?.startTime;
    const [beforeClick, afterClick, formToClick] = [
      [0, clickAt],
      [clickAt, b.firstFrame!],
      [form ?? clickAt, clickAt],
    ].map(([from, to]) => b.longTasks.reduce((sum, [at, d]) => sum + Math.max(0, Math.min(at + d, to!) - Math.max(at, from!)), 0));
    const busy: Busy = { beforeClick: beforeClick!, afterClick: afterClick! };
    if (form !== undefined && b.joinClick !== null) busy.formToClick = formToClick!;
    return { open: b.firstFrame!, click: b.firstFrame! - clickAt, marks, busy };
  });
}

async function fresh(): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await openBrowser();
  // A loaded machine takes far longer than playwright's 30 s default to load a page.
  ctx.setDefaultTimeout(TIMEOUT_MS);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await page.addInitScript({ path: PROBE });
  return { ctx, page };
}

async function baselineRun(url: string): Promise<Sample> {
  const room = newRoomId();
  const pub = await fresh();
  const sub = await fresh();
  try {
    await pub.page.goto(`${url}/?room=${room}&role=pub`);
    await pub.page.waitForFunction(() => (window as unknown as { published?: boolean }).published === true, null, { timeout: TIMEOUT_MS });
    await sub.page.goto(`${url}/?room=${room}&role=sub`);
    await sub.page.locator('#join:enabled').click();
    return await measure(sub.page);
  } finally {
    await Promise.all([pub.ctx.close(), sub.ctx.close()]);
    await fetch(`${url}/rpc/close`, { method: 'POST', body: JSON.stringify({ room }) }).catch(() => undefined);
  }
}

/**
 * `returning`: the newcomer has been here before and ticked "next time, join straight away"
 * (its name and that preference already in its browser's storage), so it joins without a form
 * or a click; its sample's clock is page open only.
 */
async function sealroomRun(url: string, returning = false): Promise<Sample> {
  const host = await fresh();
  const guest = await fresh();
  if (returning)
    await guest.page.addInitScript(() => {
      localStorage.setItem('sealroom:name', 'Guest');
      localStorage.setItem('sealroom:join-preferences', JSON.stringify({ skip: true, micOn: true, camOn: true, camera: '', microphone: '', speaker: '' }));
    });
  try {
    await host.page.goto(url);
    await host.page.getByTestId('create-meeting').click();
    await host.page.waitForURL(/\/m\/[0-9]{9,11}/);
    const meeting = /\/m\/([0-9]{9,11})/.exec(host.page.url())![1]!;
    await host.page.getByTestId('name-input').fill('Host');
    await host.page.getByTestId('join-button').click();
    // The host is sending once its frames go through the sealer.
    await host.page.waitForFunction(
      async () =>
        ((await (window as unknown as { __sealroom?: { e2ee: { stats(): Promise<{ sealed: number }> } } }).__sealroom?.e2ee.stats())?.sealed ?? 0) > 30,
      null,
      { timeout: TIMEOUT_MS, polling: 100 },
    );
    await guest.page.goto(`${url}/m/${meeting}`);
    if (!returning) {
      await guest.page.getByTestId('name-input').fill('Guest');
      await guest.page.getByTestId('join-button').click();
    }
    const sample = await measure(guest.page);
    const stats = await guest.page.evaluate(() =>
      (window as unknown as { __sealroom: { e2ee: { stats(): Promise<{ noKey?: number }> } } }).__sealroom.e2ee.stats(),
    );
    return { ...sample, noKey: stats.noKey ?? 0 };
  } finally {
    await Promise.all([host.ctx.close(), guest.ctx.close()]);
  }
}

function summary(xs: number[]): { min: number; median: number; p90: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { min: s[0]!, median, p90: at(0.9), max: s[s.length - 1]! };
}

const ms = (x: number) => `${Math.round(x)}`;

async function main(): Promise<void> {
  const workerBin = await ensureWorker(() => {});
  process.env['MEDIASOUP_WORKER_BIN'] ??= workerBin;
  const stateDir = path.join(root, '.cache', `bench-join-${process.pid}`);
  rmSync(stateDir, { recursive: true, force: true });
  const rtcBase = 41000 + Math.floor(Math.random() * 18) * 1000;
  const stack = await startStack({
    port: await freePort(),
    originPort: await freePort(),
    metricsPort: await freePort(),
    rtcPorts: [rtcBase, rtcBase + 499],
    stateDir,
    logDir: path.join(root, '.cache', 'bench-join-logs'),
    secret: localSecret(),
    masterKey: localMasterKey(),
    workerBin,
    log: () => {},
  });
  const results = { baseline: [] as Sample[], sealroom: [] as Sample[], returning: [] as Sample[] };
  let baseline: Awaited<ReturnType<typeof startBaseline>> | null = null;
  try {
    baseline = await startBaseline({ rtcPorts: [rtcBase + 500, rtcBase + 999] });
    // One unmeasured run each: the first page load compiles the app and warms wrangler.
    await baselineRun(baseline.url);
    await sealroomRun(stack.url);
    for (let i = 0; i < RUNS; i++) {
      results.baseline.push(await baselineRun(baseline.url));
      results.sealroom.push(await sealroomRun(stack.url));
      results.returning.push(await sealroomRun(stack.url, true));
      const b = results.baseline.at(-1)!;
      const s = results.sealroom.at(-1)!;
      const r = results.returning.at(-1)!;
      console.error(`run ${i + 1}/${RUNS}: baseline ${ms(b.click)} ms, sealroom ${ms(s.click)} ms (click → frame); returning ${ms(r.open)} ms (open → frame)`);
    }
  } finally {
    await baseline?.close();
    await stack.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  console.log(`\nJoin latency, ${RUNS} runs each, alternating; ${os.cpus().length} cores, load average ${load} (1/5/15 min) at the end\n`);
  console.log('| clock | system | min | median | p90 | max |');
  console.log('|---|---|---:|---:|---:|---:|');
  const med: Record<string, number> = {};
  for (const clock of ['open', 'click'] as const)
    for (const sys of ['baseline', 'sealroom'] as const) {
      const s = summary(results[sys].map((r) => r[clock]));
      med[`${clock}:${sys}`] = s.median;
      const label = clock === 'open' ? 'page open → first frame' : 'join click → first frame';
      console.log(`| ${label} | ${sys} | ${ms(s.min)} | ${ms(s.median)} | ${ms(s.p90)} | ${ms(s.max)} |`);
    }
  const back = summary(results.returning.map((r) => r.open));
  console.log(
    `| page open → first frame | sealroom, returning (joins without the form) | ${ms(back.min)} | ${ms(back.median)} | ${ms(back.p90)} | ${ms(back.max)} |`,
  );
  console.log(
    `\nSealroom / baseline, ratio of medians: page open ${(med['open:sealroom']! / med['open:baseline']!).toFixed(2)}×, join click ${(med['click:sealroom']! / med['click:baseline']!).toFixed(2)}×; returning user's page open ${(back.median / med['open:baseline']!).toFixed(2)}×`,
  );
  console.log('\nMain thread in long tasks (≥ 50 ms), median ms:\n');
  console.log('| window | baseline | sealroom |');
  console.log('|---|---:|---:|');
  const busyMedian = (sys: 'baseline' | 'sealroom', window: keyof Busy) => {
    const xs = results[sys].map((r) => r.busy[window]).filter((x): x is number => x !== undefined);
    return xs.length ? ms(summary(xs).median) : '—';
  };
  for (const [window, label] of [
    ['beforeClick', 'page open → join click'],
    ['formToClick', '… of which pre-join form shown → click'],
    ['afterClick', 'join click → first frame'],
  ] as const)
    console.log(`| ${label} | ${busyMedian('baseline', window)} | ${busyMedian('sealroom', window)} |`);
  const names = [...new Set(results.sealroom.flatMap((r) => Object.keys(r.marks)))];
  const phases = names
    .map((n) => ({ n, ms: summary(results.sealroom.map((r) => r.marks[n]).filter((x): x is number => x !== undefined)).median }))
    .sort((a, b) => a.ms - b.ms);
  phases.push({ n: 'first remote frame decoded', ms: med['click:sealroom']! });
  const noKey = summary(results.sealroom.map((r) => r.noKey ?? 0));
  console.log(`\nFrames the Sealroom newcomer dropped for want of a key before its first decoded frame: median ${noKey.median}, max ${noKey.max}`);
  console.log('\nSealroom join phases (median ms after the join click):\n');
  console.log('| phase | at | step |');
  console.log('|---|---:|---:|');
  let prev = 0;
  for (const p of phases) {
    console.log(`| ${p.n.replace(/^sealroom:/, '')} | ${ms(p.ms)} | ${ms(p.ms - prev)} |`);
    prev = p.ms;
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
