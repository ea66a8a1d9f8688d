/**
 * The Room's gates under real concurrency and hostile clients: the password budget with many
 * sockets at once, removal and denial by server-issued identity, resuming a seat, per-kind
 * rate limits, and a flooder cut off while others keep a fast round trip.
 */
import type { RoomToClient } from '@sealroom/protocol';
import { describe, expect, it } from 'vitest';
import { PASSWORD_BUDGET } from '../src/room/password-gate.ts';
import { FLOOD, RATES } from '../src/room/rate-limit.ts';
import { SCRYPT_QUEUE, SCRYPT_SLOTS, scryptHighWater } from '../src/scrypt-gate.ts';
import { env } from 'cloudflare:workers';
import { hashPassword } from '../src/password-hash.ts';
import { TestClient, fakePublicKey, heartbeat, joined, newMeeting, roomSnapshot } from './helpers.ts';

/** Even at N=2^10, a hundred scrypt checks queue behind two slots in the slow test pool. */
const SCRYPT_TEST_MS = 120_000;

/**
 * A meeting whose password hash is cheap: scrypt at N=2^14 takes ~4 s inside the test pool,
 * and these tests check a hundred guesses. The gate's logic does not depend on N.
 */
async function passwordMeeting(password: string) {
  const m = await newMeeting();
  await env.DB.prepare('UPDATE meetings SET password_hash = ? WHERE id = ?')
    .bind(await hashPassword(password, 10), m.id)
    .run();
  return m;
}

type Opts = { ip?: string; clientId?: string; password?: string; resume?: string; hostKey?: string };

async function knockFrom(meetingId: string, name: string, seed: number, o: Opts = {}): Promise<TestClient> {
  const c = await TestClient.connect(meetingId, o.ip ? { 'cf-connecting-ip': o.ip } : {});
  const { ip: _ip, ...join } = o;
  c.send({ type: 'join', name, publicKey: fakePublicKey(seed), ...join });
  return c;
}

