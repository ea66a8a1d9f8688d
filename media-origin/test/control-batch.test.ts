/** The Room sends every enforcement call of one host action (mute all) as one signed batch. */
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

describe('control batches', () => {
  it('applies a batch in order and answers each action', async () => {
    const mid = newMeetingId();
    const subs = [newParticipantId(), newParticipantId()];
    for (const [i, sub] of subs.entries()) {
      const c = await SignalClient.join(origin, { mid, sub });
      const t = await origin.peer(mid, sub)!.createPlainTransport('send');
      await c.ok('produce', { transportId: t.id, kind: 'audio', source: 'audio', rtpParameters: OPUS_PARAMS(9000 + i) });
    }
    const res = await signedPost(
      origin.url,
      '/control',
      subs.map((participantId) => ({ action: 'pauseSource', meetingId: mid, participantId, source: 'audio' })),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, results: [{ paused: 1 }, { paused: 1 }] });
  });

  it('refuses a batch with one malformed action, applying none of it', async () => {
    const mid = newMeetingId();
    const sub = newParticipantId();
    const c = await SignalClient.join(origin, { mid, sub });
    const t = await origin.peer(mid, sub)!.createPlainTransport('send');
    const { producerId } = await c.ok('produce', { transportId: t.id, kind: 'audio', source: 'audio', rtpParameters: OPUS_PARAMS(9100) });
    const res = await signedPost(origin.url, '/control', [
      { action: 'pauseSource', meetingId: mid, participantId: sub, source: 'audio' },
      { action: 'explode', meetingId: mid },
    ]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_message');
    // Nothing was paused: the client can still pause and resume its own producer.
    await c.ok('pauseProducer', { producerId });
    await c.ok('resumeProducer', { producerId });
  });
});
