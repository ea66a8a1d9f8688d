/**
 * Cascading between two origins: two real origins in this process, each with
 * its own mediasoup worker, joined by SRTP pipe transports on loopback through the signed
 * `/pipe` API, called here as the edge would. RTP enters origin A and leaves origin B.
 */
import { type PipeOpened, type PipedProducer, signRequest } from '@sealroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Origin } from '../src/origin.ts';
import { SignalClient, newMeetingId, newParticipantId, plainReceiver, plainSender, signedPost, sleep, startOrigin, until } from './helpers.ts';

let a: Origin;
let b: Origin;
beforeAll(async () => {
  [a, b] = await Promise.all([startOrigin(), startOrigin()]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

async function pipeCall<T>(origin: Origin, body: unknown): Promise<T> {
  const res = await signedPost(origin.url, '/pipe', body);
  const json = (await res.json()) as T & { ok?: boolean; error?: { code: string; message: string } };
  if (res.status !== 200) throw new Error(`pipe call refused: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** The edge's part: a pipe between the meeting's routers on `from` and `to`, then one producer through it. */
async function cascade(mid: string, from: Origin, to: Origin, producerId: string): Promise<{ fromPipe: string; toPipe: string }> {
  const [pa, pb] = await Promise.all([
    pipeCall<PipeOpened>(from, { action: 'openPipe', meetingId: mid }),
    pipeCall<PipeOpened>(to, { action: 'openPipe', meetingId: mid }),
  ]);
  await pipeCall(from, { action: 'connectPipe', meetingId: mid, pipeId: pa.pipeId, remote: pb.local });
  await pipeCall(to, { action: 'connectPipe', meetingId: mid, pipeId: pb.pipeId, remote: pa.local });
  const piped = await pipeCall<PipedProducer>(from, { action: 'pipeProducer', meetingId: mid, pipeId: pa.pipeId, producerId });
  const { ok: _ok, ...producer } = piped as PipedProducer & { ok: boolean };
  await pipeCall(to, { action: 'acceptProducer', meetingId: mid, pipeId: pb.pipeId, producer });
  return { fromPipe: pa.pipeId, toPipe: pb.pipeId };
}

const opusFrame = (i: number) => new Uint8Array([0x78, i & 0xff, 9, 8, 7, 6]);

describe('pipe transports between origins', () => {
  it('carries a producer of origin A to a consumer on origin B', { timeout: 20_000 }, async () => {
    const mid = newMeetingId();
    // On A, someone speaks.
    const speaker = await plainSender(a, mid, ['audio']);
    const speakerId = speaker.sub;
    const { producerId, rtp } = await speaker.produce('audio', 6101);
    // On B, someone listens.
    const rx = await plainReceiver(b, mid);
    const { c: listener, sink } = rx;

    const { toPipe } = await cascade(mid, a, b, producerId);
    // B's participants learn of it as of anyone's, under the same id and the speaker's identity.
    const n = await listener.waitFor('newProducer', (x) => x.data.producerId === producerId);
    expect(n.data).toEqual({ producerId, participantId: speakerId, kind: 'audio', source: 'audio' });

    const { ssrc, ...c } = await rx.consume(producerId);
    expect(c).toMatchObject({ participantId: speakerId, source: 'audio' });

    for (let i = 0; i < 30; i++) {
      await rtp.send(opusFrame(i), false, 960);
      await sleep(5);
    }
    await until(() => sink.count(ssrc) >= 25, 5000, 'audio through both origins');
    const got = sink.packets.filter((p) => p.ssrc === ssrc).map((p) => Buffer.from(p.payload));
    for (const p of got) expect(Array.from({ length: 30 }, (_, i) => Buffer.from(opusFrame(i)))).toContainEqual(p);

    // The host's pause on B reaches media piped in from A.
    const paused = await signedPost(b.url, '/control', { action: 'pauseSource', meetingId: mid, participantId: speakerId, source: 'audio' });
    expect(await paused.json()).toEqual({ ok: true, paused: 1 });
    const before = sink.count(ssrc);
    for (let i = 30; i < 40; i++) await rtp.send(opusFrame(i), false, 960);
    await sleep(300);
    expect(sink.count(ssrc)).toBe(before);

    // Closing the pipe on B takes the producer away there.
    await pipeCall(b, { action: 'closePipe', meetingId: mid, pipeId: toPipe });
    await listener.waitFor('producerClosed', (x) => x.data.producerId === producerId);
    expect(b.meeting(mid)!.findProducer(producerId)).toBeUndefined();
    expect(a.meeting(mid)!.findProducer(producerId)).toBeDefined();

    speaker.socket.close();
    sink.close();
    speaker.c.close();
    listener.close();
  });

  it('refuses unsigned, forged, replayed and malformed calls, changing nothing', async () => {
    const mid = newMeetingId();
    const c = await SignalClient.join(b, { mid, sub: newParticipantId(), src: [] });
    const open = { action: 'openPipe', meetingId: mid };
    const text = JSON.stringify(open);
    const plain = await fetch(`${b.url}/pipe`, { method: 'POST', body: text });
    expect(plain.status).toBe(403);
    expect(await plain.json()).toEqual({ error: { code: 'forbidden', message: 'bad or missing signature' } });
    expect((await signedPost(b.url, '/pipe', open, 'forged-secret-forged-secret-forged-00000')).status).toBe(403);
    // A valid signature for /control does not open /pipe; nor does one for another body.
    const forControl = await signRequest('test-secret-test-secret-test-secret-0123', 'POST', '/control', text);
    expect((await fetch(`${b.url}/pipe`, { method: 'POST', body: text, headers: forControl })).status).toBe(403);
    const otherBody = await signRequest(
      'test-secret-test-secret-test-secret-0123',
      'POST',
      '/pipe',
      JSON.stringify({ action: 'openPipe', meetingId: '999999999' }),
    );
    expect((await fetch(`${b.url}/pipe`, { method: 'POST', body: text, headers: otherBody })).status).toBe(403);
    // A stale signature (older than the allowed skew) is refused.
    const stale = await signRequest('test-secret-test-secret-test-secret-0123', 'POST', '/pipe', text, Date.now() - 5 * 60_000);
    expect((await fetch(`${b.url}/pipe`, { method: 'POST', body: text, headers: stale })).status).toBe(403);
    expect(b.meeting(mid)!.pipeCount).toBe(0);

    // Signed but wrong: clear codes, nothing created.
    const bad = await signedPost(b.url, '/pipe', { action: 'openPipe', meetingId: mid, extra: 1 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('bad_message');
    const badIp = await signedPost(b.url, '/pipe', {
      action: 'connectPipe',
      meetingId: mid,
      pipeId: 'x',
      remote: { ip: 'evil.example', port: 1, srtpParameters: { cryptoSuite: 'AEAD_AES_256_GCM', keyBase64: 'AAAA' } },
    });
    expect(badIp.status).toBe(400);
    const noPipe = await signedPost(b.url, '/pipe', { action: 'pipeProducer', meetingId: mid, pipeId: 'no-such-pipe', producerId: 'p' });
    expect(noPipe.status).toBe(404);
    const noMeeting = await signedPost(b.url, '/pipe', { action: 'closePipe', meetingId: '999999998', pipeId: 'x' });
    expect(noMeeting.status).toBe(404);
    expect(b.meeting(mid)!.pipeCount).toBe(0);
    expect(b.meeting('999999998')).toBeUndefined();

    // A producer that is not in the meeting cannot be piped out.
    const opened = await pipeCall<PipeOpened>(b, open);
    const missing = await signedPost(b.url, '/pipe', { action: 'pipeProducer', meetingId: mid, pipeId: opened.pipeId, producerId: 'not-here' });
    expect(missing.status).toBe(404);
    await pipeCall(b, { action: 'closePipe', meetingId: mid, pipeId: opened.pipeId });
    expect(b.meeting(mid)!.pipeCount).toBe(0);
    c.close();
  });
});