/** The first answer to a join: welcome, waiting, or an error. */
async function answer(c: TestClient, timeoutMs = SCRYPT_TEST_MS): Promise<RoomToClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = c.inbox.find((x) => x.type === 'welcome' || x.type === 'waiting' || x.type === 'error');
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no answer to join; inbox ${JSON.stringify(c.inbox)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const codeOf = (m: RoomToClient) => (m.type === 'error' ? m.code : m.type);
const tally = (ms: RoomToClient[]) => ms.reduce<Record<string, number>>((t, m) => ({ ...t, [codeOf(m)]: (t[codeOf(m)] ?? 0) + 1 }), {});

describe('meeting password budget under concurrency', () => {
  it(
    '100 concurrent wrong passwords from one browser: only the device budget is checked',
    async () => {
      const m = await passwordMeeting('the-real-one');
      const sockets = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          knockFrom(m.id, `Guess ${i}`, 2, { ip: '198.51.100.7', clientId: 'guesser-device-0001', password: `guess-${i}` }),
        ),
      );
      const t = tally(await Promise.all(sockets.map((c) => answer(c))));
      expect(t.wrong_password).toBe(PASSWORD_BUDGET.device);
      expect(t.rate_limited).toBe(100 - PASSWORD_BUDGET.device);
      expect(scryptHighWater()).toBeLessThanOrEqual(SCRYPT_SLOTS);
      // Another browser behind the same address still gets in with the right password.
      const colleague = await knockFrom(m.id, 'Colleague', 3, { ip: '198.51.100.7', clientId: 'colleague-device-01', password: 'the-real-one' });
      expect(codeOf(await answer(colleague))).toBe('welcome');
    },
    SCRYPT_TEST_MS,
  );

  it(
    'rotating device ids and addresses inside one IPv6 /64 buys no more than the address budget',
    async () => {
      const m = await passwordMeeting('the-real-one');
      const sockets = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          knockFrom(m.id, `Guess ${i}`, 2, {
            ip: `2001:db8:7:9:${(i + 1).toString(16)}::1`,
            clientId: `rotating-device-${String(i).padStart(4, '0')}`,
            password: `guess-${i}`,
          }),
        ),
      );
      const t = tally(await Promise.all(sockets.map((c) => answer(c))));
      expect(t.wrong_password).toBe(PASSWORD_BUDGET.address);
      expect(t.rate_limited).toBe(100 - PASSWORD_BUDGET.address);
      // A different /64 is another address.
      const other = await knockFrom(m.id, 'Other', 3, { ip: '2001:db8:7:a::1', password: 'the-real-one' });
      expect(codeOf(await answer(other))).toBe('welcome');
    },
    SCRYPT_TEST_MS,
  );

  it(
    'a guesser with many addresses is held to the meeting budget, then checks pause; seated people are unaffected',
    async () => {
      const m = await passwordMeeting('the-real-one');
      const inside = await knockFrom(m.id, 'Inside', 9, { ip: '192.0.2.200', password: 'the-real-one' });
      const welcome = await answer(inside);
      if (welcome.type !== 'welcome') throw new Error(`expected a welcome, got ${JSON.stringify(welcome)}`);
      const n = PASSWORD_BUDGET.meeting + 20;
      // Waves no larger than the isolate's scrypt queue: beyond it a check is refused as busy
      // (and not counted), which would hide the budget this test is about.
      const answers: RoomToClient[] = [];
      for (let start = 0; start < n; start += SCRYPT_QUEUE) {
        const wave = await Promise.all(
          Array.from({ length: Math.min(SCRYPT_QUEUE, n - start) }, (_, k) => {
            const i = start + k;
            return knockFrom(m.id, `Bot ${i}`, 2, { ip: `203.0.113.${i}`, clientId: `bot-device-${String(i).padStart(6, '0')}`, password: `guess-${i}` });
          }),
        );
        answers.push(...(await Promise.all(wave.map((c) => answer(c)))));
      }
      const t = tally(answers);
      expect(t.wrong_password).toBe(PASSWORD_BUDGET.meeting);
      expect(t.rate_limited).toBe(n - PASSWORD_BUDGET.meeting);
      // The right password from a fresh address waits too: nobody's guess is checked while paused.
      const late = await knockFrom(m.id, 'Late', 4, { ip: '192.0.2.77', password: 'the-real-one' });
      const refused = await answer(late);
      expect(refused).toMatchObject({ type: 'error', code: 'rate_limited' });
      expect(refused.type === 'error' && refused.retryAfter).toBeGreaterThan(0);
      // Someone already seated whose connection drops comes straight back: the resume secret, not the password.
      inside.ws.close();
      const back = await knockFrom(m.id, 'Inside', 9, { ip: '192.0.2.200', resume: welcome.resume });
      const again = await answer(back);
      expect(again).toMatchObject({ type: 'welcome', resumed: true, self: { id: welcome.self.id } });
    },
    SCRYPT_TEST_MS,
  );
});

describe('removal and denial hold by identity', () => {
  it('a removed participant cannot rejoin with its resume secret, its device key, or neither and the same seat; the host can readmit', async () => {
    const m = await newMeeting();
    const host = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
    const ann = await joined(m.id, 'Ann', 2, { clientId: 'ann-device-00000001' });
    host.c.send({ type: 'host', command: { action: 'remove', target: ann.id } });
    expect(await ann.c.next('closed')).toEqual({ type: 'closed', reason: 'removed' });
    // The resume secret alone (the client dropped its device key).
    const bySecret = await knockFrom(m.id, 'Ann', 2, { resume: ann.welcome.resume });
    expect(codeOf(await answer(bySecret))).toBe('removed');
    // The device key alone (a fresh tab).
    const byDevice = await knockFrom(m.id, 'Ann', 2, { clientId: 'ann-device-00000001' });
    expect(codeOf(await answer(byDevice))).toBe('removed');
    // Concurrent retries with both change nothing.
    const before = await roomSnapshot(m.id);
    const retries = await Promise.all(
      Array.from({ length: 20 }, () => knockFrom(m.id, 'Ann', 2, { resume: ann.welcome.resume, clientId: 'ann-device-00000001' })),
    );
    expect(tally(await Promise.all(retries.map((c) => answer(c))))).toEqual({ removed: 20 });
    expect(await roomSnapshot(m.id)).toBe(before);
    host.c.send({ type: 'host', command: { action: 'allow-rejoin', target: ann.id } });
    await host.c.drain(100);
    const readmitted = await knockFrom(m.id, 'Ann', 2, { resume: ann.welcome.resume });
    expect(codeOf(await answer(readmitted))).toBe('welcome');
  });

  it('a denied waiting-room request cools down, and an address denied three times waits as a whole', async () => {
    const m = await newMeeting({ settings: { waitingRoom: true } });
    const host = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
    const deny = async (clientId: string) => {
      const c = await knockFrom(m.id, 'Knocker', 2, { ip: '198.51.100.50', clientId });
      expect(codeOf(await answer(c))).toBe('waiting');
      const list = await host.c.next('waiting-list');
      const entry = list.waiting.find((w) => w.name === 'Knocker');
      host.c.send({ type: 'host', command: { action: 'deny', target: entry!.id } });
      expect(await c.next('closed')).toEqual({ type: 'closed', reason: 'denied' });
      await host.c.next('waiting-list');
    };
    await deny('knocker-device-0001');
    const again = await answer(await knockFrom(m.id, 'Knocker', 2, { ip: '198.51.100.51', clientId: 'knocker-device-0001' }));
    expect(again).toMatchObject({ type: 'error', code: 'rate_limited' });
    expect(again.type === 'error' && again.retryAfter).toBeGreaterThan(500);
    await deny('knocker-device-0002');
    await deny('knocker-device-0003');
    const fresh = await answer(await knockFrom(m.id, 'Knocker', 2, { ip: '198.51.100.50', clientId: 'knocker-device-0004' }));
    expect(fresh).toMatchObject({ type: 'error', code: 'rate_limited' });
    // Someone else, from elsewhere, still knocks.
    expect(codeOf(await answer(await knockFrom(m.id, 'Other', 3, { ip: '192.0.2.9' })))).toBe('waiting');
  });
});

