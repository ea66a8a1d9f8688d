/**
 * Soak: two Chromium participants stay in one call for SOAK_MS (120 s inside `npm test`, 10
 * minutes with `npm run soak`) while other participants keep joining and leaving around them,
 * and both chat at a steady pace. The joiners are Node clients that run the real key exchange
 * (lib/keyed-member.ts), so every arrival and departure makes the browsers rekey, as a person
 * would. At the end it checks that:
 * - no chat line was lost, duplicated or reordered (per sender);
 * - the browsers dropped no undecryptable frame outside a short grace window after each join
 *   or leave (the window is where a rekey may legitimately race a frame);
 * - both still decode each other's camera;
 * - workerd (the Room) and the media origin did not grow beyond the bounds below, nor the
 *   Room isolate's live heap (lib/isolate.ts: a full collection before each sample, and every
 *   COLLECT_EVERY_MS during the run, as a production isolate collects under memory pressure).
 * It runs on the shared stack (it kills nothing) and prints a table of its figures.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { createFromHome, decodesVideoFrom, inboundStats, join, waitForStats } from '../lib/meeting.ts';
import { Pages, until } from '../web/lib/pages.ts';
import { collectAll, isolates, type Isolate } from './lib/isolate.ts';
import { KeyedMember } from './lib/keyed-member.ts';

const SOAK_MS = z.coerce
  .number()
  .int()
  .min(30_000)
  .max(6 * 3600_000)
  .parse(process.env.SOAK_MS ?? 120_000);
/** A joiner arrives this often; each stays two periods, so two are in the call at any time. */
const CHURN_MS = 4_000;
/** Every this-many-th joiner vanishes without `leave` (a crashed tab): the Room holds its seat for the reconnect window, then it departs. */
const DROP_EVERY = 5;
/**
 * After a join or leave reaches a browser, frames may be dropped for this long without counting
 * against the run: the leaver's key goes at once while frames sealed with it may still be in
 * flight, and a newcomer's arrival ratchets every key. 2 s is twice the send-key activation
 * delay (crypto/key-group.ts SEND_KEY_DELAY_MS), which is what the key exchange itself needs.
 */
const GRACE_MS = 2_000;
/** Chat lines in all: 1000 when the run is long enough to send them at ≤ 2 lines/s per sender (the Room allows 5/s). */
const CHAT_LINES = Math.min(1000, Math.floor(SOAK_MS / 250));
/** How far past the run a sender that fell behind (a CPU-starved page) may keep sending. */
const CHAT_SLACK_MS = 15_000;
/** One sender's lines never come closer than this: the Room allows 5 a second (edge/src/room/rate-limit.ts). */
const CHAT_MIN_GAP_MS = 250;
/**
 * Memory growth allowed over the run, fixed, not scaled with the run: anonymous resident memory of
 * workerd (the Room), the origin's Node and its mediasoup workers, and the Room isolate's live JS
 * heap after a full collection. Without collections workerd's RSS grew with every request (+96.7 MB
 * in a 10-minute run) although the live heap did not: dead wrappers holding native memory, see
 * lib/isolate.ts. A leak in the Room grows the live heap and, through what it holds, RSS, with the run.
 * `workerd` counts both workerd processes under wrangler: the runtime that holds the Room, whose
 * isolates are all collected, and wrangler's dev proxy in front of it (no inspector, so never
 * collected; it does not exist in production). `runtime` bounds the first alone, tighter: with
 * every isolate collected it stays flat (−3.8 MB over 149 joins in 600 s, docs/BENCHMARKS.md).
 */
const MAX_GROWTH_MB = { workerd: 40, runtime: 20, origin: 60, workers: 40, heap: 8 };
/** Every isolate of the Room's runtime is collected this often during the run (and before each sample). */
const COLLECT_EVERY_MS = 10_000;

const stackUrl = inject('stackUrl');
const pids = inject('stackPids');
const pages = new Pages();
const members: KeyedMember[] = [];
afterAll(async () => {
  await Promise.all(members.map((m) => m.leave()));
  await pages.close();
});

// ── process memory ────────────────────────────────────────────────────────────

