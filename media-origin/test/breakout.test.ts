/** Breakout rooms on the origin: a router of their own; the meeting's host controls still reach them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Origin } from '../src/origin.ts';
import { OPUS_PARAMS, SignalClient, newMeetingId, newParticipantId, signedPost, startOrigin } from './helpers.ts';

let origin: Origin;
beforeAll(async () => {
  origin = await startOrigin();
});
afterAll(async () => {
  await origin?.close();
});

describe('breakout rooms', () => {
  it('keep their producers to their own members, and host pauses follow the participant there', async () => {
    const mid = newMeetingId();
    const inMain = await SignalClient.join(origin, { mid, sub: newParticipantId() });
    const inRoom = await SignalClient.join(origin, { mid, sub: newParticipantId(), room: 'b1' });
    const txSub = newParticipantId();
    const tx = await SignalClient.join(origin, { mid, sub: txSub, room: 'b1' });
    const peer = origin.peer(`${mid}/b1`, txSub);
    expect(peer).toBeDefined();
    expect(origin.peer(mid, txSub)).toBeUndefined();
    const t = await peer!.createPlainTransport('send');
    const { producerId } = await tx.ok('produce', { transportId: t.id, kind: 'audio', source: 'audio', rtpParameters: OPUS_PARAMS(7777) });
    await inRoom.waitFor('newProducer', (n) => n.data.producerId === producerId);
    // The main room's member hears of no producer from the breakout room.
    await new Promise((r) => setTimeout(r, 300));
    expect(inMain.notifications.filter((n) => n.event === 'newProducer')).toEqual([]);
    const res = await signedPost(origin.url, '/control', { action: 'pauseSource', meetingId: mid, participantId: txSub, source: 'audio' });
    expect(await res.json()).toEqual({ ok: true, paused: 1 });
    const closed = await signedPost(origin.url, '/control', { action: 'closeMeeting', meetingId: mid });
    expect(await closed.json()).toEqual({ ok: true, closed: true });
    expect(await tx.closed).toBeGreaterThanOrEqual(4000);
    expect(await inMain.closed).toBeGreaterThanOrEqual(4000);
  });
});
