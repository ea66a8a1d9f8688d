/** The origin accepts each signed edge call once: a captured control call cannot be replayed. */
import { MemoryNonceLedger, signRequest, verifyRequest } from '@sealroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Origin } from '../src/origin.ts';
import { SECRET, SignalClient, newMeetingId, newParticipantId, signedPost, startOrigin } from './helpers.ts';

let origin: Origin;
beforeAll(async () => {
  origin = await startOrigin();
});
afterAll(() => origin?.close());

describe('internal request replay at the origin', () => {
  it('applies one of many concurrent replays of a signed control call and refuses the rest', async () => {
    const mid = newMeetingId();
    const sub = newParticipantId();
    const c = await SignalClient.join(origin, { mid, sub });
    const body = JSON.stringify({ action: 'closeParticipant', meetingId: mid, participantId: sub });
    const headers = { ...(await signRequest(SECRET, 'POST', '/control', body)), 'content-type': 'application/json' };
    const answers = await Promise.all(Array.from({ length: 6 }, () => fetch(`${origin.url}/control`, { method: 'POST', body, headers })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 403, 403, 403, 403, 403]);
    const refused = answers.find((r) => r.status === 403)!;
    expect(await refused.json()).toEqual({ error: { code: 'forbidden', message: 'this signed request was already used' } });
    expect(await c.closed).toBe(4003);

    // A replay later in the window is refused too, while a freshly signed call still goes through.
    expect((await fetch(`${origin.url}/control`, { method: 'POST', body, headers })).status).toBe(403);
    expect((await signedPost(origin.url, '/control', { action: 'closeMeeting', meetingId: mid })).status).toBe(200);
  });

  it('forgets nonces once their timestamp leaves the window, and not before', async () => {
    const ledger = new MemoryNonceLedger();
    const t0 = Date.now();
    const headers = await signRequest(SECRET, 'POST', '/control', '{}', t0);
    const get = (h: string) => (headers as Record<string, string>)[h] ?? null;
    expect(await verifyRequest(SECRET, 'POST', '/control', '{}', { get }, ledger, t0)).toEqual({ ok: true });
    expect(await verifyRequest(SECRET, 'POST', '/control', '{}', { get }, ledger, t0 + 59_000)).toEqual({ ok: false, reason: 'replayed' });
    // Past the window the timestamp alone refuses it, so the ledger may drop the nonce.
    const late = await signRequest(SECRET, 'POST', '/control', '{}', t0 + 130_000);
    expect(await verifyRequest(SECRET, 'POST', '/control', '{}', { get: (h) => late[h] ?? null }, ledger, t0 + 130_000)).toEqual({ ok: true });
    expect(ledger.size).toBe(1);
    expect(await verifyRequest(SECRET, 'POST', '/control', '{}', { get }, ledger, t0 + 130_000)).toEqual({ ok: false, reason: 'stale' });
  });
});
