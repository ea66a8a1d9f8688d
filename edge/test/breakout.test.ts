/** Breakout rooms through the real Room: separate key groups, separate routers, recall with countdown. */
import { TICKET_AUDIENCE, TicketClaims, deriveInternalKey } from '@sealroom/protocol';
import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { jwtVerify } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { heartbeat, joined, newMeeting } from './helpers.ts';

beforeEach(async () => {
  await env.DB.exec('DELETE FROM origins');
  await heartbeat();
});

async function meeting() {
  const m = await newMeeting();
  const h = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
  const a = await joined(m.id, 'Ann', 2);
  const b = await joined(m.id, 'Ben', 3);
  const c = await joined(m.id, 'Cat', 4);
  for (const x of [h, a, b, c]) await x.c.drain(50);
  return { m, h, a, b, c };
}

const claims = async (ticket: string) =>
  TicketClaims.parse((await jwtVerify(ticket, await deriveInternalKey(env.SEALROOM_SHARED_SECRET, 'ticket'), { audience: TICKET_AUDIENCE })).payload);

describe('breakout rooms', () => {
  it('create, auto-assign and open: each participant moves with a ticket for its room’s own router', async () => {
    const { h, a, b, c } = await meeting();
    h.c.send({ type: 'host', command: { action: 'breakout-create', names: ['Red', 'Blue'] } });
    expect((await a.c.next('room-state')).state.breakout.rooms).toEqual([
      { id: 'b1', name: 'Red' },
      { id: 'b2', name: 'Blue' },
    ]);
    h.c.send({ type: 'host', command: { action: 'breakout-auto' } });
    const assigned = (await a.c.next('room-state')).state.breakout.assignments;
    expect(Object.keys(assigned).sort()).toEqual([a.id, b.id, c.id].sort());
    expect(assigned[h.id]).toBeUndefined();
    h.c.send({ type: 'host', command: { action: 'breakout-open', allowChoose: false } });
    for (const x of [a, b, c]) {
      const moved = await x.c.next('moved');
      expect(moved.room).toBe(assigned[x.id]);
      const t = await claims(moved.origin!.ticket);
      expect(t.room).toBe(assigned[x.id]);
      expect(t.sub).toBe(x.id);
    }
  });

  it('keys and chat stay inside a room', async () => {
    const { h, a, b, c } = await meeting();
    h.c.send({ type: 'host', command: { action: 'breakout-create', names: ['Red', 'Blue'] } });
    h.c.send({ type: 'host', command: { action: 'breakout-assign', target: a.id, room: 'b1' } });
    h.c.send({ type: 'host', command: { action: 'breakout-assign', target: b.id, room: 'b1' } });
    h.c.send({ type: 'host', command: { action: 'breakout-assign', target: c.id, room: 'b2' } });
    h.c.send({ type: 'host', command: { action: 'breakout-open', allowChoose: false } });
    await a.c.next('moved');
    await c.c.next('moved');
    await Promise.all([a.c.drain(100), b.c.drain(100), c.c.drain(100)]);
    a.c.send({
      type: 'key-blobs',
      epoch: 1,
      blobs: [
        { to: b.id, blob: 'AAAAAAAAAAAAAAAA' },
        { to: c.id, blob: 'BBBBBBBBBBBBBBBB' },
      ],
    });
    expect((await b.c.next('key-blob')).blob).toBe('AAAAAAAAAAAAAAAA');
    expect((await a.c.next('error')).message).toContain(c.id);
    a.c.send({ type: 'chat', to: null, envelope: 'sealed-for-room-red-only' });
    expect((await b.c.next('chat')).envelope).toBe('sealed-for-room-red-only');
    expect((await c.c.drain(100)).filter((x) => x.type === 'chat')).toEqual([]);
    expect((await h.c.drain(100)).filter((x) => x.type === 'chat')).toEqual([]);
  });

  it('participants may choose only when the host allows it; help requests reach the hosts', async () => {
    const { h, a } = await meeting();
    h.c.send({ type: 'host', command: { action: 'breakout-create', names: ['Red'] } });
    h.c.send({ type: 'host', command: { action: 'breakout-open', allowChoose: false } });
    a.c.send({ type: 'breakout-choose', room: 'b1' });
    expect((await a.c.next('error')).code).toBe('forbidden');
    h.c.send({ type: 'host', command: { action: 'breakout-close', countdownSeconds: 0 } });
    h.c.send({ type: 'host', command: { action: 'breakout-open', allowChoose: true } });
    await a.c.drain(100);
    a.c.send({ type: 'breakout-choose', room: 'b1' });
    expect((await a.c.next('moved')).room).toBe('b1');
    a.c.send({ type: 'breakout-help' });
    expect(await h.c.next('breakout-help')).toEqual({ type: 'breakout-help', from: a.id, room: 'b1' });
  });

  it('recall with a countdown brings everyone back when it ends', async () => {
    const { m, h, a, b } = await meeting();
    h.c.send({ type: 'host', command: { action: 'breakout-create', names: ['Red'] } });
    h.c.send({ type: 'host', command: { action: 'breakout-assign', target: a.id, room: 'b1' } });
    h.c.send({ type: 'host', command: { action: 'breakout-open', allowChoose: false } });
    await a.c.next('moved');
    const wrap = (c: string) => c.repeat(82);
    h.c.send({
      type: 'host',
      command: {
        action: 'breakout-broadcast',
        n: 1,
        envelope: 'sealed-two-minutes-left',
        keys: [
          { to: a.id, key: wrap('A') },
          { to: b.id, key: wrap('B') },
          { to: 'gone-000000', key: wrap('G') },
        ],
      },
    });
    // Each recipient gets the text and its own key wrap only, in the room it is in.
    expect(await a.c.next('breakout-broadcast')).toEqual({ type: 'breakout-broadcast', from: h.id, n: 1, envelope: 'sealed-two-minutes-left', key: wrap('A') });
    expect(await b.c.next('breakout-broadcast')).toEqual({ type: 'breakout-broadcast', from: h.id, n: 1, envelope: 'sealed-two-minutes-left', key: wrap('B') });
    expect((await h.c.drain(100)).filter((x) => x.type === 'breakout-broadcast')).toEqual([]);
    await b.c.drain(100);
    const asked = Date.now();
    h.c.send({ type: 'host', command: { action: 'breakout-close', countdownSeconds: 2 } });
    const closing = (await b.c.next('room-state')).state.breakout.closingAt!;
    expect(closing).toBeGreaterThanOrEqual(asked + 2000);
    // Nobody moves before the countdown ends; the Room's alarm ends it.
    expect((await a.c.drain(500)).filter((x) => x.type === 'moved')).toEqual([]);
    await runDurableObjectAlarm(env.ROOM.get(env.ROOM.idFromName(m.id))).catch(() => false);
    const back = await a.c.next('moved', 6000);
    expect(back.room).toBeNull();
    expect(Date.now()).toBeGreaterThanOrEqual(closing);
    expect((await b.c.next('room-state')).state.breakout.open).toBe(false);
  });

  it('refuses breakout actions from a participant', async () => {
    const { a } = await meeting();
    a.c.send({ type: 'host', command: { action: 'breakout-create', names: ['Mine'] } });
    expect((await a.c.next('error')).code).toBe('forbidden');
  });
});