describe('resuming a seat', () => {
  it('a dropped co-host comes back as the same participant, past the lock, with its restrictions intact', async () => {
    const m = await newMeeting();
    const host = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
    const ann = await joined(m.id, 'Ann', 2);
    const bob = await joined(m.id, 'Bob', 3);
    host.c.send({ type: 'host', command: { action: 'make-cohost', target: ann.id } });
    host.c.send({ type: 'host', command: { action: 'set-permission', target: bob.id, permission: 'chat', allowed: false } });
    host.c.send({ type: 'host', command: { action: 'lock', locked: true } });
    await host.c.drain(200);
    ann.c.ws.close();
    bob.c.ws.close();
    await host.c.next('participant-away');
    await host.c.next('participant-away');
    const annBack = await answer(await knockFrom(m.id, 'Ann', 2, { resume: ann.welcome.resume }));
    expect(annBack).toMatchObject({ type: 'welcome', resumed: true, self: { id: ann.id, role: 'cohost' } });
    const bobBack = await answer(await knockFrom(m.id, 'Bob', 3, { resume: bob.welcome.resume }));
    expect(bobBack).toMatchObject({ type: 'welcome', resumed: true, self: { id: bob.id, permissions: { chat: false } } });
    // Each welcome hands out a new secret; the used one no longer resumes anything live twice.
    expect(annBack.type === 'welcome' && annBack.resume).not.toBe(ann.welcome.resume);
    // Without the secret, a locked meeting is locked.
    expect(codeOf(await answer(await knockFrom(m.id, 'Ann', 2)))).toBe('meeting_locked');
  });

  it('a second socket with the same secret takes the seat over; the old socket is closed', async () => {
    const m = await newMeeting();
    await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
    const ann = await joined(m.id, 'Ann', 2);
    const takeover = await answer(await knockFrom(m.id, 'Ann', 2, { resume: ann.welcome.resume }));
    expect(takeover).toMatchObject({ type: 'welcome', resumed: true, self: { id: ann.id } });
    const deadline = Date.now() + 5000;
    while (!ann.c.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(ann.c.closeCode).toBe(4000);
  });

  it('a restriction follows the device to a fresh seat after a reload that lost the secret', async () => {
    const m = await newMeeting();
    const host = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
    const bob = await joined(m.id, 'Bob', 3, { clientId: 'bob-device-0000001' });
    host.c.send({ type: 'host', command: { action: 'set-permission', target: bob.id, permission: 'unmute', allowed: false } });
    await bob.c.next('forced');
    bob.c.send({ type: 'leave' });
    await host.c.next('participant-left');
    const again = await joined(m.id, 'Bob', 3, { clientId: 'bob-device-0000001' });
    expect(again.id).not.toBe(bob.id);
    expect(again.welcome.self.permissions.unmute).toBe(false);
    again.c.send({ type: 'media-state', audio: true, video: false });
    expect((await again.c.next('error')).code).toBe('forbidden');
  });
});

describe('rate limits and floods', () => {
  it('every kind of message has a budget: a burst past it is refused with rate_limited', async () => {
    // An origin to grant tickets from, so that a ticket request's only refusal is its rate.
    expect((await heartbeat('origin-rate')).status).toBe(200);
    const m = await newMeeting();
    const host = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
    const ann = await joined(m.id, 'Ann', 2);
    const cases: [string, number, unknown][] = [
      ['hand', RATES.state[1], { type: 'hand', raised: true }],
      ['ticket', RATES.ticket[1], { type: 'ticket' }],
      ['breakout-help', RATES.help[1], { type: 'breakout-help' }],
      ['key-blobs', RATES.keys[1], { type: 'key-blobs', epoch: 1, blobs: [{ to: host.id, blob: 'A'.repeat(80) }] }],
    ];
    for (const [type, burst, msg] of cases) {
      const c = (await joined(m.id, `Sender ${type}`, 4)).c;
      // Past the burst by more than the bucket refills while the frames are in flight.
      for (let i = 0; i < burst * 2 + 10; i++) c.send(msg);
      const e = await c.next('error', 10_000);
      expect([type, e.code]).toEqual([type, 'rate_limited']);
    }
    expect(ann.c.closed).toBe(false);
  }, 30_000);

  it('a key-blobs frame carries at most one blob per member of the sender’s room', async () => {
    const m = await newMeeting();
    const host = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
    const ann = await joined(m.id, 'Ann', 2);
    await host.c.drain(50);
    ann.c.send({ type: 'key-blobs', epoch: 1, blobs: Array.from({ length: 1000 }, () => ({ to: host.id, blob: 'A'.repeat(80) })) });
    expect((await ann.c.next('error')).code).toBe('bad_message');
    ann.c.send({
      type: 'key-blobs',
      epoch: 1,
      blobs: [
        { to: host.id, blob: 'A'.repeat(80) },
        { to: host.id, blob: 'B'.repeat(80) },
      ],
    });
    expect((await ann.c.next('error')).code).toBe('bad_message');
    expect((await host.c.drain(200)).filter((x) => x.type === 'key-blob')).toEqual([]);
  });

  it('a member flooding 20,000 frames is cut off while another member’s round trip stays under 200 ms', async () => {
    const m = await newMeeting();
    const host = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
    const bob = await joined(m.id, 'Bob', 3);
    const flooder = await joined(m.id, 'Flooder', 2);
    await bob.c.drain(50);
    const rtts: number[] = [];
    let raised = false;
    const roundTrip = async () => {
      raised = !raised;
      const t0 = performance.now();
      bob.c.send({ type: 'hand', raised });
      for (;;) {
        const u = await bob.c.next('participant-updated', 10_000);
        if (u.participant.id === bob.id && (u.participant.handRaisedAt !== null) === raised) break;
      }
      rtts.push(performance.now() - t0);
    };
    await roundTrip();
    const flood = (async () => {
      for (let sent = 0; sent < 20_000 && !flooder.c.closed; sent += 500) {
        for (let i = 0; i < 500; i++) flooder.c.send({ type: 'hand', raised: i % 2 === 0 });
        await new Promise((r) => setTimeout(r, 0));
      }
    })();
    while (!flooder.c.closed) {
      await roundTrip();
      await new Promise((r) => setTimeout(r, 5));
    }
    await flood;
    for (let i = 0; i < 5; i++) await roundTrip();
    expect(flooder.c.closeCode).toBe(1008);
    const refusals = flooder.c.inbox.filter((x) => x.type === 'error');
    expect(refusals.length).toBeLessThanOrEqual(FLOOD.answered);
    expect(Math.max(...rtts)).toBeLessThan(200);
    // The flooder's seat ended; the others saw it leave.
    expect((await host.c.next('participant-left')).id).toBe(flooder.id);
    console.log(`flood: ${rtts.length} round trips during and after, max ${Math.max(...rtts).toFixed(1)} ms, ${refusals.length} refusals answered`);
  }, 60_000);
});
