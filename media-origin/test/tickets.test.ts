/** Ticket checks over a real WebSocket to a real origin (real mediasoup worker). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Origin } from '../src/origin.ts';
import { OPUS_PARAMS, SignalClient, mintTicket, newMeetingId, newParticipantId, signedPost, startOrigin } from './helpers.ts';

let origin: Origin;
beforeAll(async () => {
  origin = await startOrigin();
});
afterAll(() => origin?.close());

async function authWith(ticket: string, url = origin.wsUrl) {
  const c = await SignalClient.connect(url);
  const r = await c.request('auth', { ticket });
  return { c, r };
}

describe('tickets', () => {
  it('accepts a valid ticket and answers with who and where', async () => {
    const mid = newMeetingId();
    const sub = newParticipantId();
    const { c, r } = await authWith(await mintTicket({ mid, sub }));
    expect(r).toEqual({ type: 'response', id: 1, ok: true, data: { participantId: sub, meetingId: mid, resumed: false } });
    expect(origin.peer(mid, sub)).toBeDefined();
    c.close();
  });

  it.each([
    ['expired', () => mintTicket({ mid: newMeetingId(), sub: newParticipantId(), expiresIn: -60 }), /expired/],
    ['forged (other key)', () => mintTicket({ mid: newMeetingId(), sub: newParticipantId(), secret: 'another-secret-another-secret-0123456' }), /signature/],
    ['for another audience', () => mintTicket({ mid: newMeetingId(), sub: newParticipantId(), audience: 'someone-else' }), /aud/],
    ['garbage', async () => 'not.a.jwt', /malformed/],
    [
      'alg none',
      async () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ mid: '123456789', sub: 'abcdefgh', src: ['audio'], role: 'host', exp: 9e9, aud: 'sealroom-origin', iss: 'sealroom-edge' })).toString('base64url')}.`,
      /malformed|alg/,
    ],
  ])('refuses a ticket that is %s, and closes the socket', async (_name, make, message) => {
    const { c, r } = await authWith(await make());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('bad_ticket');
    expect(r.error.message).toMatch(message);
    expect(await c.closed).toBe(4001);
  });

  it('refuses a ticket for another meeting than the URL pins', async () => {
    const { c, r } = await authWith(await mintTicket({ mid: newMeetingId(), sub: newParticipantId() }), `${origin.wsUrl}?meeting=999999999`);
    expect(r.ok || r.error).toMatchObject({ code: 'bad_ticket', message: 'ticket is for another meeting' });
    await c.closed;
  });

  it('refuses producing a source the ticket does not allow', async () => {
    const mid = newMeetingId();
    const sub = newParticipantId();
    const c = await SignalClient.join(origin, { mid, sub, src: ['audio'] });
    const t = await origin.peer(mid, sub)!.createPlainTransport('send');
    const r = await c.request('produce', { transportId: t.id, kind: 'video', source: 'video', rtpParameters: OPUS_PARAMS(1) });
    expect(r.ok || r.error).toMatchObject({ code: 'forbidden' });
    const screen = await c.request('produce', { transportId: t.id, kind: 'video', source: 'screen', rtpParameters: OPUS_PARAMS(1) });
    expect(screen.ok || screen.error).toMatchObject({ code: 'forbidden' });
    // The allowed one still works, and nothing was created by the refusals.
    const ok = await c.request('produce', { transportId: t.id, kind: 'audio', source: 'audio', rtpParameters: OPUS_PARAMS(1) });
    expect(ok.ok).toBe(true);
    expect(origin.peer(mid, sub)!.counts.producers).toBe(1);
    c.close();
  });

  it('refuses requests before auth and a second auth', async () => {
    const c = await SignalClient.connect(origin.wsUrl);
    const r = await c.request('createTransport', { direction: 'recv' });
    expect(r.ok || r.error).toMatchObject({ code: 'not_joined' });
    const mid = newMeetingId();
    const t = await mintTicket({ mid, sub: newParticipantId() });
    expect((await c.request('auth', { ticket: t })).ok).toBe(true);
    const again = await c.request('auth', { ticket: t });
    expect(again.ok || again.error).toMatchObject({ code: 'already_joined' });
    c.close();
  });

  it('gives the router capabilities once before auth, the same the meeting router has after it', async () => {
    const c = await SignalClient.connect(origin.wsUrl);
    const early = await c.request('rtpCapabilities', {});
    expect(early.ok).toBe(true);
    const twice = await c.request('rtpCapabilities', {});
    expect(twice.ok || twice.error).toMatchObject({ code: 'not_joined' });
    const mid = newMeetingId();
    expect((await c.request('auth', { ticket: await mintTicket({ mid, sub: newParticipantId() }) })).ok).toBe(true);
    const after = await c.request('rtpCapabilities', {});
    expect(after.ok).toBe(true);
    if (!early.ok || !after.ok) return;
    expect((early.data as { rtpCapabilities: { codecs: unknown[] } }).rtpCapabilities.codecs.length).toBeGreaterThan(0);
    expect(JSON.stringify(early.data)).toBe(JSON.stringify(after.data));
    c.close();
  });

  it('answers malformed frames with a code and changes nothing', async () => {
    const c = await SignalClient.join(origin, { mid: newMeetingId(), sub: newParticipantId() });
    const replies: unknown[] = [];
    c.ws.on('message', (m) => replies.push(JSON.parse(m.toString())));
    c.sendRaw('{nope');
    c.sendRaw(JSON.stringify({ type: 'request', id: 7, method: 'fly', data: {} }));
    c.sendRaw(JSON.stringify({ type: 'request', id: 8, method: 'createTransport', data: { direction: 'sideways' } }));
    c.sendRaw(JSON.stringify({ type: 'request', id: 9, method: 'resumeConsumer', data: { consumerId: 'nope' } }));
    await new Promise((r) => setTimeout(r, 200));
    expect(replies).toEqual([
      { type: 'response', id: -1, ok: false, error: { code: 'bad_message', message: 'not JSON' } },
      { type: 'response', id: 7, ok: false, error: expect.objectContaining({ code: 'unknown_type' }) },
      { type: 'response', id: 8, ok: false, error: expect.objectContaining({ code: 'bad_message' }) },
      { type: 'response', id: 9, ok: false, error: { code: 'not_found', message: 'no such consumer' } },
    ]);
    c.close();
  });

  it('has no test tap unless SEALROOM_TEST_TAP=1', async () => {
    expect((await signedPost(origin.url, '/test/tap', { meetingId: '123456789', ms: 10 })).status).toBe(404);
  });

  it('refuses tickets issued before the participant or the meeting was closed by the edge', async () => {
    const mid = newMeetingId();
    const sub = newParticipantId();
    const iat = Math.floor(Date.now() / 1000) - 10;
    const c = await SignalClient.join(origin, { mid, sub, iat });
    const res = await signedPost(origin.url, '/control', { action: 'closeParticipant', meetingId: mid, participantId: sub });
    expect(res.status).toBe(200);
    expect(await c.closed).toBe(4003);
    const { r } = await authWith(await mintTicket({ mid, sub, iat }));
    expect(r.ok || r.error).toMatchObject({ code: 'forbidden' });

    const other = newParticipantId();
    await signedPost(origin.url, '/control', { action: 'closeMeeting', meetingId: mid });
    const { r: r2 } = await authWith(await mintTicket({ mid, sub: other, iat }));
    expect(r2.ok || r2.error).toMatchObject({ code: 'meeting_ended' });
  });
});
