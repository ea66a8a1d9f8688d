/**
 * A dropped room socket holds its seat for the grace window: the others see the participant as
 * away, then back on resume, and a seat not resumed in time departs from the Room's alarm.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RESUME_GRACE_MS } from '../src/room/identity.ts';
import { type TestClient, fakePublicKey, joined, knock, newMeeting } from './helpers.ts';

afterEach(() => {
  vi.useRealTimers();
});

const stubOf = (meetingId: string) => env.ROOM.get(env.ROOM.idFromName(meetingId));
const roster = (c: TestClient, types: string[]) => c.inbox.filter((m) => types.includes(m.type));
const ROSTER_CHANGES = ['participant-joined', 'participant-left', 'participant-away', 'participant-back'];
const BOB_DEVICE = 'bob-device-000000001';

async function call() {
  const m = await newMeeting();
  const host = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
  const bob = await joined(m.id, 'Bob', 2, { clientId: BOB_DEVICE });
  await host.c.next('participant-joined');
  return { m, host, bob };
}

/** The first answer a knocking client gets: a welcome or an error. */
async function answer(c: TestClient) {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const m = c.inbox.find((x) => x.type === 'welcome' || x.type === 'error');
    if (m) return m;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no answer; inbox: ${JSON.stringify(c.inbox)}`);
}

describe('a dropped connection holds the seat', () => {
  it('others see the participant away, not gone; a resume brings the same seat back, not a join', async () => {
    const { m, host, bob } = await call();
    bob.c.send({ type: 'hand', raised: true });
    await host.c.next('participant-updated');
    bob.c.ws.close(1001, 'network gone');
    expect(await host.c.next('participant-away')).toEqual({ type: 'participant-away', id: bob.id });
    expect(roster(host.c, ['participant-left'])).toEqual([]);
    // Someone arriving meanwhile sees the held seat, marked away.
    const carol = await joined(m.id, 'Carol', 3);
    expect(carol.welcome.participants.find((p) => p.id === bob.id)).toMatchObject({ away: true, handRaisedAt: expect.any(Number) });
    await host.c.next('participant-joined');

    const again = await knock(m.id, 'Bob', 4, { resume: bob.welcome.resume });
    const welcome = await again.next('welcome');
    expect(welcome).toMatchObject({ resumed: true, self: { id: bob.id, handRaisedAt: expect.any(Number) } });
    expect(welcome.self).not.toHaveProperty('away');
    const back = await host.c.next('participant-back');
    expect(back.participant).toMatchObject({ id: bob.id, publicKey: fakePublicKey(4) });
    expect(back.participant).not.toHaveProperty('away');
    expect((await carol.c.next('participant-back')).participant.id).toBe(bob.id);
    await host.c.drain(100);
    expect(roster(host.c, ROSTER_CHANGES)).toEqual([]);
  });

  it('a seat not resumed in time departs from the alarm, and its secret then starts a new seat', async () => {
    const { m, host, bob } = await call();
    const dropped = Date.now();
    bob.c.ws.close(1001, 'network gone');
    await host.c.next('participant-away');
    // The Room must wake by itself when the hold runs out.
    const alarm = await runInDurableObject(stubOf(m.id), (_i, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(Date.now() + RESUME_GRACE_MS);

    // Before the window ends the alarm changes nothing.
    await runDurableObjectAlarm(stubOf(m.id));
    await host.c.drain(100);
    expect(roster(host.c, ROSTER_CHANGES)).toEqual([]);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(dropped + RESUME_GRACE_MS + 1000);
    await runInDurableObject(stubOf(m.id), (_i, state) => state.storage.setAlarm(Date.now()));
    expect(await runDurableObjectAlarm(stubOf(m.id))).toBe(true);
    expect(await host.c.next('participant-left')).toEqual({ type: 'participant-left', id: bob.id, reason: 'disconnected' });

    const later = await joined(m.id, 'Bob', 2, { resume: bob.welcome.resume });
    expect(later.welcome.resumed).toBeUndefined();
    expect(later.id).not.toBe(bob.id);
  });

  it('the host can remove an away participant, and the seat cannot then be resumed', async () => {
    const { m, host, bob } = await call();
    bob.c.ws.close(1001, 'network gone');
    await host.c.next('participant-away');
    host.c.send({ type: 'host', command: { action: 'remove', target: bob.id } });
    expect(await host.c.next('participant-left')).toEqual({ type: 'participant-left', id: bob.id, reason: 'removed' });
    const again = await knock(m.id, 'Bob', 2, { resume: bob.welcome.resume });
    expect(await answer(again)).toMatchObject({ type: 'error', code: 'removed' });
  });

  it('a resume racing the host’s removal ends removed either way', async () => {
    const { m, host, bob } = await call();
    bob.c.ws.close(1001, 'network gone');
    await host.c.next('participant-away');
    const [again] = await Promise.all([
      knock(m.id, 'Bob', 2, { resume: bob.welcome.resume, clientId: BOB_DEVICE }),
      Promise.resolve(host.c.send({ type: 'host', command: { action: 'remove', target: bob.id } })),
    ]);
    const first = await answer(again);
    if (first.type === 'welcome') {
      // The resume won: the removal that follows takes the seat and closes the new socket.
      expect(first.self.id).toBe(bob.id);
      await again.next('closed');
    } else expect(first).toMatchObject({ code: 'removed' });
    expect((await host.c.next('participant-left')).reason).toBe('removed');
    // Either way the removal holds against the device, whichever secret it has.
    const late = await knock(m.id, 'Bob', 2, { resume: bob.welcome.resume, clientId: BOB_DEVICE });
    expect(await answer(late)).toMatchObject({ type: 'error', code: 'removed' });
  });

  it('two resumes with one secret at once: exactly one gets the seat back', async () => {
    const { m, host, bob } = await call();
    bob.c.ws.close(1001, 'network gone');
    await host.c.next('participant-away');
    const tries = await Promise.all([4, 5].map((seed) => knock(m.id, 'Bob', seed, { resume: bob.welcome.resume })));
    const answers = await Promise.all(tries.map(answer));
    const resumed = answers.filter((a) => a.type === 'welcome' && a.resumed === true);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toMatchObject({ self: { id: bob.id } });
    expect((await host.c.next('participant-back')).participant.id).toBe(bob.id);
  });
});
