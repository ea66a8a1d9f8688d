/**
 * A member whose media dropped asks for a ticket with `mediaLost`: the Room probes its origin's
 * health check (real HTTP servers stand in for the origins, origin-stand-ins.global-setup.ts)
 * and, when it is dead, takes it out of the pick and grants the least-loaded live origin, where
 * the member's holds are said again. A live origin keeps the meeting; a meeting-wide drop costs
 * one probe, not one per member.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import { PROBE_TIMEOUT_MS } from '../src/origins/probe.ts';
import { heartbeat, joined, newMeeting } from './helpers.ts';

const [standInA, standInB] = inject('originStandIns') as [string, string];

type Health = 'alive' | 'dead' | 'hang';
interface Seen {
  probes: number;
  controls: unknown[];
}

async function setHealth(standIn: string, health: Health, delayMs = 0): Promise<void> {
  const res = await fetch(`${standIn}/mode?health=${health}&delayMs=${delayMs}`, { method: 'POST' });
  expect(res.status).toBe(200);
}
const seen = async (standIn: string): Promise<Seen> => (await fetch(`${standIn}/seen`)).json();
/** The origin a grant names (the stand-ins' heartbeats put their id in the URL). */
const originOf = (url: string) => new URL(url).searchParams.get('o');

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A meeting placed on origin A (the idle one), with `others` members besides the host. */
async function meetingOnA(others = 0) {
  const m = await newMeeting();
  const host = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
  expect(originOf(host.welcome.origin!.url)).toBe('origin-a');
  const members = [];
  for (let i = 0; i < others; i++) members.push(await joined(m.id, `M${i}`, 10 + i));
  return { m, host, members };
}

beforeEach(async () => {
  await env.DB.exec('DELETE FROM origins');
  // A is idle, so new meetings land there; B is busier but live.
  expect((await heartbeat('origin-a', { controlUrl: standInA })).status).toBe(200);
  expect((await heartbeat('origin-b', { controlUrl: standInB, consumers: 500 })).status).toBe(200);
  await setHealth(standInA, 'alive');
  await setHealth(standInB, 'alive');
});

describe('failover when the media of a meeting drops', () => {
  it('a dead origin is replaced: the ticket names the other origin, and no Room picks the dead one', async () => {
    const { host } = await meetingOnA();
    await setHealth(standInA, 'dead');
    host.c.send({ type: 'ticket', mediaLost: true });
    const t = await host.c.next('ticket');
    expect(originOf(t.origin.url)).toBe('origin-b');
    expect((await seen(standInA)).probes).toBe(1);
    // Out of the pick until its next heartbeat: a new meeting goes to B as well.
    const row = await env.DB.prepare("SELECT last_seen FROM origins WHERE id = 'origin-a'").first<{ last_seen: number }>();
    expect(row?.last_seen).toBe(0);
    const other = await newMeeting();
    const newcomer = await joined(other.id, 'New', 2, { hostKey: other.hostKey });
    expect(originOf(newcomer.welcome.origin!.url)).toBe('origin-b');
  });

  it('an origin that never answers is dead after the probe timeout', async () => {
    const { host } = await meetingOnA();
    await setHealth(standInA, 'hang');
    const asked = Date.now();
    host.c.send({ type: 'ticket', mediaLost: true });
    const t = await host.c.next('ticket', 5000);
    expect(originOf(t.origin.url)).toBe('origin-b');
    expect(Date.now() - asked).toBeLessThan(PROBE_TIMEOUT_MS + 1500);
  });

  it('a live origin keeps the meeting', async () => {
    const { host } = await meetingOnA();
    host.c.send({ type: 'ticket', mediaLost: true });
    const t = await host.c.next('ticket');
    expect(originOf(t.origin.url)).toBe('origin-a');
    expect((await seen(standInA)).probes).toBe(1);
  });

  it('a ticket asked for without a media drop (renewal) probes nothing', async () => {
    const { host } = await meetingOnA();
    await setHealth(standInA, 'dead');
    host.c.send({ type: 'ticket' });
    const t = await host.c.next('ticket');
    expect(originOf(t.origin.url)).toBe('origin-a');
    expect((await seen(standInA)).probes).toBe(0);
  });

  it('everyone asking at once costs one probe of a live origin, and all stay', async () => {
    const { host, members } = await meetingOnA(5);
    await setHealth(standInA, 'alive', 300);
    const everyone = [host, ...members];
    for (const p of everyone) await p.c.drain(0);
    const tickets = await Promise.all(
      everyone.map((p) => {
        p.c.send({ type: 'ticket', mediaLost: true });
        return p.c.next('ticket', 5000);
      }),
    );
    expect(tickets.map((t) => originOf(t.origin.url))).toEqual(everyone.map(() => 'origin-a'));
    expect((await seen(standInA)).probes).toBe(1);
  });

  it('everyone asking at once after the origin died costs one probe, and all land on the same new origin', async () => {
    const { host, members } = await meetingOnA(5);
    await setHealth(standInA, 'hang');
    const everyone = [host, ...members];
    for (const p of everyone) await p.c.drain(0);
    const tickets = await Promise.all(
      everyone.map((p) => {
        p.c.send({ type: 'ticket', mediaLost: true });
        return p.c.next('ticket', 5000);
      }),
    );
    expect(tickets.map((t) => originOf(t.origin.url))).toEqual(everyone.map(() => 'origin-b'));
    expect((await seen(standInA)).probes).toBe(1);
    // The new origin is probed only by whoever asks after the switch (here: nobody).
    expect((await seen(standInB)).probes).toBe(0);
  });

  it('a member whose right to unmute was taken is held on the new origin too', async () => {
    const { host, members } = await meetingOnA(1);
    const ann = members[0]!;
    host.c.send({ type: 'host', command: { action: 'set-permission', target: ann.id, permission: 'unmute', allowed: false } });
    await ann.c.next('forced');
    await setHealth(standInA, 'dead');
    ann.c.send({ type: 'ticket', mediaLost: true });
    expect(originOf((await ann.c.next('ticket')).origin.url)).toBe('origin-b');
    const pausesAnn = (c: unknown) =>
      (Array.isArray(c) ? c : [c]).some(
        (a: { action?: string; participantId?: string; source?: string }) => a.action === 'pauseSource' && a.participantId === ann.id && a.source === 'audio',
      );
    await until('the hold said to the new origin', async () => ((await seen(standInB)).controls.some(pausesAnn) ? true : undefined));
  });
});