interface Proc {
  pid: number;
  ppid: number;
  name: string;
  anonKb: number;
  cmd: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = readFileSync(`/proc/${d}/status`, 'utf8');
      out.push({
        pid: Number(d),
        ppid: Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0),
        name: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '',
        // Anonymous resident memory: what the process allocated. VmRSS also counts pages of its
        // executable read in as new code paths run (workerd's grew 4 MB in a 3-minute soak),
        // shared with the page cache and dropped under pressure: not memory the run kept.
        anonKb: Number(/^RssAnon:\s+(\d+)/m.exec(status)?.[1] ?? 0),
        cmd: readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' '),
      });
    } catch {
      // ended while we looked
    }
  }
  return out;
}

function descendants(all: Proc[], root: number): Proc[] {
  const found: Proc[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next = all.filter((p) => frontier.includes(p.ppid));
    found.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return found;
}

const workerdPids = () =>
  descendants(processes(), pids.edge)
    .filter((p) => p.name === 'workerd')
    .map((p) => p.pid);
let found: Promise<Isolate[]> | null = null;
/** The runtime's isolates, looked up once: the stack keeps its processes for the whole run. */
const stackIsolates = () => (found ??= isolates(workerdPids()));
/** A full collection in every isolate of the Room's runtime; the Room isolate's live heap in MB. */
const collect = () => stackIsolates().then((all) => collectAll(all, 'sealroom-edge'));
/** The workerd that runs the Room (the other one under wrangler is its dev proxy, which has no inspector). */
const roomWorkerd = async () => (await stackIsolates()).find((i) => i.name === 'core:user:sealroom-edge')?.pid;

type Memory = { workerd: number; runtime: number; proxy: number; origin: number; workers: number; heap: number };
const MEMORY_LABELS: Record<keyof Memory, string> = {
  workerd: 'anon RSS workerd, all',
  runtime: '… of which the Room runtime',
  proxy: "… of which wrangler's dev proxy",
  origin: 'anon RSS origin Node',
  workers: 'anon RSS mediasoup workers',
  heap: 'Room isolate live heap',
};
const MEMORY_KEYS = Object.keys(MEMORY_LABELS) as (keyof Memory)[];
/** The figures with a bound of their own (the dev proxy's share is only printed). */
const BOUNDED_KEYS = Object.keys(MAX_GROWTH_MB) as (keyof typeof MAX_GROWTH_MB)[];

/**
 * Anonymous resident MB of the Room's runtime (every workerd under wrangler), the origin's Node
 * process, and its mediasoup workers, after a full collection in the Room's isolate (whose live heap is `heap`).
 */
async function memory(): Promise<Memory> {
  const heap = await collect();
  const all = processes();
  const mb = (ps: Proc[]) => ps.reduce((s, p) => s + p.anonKb, 0) / 1024;
  const edge = descendants(all, pids.edge);
  const origin = descendants(all, pids.origin);
  // tsx runs the origin in a child Node; the launcher process itself only waits for it.
  const originNode = origin.filter((p) => p.name === 'node' && p.cmd.includes('media-origin/src/main.ts'));
  const workerd = edge.filter((p) => p.name === 'workerd');
  if (workerd.length === 0 || originNode.length === 0) throw new Error(`stack processes not found under ${pids.edge} / ${pids.origin}`);
  const runtimePid = await roomWorkerd();
  return {
    workerd: mb(workerd),
    runtime: mb(workerd.filter((p) => p.pid === runtimePid)),
    proxy: mb(workerd.filter((p) => p.pid !== runtimePid)),
    origin: mb(originNode),
    workers: mb(origin.filter((p) => p.name.startsWith('mediasoup-work'))),
    heap,
  };
}

// ── the browsers ──────────────────────────────────────────────────────────────

interface Stay {
  label: 'A' | 'B';
  page: Page;
  id: string;
  /** When a join or leave frame reached this browser (ms since epoch). */
  events: number[];
  /** e2ee frame counters sampled over the run. */
  samples: { at: number; dropped: number; opened: number }[];
}

type FrameCounters = { dropped: number; opened: number };

function e2eeStats(page: Page): Promise<FrameCounters> {
  return page.evaluate(async () => {
    const s = await (window as unknown as { __sealroom: { e2ee: { stats(): Promise<FrameCounters> } } }).__sealroom.e2ee.stats();
    return { dropped: s.dropped, opened: s.opened };
  });
}

/** Records when membership changes reach the page: the starts of its grace windows. */
function watchMembership(stay: Stay): void {
  stay.page.on('websocket', (ws) => {
    if (!/\/api\/meetings\/[0-9]+\/ws/.test(ws.url())) return;
    ws.on('framereceived', (f) => {
      if (typeof f.payload === 'string' && /^\{"type":"participant-(joined|left)"/.test(f.payload)) stay.events.push(Date.now());
    });
  });
}

async function openChat(page: Page): Promise<void> {
  await page.getByTestId('chat-toggle').click();
  await page.getByTestId('chat-input').waitFor();
}

/** Text of the chat lines from others, in the order the page shows them. */
const receivedLines = (page: Page) =>
  page.$$eval('[data-testid="chat-line"]:not(.mine)', (els) => els.map((e) => e.querySelector('p')?.textContent ?? '(no text)'));

/** Drops counted in sample intervals that no grace window touches. */
function dropsOutsideGrace(stay: Stay): { outside: number; inside: number } {
  let outside = 0;
  let inside = 0;
  for (let i = 1; i < stay.samples.length; i++) {
    const [a, b] = [stay.samples[i - 1]!, stay.samples[i]!];
    const d = b.dropped - a.dropped;
    if (d <= 0) continue;
    if (stay.events.some((e) => e <= b.at && e + GRACE_MS >= a.at)) inside += d;
    else outside += d;
  }
  return { outside, inside };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

describe('soak', () => {
  it(
    `two browsers stay in a call for ${SOAK_MS / 1000} s while others come and go, chatting up to ${CHAT_LINES} lines`,
    async () => {
      const began = Date.now();
      // Where the time goes, for a run that is slow on a loaded machine.
      const step = (what: string) => console.log(`soak +${((Date.now() - began) / 1000).toFixed(0)} s: ${what}`);
      const a: Stay = { label: 'A', page: (await pages.open('A')).page, id: '', events: [], samples: [] };
      const b: Stay = { label: 'B', page: (await pages.open('B')).page, id: '', events: [], samples: [] };
      watchMembership(a);
      watchMembership(b);
      const meetingId = await createFromHome(a.page, stackUrl);
      a.id = await join(a.page, 'Soak A');
      await b.page.goto(`${stackUrl}/m/${meetingId}`);
      b.id = await join(b.page, 'Soak B');
      await waitForStats(a.page, decodesVideoFrom(b.id));
      await waitForStats(b.page, decodesVideoFrom(a.id));
      await Promise.all([openChat(a.page), openChat(b.page)]);
      step('both browsers in the call, decoding each other');

      // Warm-up: one joiner through the whole path, so lazily built state (the Room's key
      // relays, V8's compiled code) is in the baseline rather than counted as growth.
      const warm = await KeyedMember.join(stackUrl, meetingId, 'Warm-up');
      await warm.leave();
      const others = (page: Page) => page.evaluate(() => (window as unknown as { __sealroom: { participants(): string[] } }).__sealroom.participants().length);
      await until(a.page, 'warm-up joiner gone', async () => (await others(a.page)) === 1);
      const memStart = await memory();
      step('warmed up; churn and chat start');

      const t0 = Date.now();
      const end = t0 + SOAK_MS;
      const failures: string[] = [];
      let joins = 0;
      let leaves = 0;
      let drops = 0;

      const joinMs: number[] = [];
      const churn = async () => {
        const present: KeyedMember[] = [];
        const leaving: Promise<void>[] = [];
        for (let n = 1; Date.now() + CHURN_MS <= end; n++) {
          const started = Date.now();
          const m = await KeyedMember.join(stackUrl, meetingId, `Guest ${n}`);
          joinMs.push(Date.now() - started);
          members.push(m);
          present.push(m);
          joins++;
          if (present.length > 2) {
            const drop = n % DROP_EVERY === 0;
            leaving.push(present.shift()!.leave({ drop }));
            if (drop) drops++;
            else leaves++;
          }
          await sleepUntil(t0 + n * CHURN_MS);
        }
        leaving.push(...present.splice(0).map((m) => m.leave()));
        leaves += leaving.length - drops - leaves;
        await Promise.all(leaving);
      };

      const perSender = CHAT_LINES / 2;
      // Lines go out evenly over the run, a little before its end so the last ones arrive in it.
      // The page paces itself (no round trip to this process per line), never faster than the
      // Room's chat rate allows even when it has fallen behind.
      const chatGap = (SOAK_MS - 5_000) / perSender;
      // A page starved of CPU falls behind; it stops at the end of the run plus a little, and
      // says how many lines it sent: every one of those must arrive.
      const chat = (from: Stay) =>
        from.page.evaluate(
          ({ label, count, gap, minGap, stopAfterMs }) =>
            new Promise<number>((resolve) => {
              const input = document.querySelector<HTMLInputElement>('[data-testid="chat-input"]')!;
              const start = performance.now();
              let i = 0;
              const tick = () => {
                input.value = `soak ${label} ${i}`;
                input.dispatchEvent(new Event('input', { bubbles: true }));
                input.form!.requestSubmit();
                if (++i >= count || performance.now() - start > stopAfterMs) return resolve(i);
                setTimeout(tick, Math.max(minGap, start + i * gap - performance.now()));
              };
              tick();
            }),
          { label: from.label, count: perSender, gap: chatGap, minGap: CHAT_MIN_GAP_MS, stopAfterMs: SOAK_MS + CHAT_SLACK_MS },
        );

      const sample = async () => {
        while (Date.now() < end) {
          for (const s of [a, b]) {
            try {
              s.samples.push({ at: Date.now(), ...(await e2eeStats(s.page)) });
            } catch (err) {
              failures.push(`${s.label}: could not read e2ee stats: ${String(err)}`);
            }
          }
          await sleepUntil(Date.now() + 1_000);
        }
      };

      const collector = async () => {
        while (Date.now() < end) {
          await sleepUntil(Math.min(end, Date.now() + COLLECT_EVERY_MS));
          await collect().catch((err: unknown) => failures.push(`collecting the Room's isolate: ${String(err)}`));
        }
      };

      const sent = { A: 0, B: 0 };
      await Promise.all([
        collector(),
        churn().then(() => step('churn done')),
        chat(a).then((n) => step(`A sent ${(sent.A = n)} lines`)),
        chat(b).then((n) => step(`B sent ${(sent.B = n)} lines`)),
        sample(),
      ]);

      // Every line arrives, once, in order (the Room relays in order; each page opens in order).
      const expected = (label: 'A' | 'B') => Array.from({ length: sent[label] }, (_, i) => `soak ${label} ${i}`);
      for (const [to, from] of [
        [a, b],
        [b, a],
      ] as const) {
        await until(
          to.page,
          `${to.label} has the lines from ${from.label}`,
          async () => (await receivedLines(to.page)).length >= sent[from.label],
          30_000,
        ).catch(() => undefined);
      }
      const received = { A: await receivedLines(a.page), B: await receivedLines(b.page) };
      const chatFigures = (got: string[], label: 'A' | 'B') => {
        const want = expected(label);
        const seen = new Set(got);
        return { lost: want.filter((l) => !seen.has(l)).length, duplicated: got.length - seen.size, foreign: got.filter((l) => !want.includes(l)).length };
      };
      const toA = chatFigures(received.A, 'B');
      const toB = chatFigures(received.B, 'A');

      // Both still see each other after the churn.
      const decodedNow = async (page: Page, from: string) =>
        (await inboundStats(page)).find((s) => s.kind === 'video' && s.participantId === from)?.framesDecoded ?? 0;
      const [aBase, bBase] = [await decodedNow(a.page, b.id), await decodedNow(b.page, a.id)];
      await waitForStats(a.page, (s) => s.some((x) => x.kind === 'video' && x.participantId === b.id && x.framesDecoded > aBase));
      await waitForStats(b.page, (s) => s.some((x) => x.kind === 'video' && x.participantId === a.id && x.framesDecoded > bBase));

      step('chat and media checked');
      const memEnd = await memory();
      const dropA = dropsOutsideGrace(a);
      const dropB = dropsOutsideGrace(b);
      const opened = (s: Stay) => (s.samples.at(-1)?.opened ?? 0) - (s.samples[0]?.opened ?? 0);
      const blobErrors = members.flatMap((m) => m.blobErrors);
      const covered = (s: Stay) => {
        // Share of the run inside a grace window, so a reader knows how much was judged.
        let inGrace = 0;
        let last = t0;
        for (const e of [...s.events].filter((e) => e >= t0).sort((x, y) => x - y)) {
          inGrace += Math.min(GRACE_MS, Math.max(0, e + GRACE_MS - Math.max(last, e)));
          last = Math.max(last, e + GRACE_MS);
        }
        return inGrace / SOAK_MS;
      };

      const fmt = (v: number) => v.toFixed(1);
      console.log(
        [
          '',
          `soak: ${SOAK_MS / 1000} s, ${joins} joins, ${leaves} leaves, ${drops} dropped sockets (their seats are held for the Room's reconnect window), grace ${GRACE_MS} ms after each join/leave`,
          '| figure | start | end | growth | bound |',
          '| --- | ---: | ---: | ---: | ---: |',
          ...MEMORY_KEYS.map(
            (k) =>
              `| ${MEMORY_LABELS[k]} MB | ${fmt(memStart[k])} | ${fmt(memEnd[k])} | ${fmt(memEnd[k] - memStart[k])} | ${k in MAX_GROWTH_MB ? MAX_GROWTH_MB[k as keyof typeof MAX_GROWTH_MB] : ''} |`,
          ),
          '',
          '| browser | frames opened | dropped outside grace | dropped inside grace | run in grace | chat lines received | lost | duplicated | out of order |',
          '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
          `| A | ${opened(a)} | ${dropA.outside} | ${dropA.inside} | ${(covered(a) * 100).toFixed(0)} % | ${received.A.length}/${sent.B} | ${toA.lost} | ${toA.duplicated} | ${JSON.stringify(received.A) === JSON.stringify(expected('B')) ? 0 : 'yes'} |`,
          `| B | ${opened(b)} | ${dropB.outside} | ${dropB.inside} | ${(covered(b) * 100).toFixed(0)} % | ${received.B.length}/${sent.A} | ${toB.lost} | ${toB.duplicated} | ${JSON.stringify(received.B) === JSON.stringify(expected('A')) ? 0 : 'yes'} |`,
          `joiners' key blobs opened: ${members.reduce((s, m) => s + m.blobsOpened, 0)}, refused: ${blobErrors.length}; join (socket open → welcome, blobs sent) median ${median(joinMs)} ms, max ${Math.max(...joinMs)} ms`,
          '',
        ].join('\n'),
      );

      expect(failures).toEqual([]);
      // One join per period when joins are quick; a loaded machine may stretch a period, not stop the churn.
      expect(joins).toBeGreaterThanOrEqual(Math.floor(SOAK_MS / CHURN_MS / 3));
      // The joiners took part in the key exchange: the browsers sealed their keys to them.
      expect(members.every((m) => m.blobsOpened > 0)).toBe(true);
      expect(blobErrors).toEqual([]);
      // Most of the planned lines went out even on a starved machine (a stuck sender is a failure too).
      expect(sent.A + sent.B).toBeGreaterThanOrEqual(CHAT_LINES / 4);
      expect(received.A).toEqual(expected('B'));
      expect(received.B).toEqual(expected('A'));
      expect(dropA.outside).toBe(0);
      expect(dropB.outside).toBe(0);
      // Media really flowed all along: about 30 frames/s from each camera plus 50 audio frames/s.
      expect(opened(a)).toBeGreaterThan(SOAK_MS / 100);
      expect(opened(b)).toBeGreaterThan(SOAK_MS / 100);
      for (const k of BOUNDED_KEYS) expect(memEnd[k] - memStart[k], `${MEMORY_LABELS[k]} growth (MB)`).toBeLessThanOrEqual(MAX_GROWTH_MB[k]);
    },
    // Start-up, the churn's tail and the checks: minutes on a loaded two-core machine.
    SOAK_MS + 300_000,
  );
});
