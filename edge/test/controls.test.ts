/** Host controls and participant actions through the real Worker and Room DO. */
import { evictDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { joined, knock, newMeeting } from './helpers.ts';

async function trio() {
  const m = await newMeeting();
  const h = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
  const a = await joined(m.id, 'Ann', 2, { clientId: 'ann-browser-00000001' });
  const b = await joined(m.id, 'Ben', 3);
  await h.c.drain(50);
  await a.c.drain(50);
  return { m, h, a, b };
}

describe('host controls', () => {
  it('mute: the participant is told, everyone sees it, the audit has it', async () => {
    const { m, h, a, b } = await trio();
    a.c.send({ type: 'media-state', audio: true, video: true });
    await b.c.next('media-state');
    h.c.send({ type: 'host', command: { action: 'mute', target: a.id } });
    expect(await a.c.next('forced')).toEqual({ type: 'forced', what: 'mute', by: h.id });
    const seen = await b.c.next('participant-updated');
    expect(seen.participant).toMatchObject({ id: a.id, audio: false, video: true });
    const rows = await env.DB.prepare("SELECT actor, actor_role, action, target, result FROM audit WHERE meeting_id = ? AND action = 'mute'").bind(m.id).all();
    expect(rows.results).toEqual([{ actor: h.id, actor_role: 'host', action: 'mute', target: a.id, result: 'ok' }]);
  });

  it('mute all without unmute rights: participants cannot unmute until asked, and then they decide', async () => {
    const { h, a, b } = await trio();
    h.c.send({ type: 'host', command: { action: 'mute-all', allowUnmute: false } });
    // Everyone muted by one action, announced in one small frame: the muted participants' notice too.
    expect(await a.c.next('muted-all')).toEqual({ type: 'muted-all', by: h.id, allowUnmute: false });
    expect(await b.c.next('muted-all')).toEqual({ type: 'muted-all', by: h.id, allowUnmute: false });
    await h.c.drain(100);
    a.c.send({ type: 'media-state', audio: true, video: false });
    expect((await a.c.next('error')).code).toBe('forbidden');
    h.c.send({ type: 'host', command: { action: 'ask-unmute', target: a.id } });
    expect(await a.c.next('ask-unmute')).toEqual({ type: 'ask-unmute', from: h.id });
    // Asking is not unmuting: still muted until Ann chooses (her record now has the right to).
    const after = await h.c.next('participant-updated');
    expect(after.participant).toMatchObject({ id: a.id, audio: false, permissions: { unmute: true } });
    a.c.send({ type: 'media-state', audio: true, video: false });
    expect((await h.c.next('media-state')).audio).toBe(true);
  });

  it('remove: the participant is closed out, cannot come back from the same browser, until the host allows it', async () => {
    const { m, h, a, b } = await trio();
    h.c.send({ type: 'host', command: { action: 'remove', target: a.id } });
    expect(await a.c.next('closed')).toEqual({ type: 'closed', reason: 'removed' });
    expect(await b.c.next('participant-left')).toEqual({ type: 'participant-left', id: a.id, reason: 'removed' });
    const back = await knock(m.id, 'Ann', 2, { clientId: 'ann-browser-00000001' });
    expect((await back.next('error')).code).toBe('removed');
    h.c.send({ type: 'host', command: { action: 'allow-rejoin', target: a.id } });
    await h.c.drain(100);
    await joined(m.id, 'Ann', 2, { clientId: 'ann-browser-00000001' });
  });

  it('end: everyone is closed out and the meeting is marked ended', async () => {
    const { m, h, a, b } = await trio();
    h.c.send({ type: 'host', command: { action: 'end' } });
    for (const c of [h.c, a.c, b.c]) expect(await c.next('closed')).toEqual({ type: 'closed', reason: 'ended' });
    const row = await env.DB.prepare('SELECT ended_at FROM meetings WHERE id = ?').bind(m.id).first<{ ended_at: number | null }>();
    expect(row?.ended_at).toBeGreaterThan(0);
  });

  it('co-host and hand-over: roles move only as the host says', async () => {
    const { h, a, b } = await trio();
    h.c.send({ type: 'host', command: { action: 'make-cohost', target: a.id } });
    expect((await b.c.next('participant-updated')).participant).toMatchObject({ id: a.id, role: 'cohost' });
    // A co-host may mute a participant but not end the meeting.
    a.c.send({ type: 'host', command: { action: 'mute', target: b.id } });
    expect((await b.c.next('forced')).by).toBe(a.id);
    a.c.send({ type: 'host', command: { action: 'end' } });
    expect((await a.c.next('error')).code).toBe('forbidden');
    await a.c.drain(100);
    h.c.send({ type: 'host', command: { action: 'hand-over', target: b.id } });
    // Both role changes arrive in one frame.
    const ups = (await a.c.next('participants-updated')).participants.map((p) => [p.id, p.role]);
    expect(Object.fromEntries(ups)).toEqual({ [h.id]: 'cohost', [b.id]: 'host' });
  });

  it('raised hands keep their order; the host lowers them', async () => {
    const { h, a, b } = await trio();
    b.c.send({ type: 'hand', raised: true });
    const first = (await h.c.next('participant-updated')).participant;
    a.c.send({ type: 'hand', raised: true });
    const second = (await h.c.next('participant-updated')).participant;
    expect(first.id).toBe(b.id);
    expect(second.handRaisedAt!).toBeGreaterThanOrEqual(first.handRaisedAt!);
    h.c.send({ type: 'host', command: { action: 'lower-all-hands' } });
    const lowered = (await h.c.next('participants-updated')).participants;
    expect(lowered.map((p) => p.id).sort()).toEqual([a.id, b.id].sort());
    expect(lowered.every((p) => p.handRaisedAt === null)).toBe(true);
  });

  it('spotlight, rename, lock and waiting room survive the object being evicted', async () => {
    const { m, h, a } = await trio();
    h.c.send({ type: 'host', command: { action: 'spotlight', target: a.id } });
    await h.c.next('room-state');
    h.c.send({ type: 'host', command: { action: 'rename', target: a.id, name: 'Ann (Finance)' } });
    await h.c.next('participant-updated');
    h.c.send({ type: 'host', command: { action: 'waiting-room', enabled: true } });
    await h.c.next('room-state');
    await h.c.drain(100);
    await evictDurableObject(env.ROOM.get(env.ROOM.idFromName(m.id)));
    const w = await knock(m.id, 'Late', 9);
    expect(await w.next('waiting')).toEqual({ type: 'waiting', reason: 'waiting-room' });
    const queue = await h.c.next('waiting-list');
    h.c.send({ type: 'host', command: { action: 'admit', target: queue.waiting[0]!.id } });
    const welcome = await w.next('welcome');
    expect(welcome.state.spotlight).toBe(a.id);
    expect(welcome.state.settings.waitingRoom).toBe(true);
    expect(welcome.participants.find((p) => p.id === a.id)?.name).toBe('Ann (Finance)');
    expect(welcome.participants.find((p) => p.id === h.id)?.role).toBe('host');
  });
});

describe('chat', () => {
  it('a line to one person reaches only that person', async () => {
    const { h, a, b } = await trio();
    a.c.send({ type: 'chat', to: b.id, envelope: 'sealed-line-for-ben-only' });
    expect(await b.c.next('chat')).toMatchObject({ from: a.id, to: b.id, envelope: 'sealed-line-for-ben-only' });
    expect((await h.c.drain(100)).filter((x) => x.type === 'chat')).toEqual([]);
  });

  it('a line to all reaches everyone but the sender', async () => {
    const { h, a, b } = await trio();
    a.c.send({ type: 'chat', to: null, envelope: 'sealed-line-for-everyone' });
    for (const c of [h.c, b.c]) expect((await c.next('chat')).envelope).toBe('sealed-line-for-everyone');
    expect((await a.c.drain(100)).filter((x) => x.type === 'chat')).toEqual([]);
  });

  it('refuses a sender over the rate, and one whose chat the host turned off', async () => {
    const { h, a, b } = await trio();
    for (let i = 0; i < 15; i++) a.c.send({ type: 'chat', to: null, envelope: `sealed-line-number-${i}` });
    expect((await a.c.next('error')).code).toBe('rate_limited');
    h.c.send({ type: 'host', command: { action: 'set-permission', target: b.id, permission: 'chat', allowed: false } });
    await b.c.next('participant-updated');
    b.c.send({ type: 'chat', to: null, envelope: 'sealed-line-number-x' });
    expect((await b.c.next('error')).code).toBe('forbidden');
  });

  it('never stores a chat line', async () => {
    const { m, a } = await trio();
    a.c.send({ type: 'chat', to: null, envelope: 'sealed-line-that-must-not-stay' });
    await a.c.drain(100);
    const { runInDurableObject } = await import('cloudflare:test');
    const dump = await runInDurableObject(env.ROOM.get(env.ROOM.idFromName(m.id)), (_i, state) =>
      JSON.stringify(
        state.storage.sql
          .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'")
          .toArray()
          .map((t) => state.storage.sql.exec(`SELECT * FROM "${String(t.name)}"`).toArray()),
      ),
    );
    expect(dump).not.toContain('sealed-line-that-must-not-stay');
  });
});
