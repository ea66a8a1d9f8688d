/**
 * Enforcement that must hold at the origin is delivered until the origin confirms it: the
 * origin here is a real HTTP endpoint (control-sink.global-setup.ts) told to refuse the first
 * call, and the host's mute still reaches it. A member reconnecting its media has its holds
 * said again.
 */
import { describe, expect, inject, it } from 'vitest';
import type { SunkControl } from './control-sink.global-setup.ts';
import { heartbeat, joined, newMeeting } from './helpers.ts';

const sink = inject('controlSink');
const calls = async (): Promise<SunkControl[]> => (await fetch(`${sink}/calls`)).json();
const actionsIn = (c: SunkControl) => (Array.isArray(c.body) ? c.body : [c.body]) as Array<{ action: string; participantId?: string; source?: string }>;
const pausesAudioOf = (id: string) => (c: SunkControl) =>
  actionsIn(c).some((a) => a.action === 'pauseSource' && a.participantId === id && a.source === 'audio');

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('enforcement reaches the origin', () => {
  it('a mute the origin refuses at first is sent again until the origin confirms it', async () => {
    expect((await heartbeat('origin-retry', { controlUrl: sink })).status).toBe(200);
    const m = await newMeeting();
    const host = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
    const ann = await joined(m.id, 'Ann', 2);
    await host.c.drain(100);
    expect((await fetch(`${sink}/refuse?n=1`, { method: 'POST' })).status).toBe(200);
    const before = (await calls()).length;
    host.c.send({ type: 'host', command: { action: 'mute', target: ann.id } });
    await ann.c.next('forced');
    const delivered = await until('the mute confirmed by the origin', async () => {
      const mine = (await calls()).slice(before).filter(pausesAudioOf(ann.id));
      return mine.some((c) => c.status === 200) ? mine : undefined;
    });
    expect(delivered[0]!.status).toBe(503);
    expect(delivered.at(-1)!.status).toBe(200);
    expect(delivered.at(-1)!.at - delivered[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it('a member asking for a new ticket (media reconnect) has its holds said to the origin again', async () => {
    expect((await heartbeat('origin-retry', { controlUrl: sink })).status).toBe(200);
    const m = await newMeeting();
    const host = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
    const ann = await joined(m.id, 'Ann', 2);
    host.c.send({ type: 'host', command: { action: 'set-permission', target: ann.id, permission: 'unmute', allowed: false } });
    await ann.c.next('forced');
    await until('the first hold', async () => ((await calls()).some((c) => c.status === 200 && pausesAudioOf(ann.id)(c)) ? true : undefined));
    const before = (await calls()).length;
    ann.c.send({ type: 'ticket' });
    await ann.c.next('ticket');
    await until('the hold said again', async () =>
      (await calls()).slice(before).some((c) => c.status === 200 && pausesAudioOf(ann.id)(c)) ? true : undefined,
    );
  });
});
