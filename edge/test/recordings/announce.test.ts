/**
 * Recording is announced to the whole meeting, through the real Worker and Room DO: the right to
 * record comes from the role (hosts) or the host's grant, the state is durable in the member
 * record, and leaving ends it.
 */
import { evictDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { joined, newMeeting, roomSnapshot } from '../helpers.ts';

/** A host and two participants, welcomed, with the join announcements already taken. */
async function trio() {
  const m = await newMeeting();
  const [h, a, b] = [await joined(m.id, 'Host', 1, { hostKey: m.hostKey }), await joined(m.id, 'Ann', 2), await joined(m.id, 'Ben', 3)];
  for (const x of [h, a]) await x.c.drain(50);
  return { m, h: h!, a: a!, b: b! };
}

describe('recording announced by the room', () => {
  it('refuses a participant the host has not allowed, and changes nothing', async () => {
    const { m, a, b } = await trio();
    expect(a.welcome.self).toMatchObject({ recording: false, permissions: { record: false } });
    const before = await roomSnapshot(m.id);
    a.c.send({ type: 'record', on: true });
    expect(await a.c.next('error')).toMatchObject({ code: 'forbidden' });
    expect(await roomSnapshot(m.id)).toBe(before);
    expect((await b.c.drain(100)).filter((x) => x.type === 'participant-updated')).toEqual([]);
  });

  it('a host records: everyone is told, it survives eviction, a newcomer sees it, and it is audited', async () => {
    const { m, h, a, b } = await trio();
    expect(h.welcome.self.permissions.record).toBe(true);
    h.c.send({ type: 'record', on: true });
    for (const c of [h.c, a.c, b.c]) expect((await c.next('participant-updated')).participant).toMatchObject({ id: h.id, recording: true });
    await evictDurableObject(env.ROOM.get(env.ROOM.idFromName(m.id)));
    const late = await joined(m.id, 'Cai', 4);
    expect(late.welcome.participants.find((p) => p.id === h.id)).toMatchObject({ recording: true });
    h.c.send({ type: 'record', on: false });
    expect((await late.c.next('participant-updated')).participant).toMatchObject({ id: h.id, recording: false });
    const audited = async () =>
      (await env.DB.prepare("SELECT actor, action, result FROM audit WHERE meeting_id = ? AND action LIKE 'record-%' ORDER BY seq").bind(m.id).all()).results;
    await expect.poll(audited).toEqual([
      { actor: h.id, action: 'record-start', result: 'ok' },
      { actor: h.id, action: 'record-stop', result: 'ok' },
    ]);
  });

  it('the host grants the right; revoking it stops the recording and tells the recorder', async () => {
    const { h, a, b } = await trio();
    h.c.send({ type: 'host', command: { action: 'set-permission', target: a.id, permission: 'record', allowed: true } });
    expect((await a.c.next('participant-updated')).participant.permissions.record).toBe(true);
    await b.c.next('participant-updated');
    a.c.send({ type: 'record', on: true });
    expect((await b.c.next('participant-updated')).participant).toMatchObject({ id: a.id, recording: true });
    h.c.send({ type: 'host', command: { action: 'set-permission', target: a.id, permission: 'record', allowed: false } });
    expect(await a.c.next('forced')).toEqual({ type: 'forced', what: 'stop-recording', by: h.id });
    expect((await b.c.next('participant-updated')).participant).toMatchObject({ id: a.id, recording: false, permissions: { record: false } });
  });

  it('a recorder who disconnects still shows as recording while its seat is held; removing the seat takes the indicator', async () => {
    const { h, a, b } = await trio();
    h.c.send({ type: 'host', command: { action: 'set-permission', target: a.id, permission: 'record', allowed: true } });
    await a.c.next('participant-updated');
    a.c.send({ type: 'record', on: true });
    await b.c.next('participant-updated');
    await b.c.next('participant-updated');
    a.c.ws.close(1001, 'gone');
    // Its browser may still be recording: nobody is told otherwise until the seat ends.
    expect(await b.c.next('participant-away')).toEqual({ type: 'participant-away', id: a.id });
    expect((await joined(h.welcome.meetingId, 'Cy', 6)).welcome.participants.find((p) => p.id === a.id)).toMatchObject({ recording: true, away: true });
    h.c.send({ type: 'host', command: { action: 'remove', target: a.id } });
    expect(await b.c.next('participant-left')).toMatchObject({ id: a.id });
    const again = await joined((await h.c.drain(10), h.welcome.meetingId), 'Dee', 5);
    expect(again.welcome.participants.some((p) => p.recording)).toBe(false);
  });

  it('refuses a malformed record message with a clear code', async () => {
    const { a } = await trio();
    a.c.send({ type: 'record', on: 'yes' });
    expect((await a.c.next('error')).code).toBe('bad_message');
  });
});
