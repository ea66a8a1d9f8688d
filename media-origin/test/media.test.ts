/**
 * Media through the origin: RTP made by the test enters a PlainTransport, is forwarded by a
 * real mediasoup router, and leaves through another PlainTransport to a UDP socket; the
 * signalling (produce, consume, resume, enforcement) is the real protocol over WebSocket.
 */
import dgram from 'node:dgram';
import { AUDIO_LEVEL_INTERVAL_MS, signRequest } from '@sealroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_FRAME_NUDGE_MS } from '../src/key-frames.ts';
import type { Origin } from '../src/origin.ts';
import { fakeVp8Frame, packetizeVp8, vp8DescriptorLength, vp8StartsFrame } from '../src/rtp.ts';
import { type TapResult, reassembleVp8 } from '../src/test-tap.ts';
import {
  AUDIO_LEVEL_EXT_ID,
  OPUS_LEVEL_PARAMS,
  RtpSource,
  SignalClient,
  VP8_PARAMS,
  newMeetingId,
  plainReceiver,
  plainSender,
  newParticipantId,
  signedPost,
  sleep,
  startOrigin,
  until,
} from './helpers.ts';

let origin: Origin;
beforeAll(async () => {
  origin = await startOrigin({ SEALROOM_TEST_TAP: '1' });
});
/** Sender sockets, one per send transport, closed at the end. */
const sockets: dgram.Socket[] = [];
afterAll(async () => {
  for (const s of sockets) s.close();
  await origin?.close();
});

const sender = async (mid: string, src: ('audio' | 'video' | 'screen')[] = ['audio', 'video']) => {
  const tx = await plainSender(origin, mid, src);
  sockets.push(tx.socket);
  return tx;
};
const receiver = (mid: string) => plainReceiver(origin, mid);

const opusFrame = (i: number) => new Uint8Array([0x78, i & 0xff, 1, 2, 3, 4, 5, 6]);

describe('forwarding', () => {
  it('forwards Opus and VP8 unchanged, and tells participants about producers', async () => {
    const mid = newMeetingId();
    const rx = await receiver(mid);
    const tx = await sender(mid);
    const audio = await tx.produce('audio', 1111);
    const video = await tx.produce('video', 2222);
    const n1 = await rx.c.waitFor('newProducer', (n) => n.data.producerId === audio.producerId);
    expect(n1.data).toEqual({ producerId: audio.producerId, participantId: tx.sub, kind: 'audio', source: 'audio' });
    await rx.c.waitFor('newProducer', (n) => n.data.producerId === video.producerId);
    // The producer's owner is not told about its own producer.
    expect(tx.c.notifications.filter((n) => n.event === 'newProducer')).toHaveLength(0);

    const ca = await rx.consume(audio.producerId);
    const cv = await rx.consume(video.producerId);
    expect(ca).toMatchObject({ kind: 'audio', participantId: tx.sub, source: 'audio' });

    for (let i = 0; i < 20; i++) await audio.rtp.send(opusFrame(i), false, 960);
    // A video consumer forwards from a key frame on: send one (two packets), then deltas.
    const frames: Uint8Array[] = [];
    for (let f = 0; f < 6; f++) {
      const frame = fakeVp8Frame(f === 0, new Uint8Array(f === 0 ? 1500 : 300).fill(f + 1));
      frames.push(frame);
      const pkts = packetizeVp8(frame, f);
      for (let i = 0; i < pkts.length; i++) await video.rtp.send(pkts[i]!, i === pkts.length - 1, i === pkts.length - 1 ? 4500 : 0);
    }
    await until(() => rx.sink.count(ca.ssrc) >= 20 && rx.sink.count(cv.ssrc) >= 7, 5000, 'forwarded RTP');

    const gotAudio = rx.sink.packets.filter((p) => p.ssrc === ca.ssrc);
    expect(gotAudio.map((p) => Buffer.from(p.payload))).toEqual(Array.from({ length: 20 }, (_, i) => Buffer.from(opusFrame(i))));
    const gotVideo = rx.sink.packets
      .filter((p) => p.ssrc === cv.ssrc)
      .map((p) => ({
        participantId: tx.sub,
        source: 'video' as const,
        kind: 'video' as const,
        ssrc: p.ssrc,
        payloadType: p.payloadType,
        marker: p.marker,
        seq: p.seq,
        timestamp: p.timestamp,
        payload: Buffer.from(p.payload).toString('base64url'),
      }));
    const rebuilt = reassembleVp8(gotVideo);
    expect(rebuilt.map((f) => f.keyFrame)).toEqual([true, false, false, false, false, false]);
    expect(rebuilt.map((f) => Buffer.from(f.data))).toEqual(frames.map((f) => Buffer.from(f)));

    // A late joiner learns of the existing producers right after auth.
    const late = await SignalClient.join(origin, { mid, sub: newParticipantId(), src: [] });
    await late.waitFor('newProducer', (n) => n.data.producerId === audio.producerId);
    await late.waitFor('newProducer', (n) => n.data.producerId === video.producerId);

    // The sender leaves: everyone else hears that its producers are gone.
    tx.c.close();
    await rx.c.waitFor('producerClosed', (n) => n.data.producerId === audio.producerId);
    await late.waitFor('producerClosed', (n) => n.data.producerId === video.producerId);
    expect(origin.meeting(mid)!.findProducer(audio.producerId)).toBeUndefined();

    audio.rtp.close();
    video.rtp.close();
    rx.sink.close();
    rx.c.close();
    late.close();
  });

  it('runs consumers on a browser transport not yet connected at once, and holds the later ones for resume', async () => {
    const mid = newMeetingId();
    const tx = await sender(mid);
    const audio = await tx.produce('audio', 4444);
    const video = await tx.produce('video', 5555);
    const sub = newParticipantId();
    const rx = await SignalClient.join(origin, { mid, sub, src: [] });
    const { rtpCapabilities } = await rx.ok('rtpCapabilities', {});
    const recv = await rx.ok('createTransport', { direction: 'recv' });
    // Nothing can flow before the browser connects the transport, which it does once its receivers exist.
    const first = await rx.ok('consume', { transportId: recv.id, producerId: audio.producerId, rtpCapabilities });
    expect(first.paused).toBe(false);
    const running = origin.peer(mid, sub)!.consumers.find((c) => c.id === first.consumerId)!;
    expect(running.paused).toBe(false);
    await rx.ok('connectTransport', {
      transportId: recv.id,
      dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: Array(32).fill('AB').join(':') }] },
    });
    // Once the client asked to connect, packets may arrive before a new receiver exists: paused until it resumes.
    const later = await rx.ok('consume', { transportId: recv.id, producerId: video.producerId, rtpCapabilities });
    expect(later.paused).toBe(true);
    expect(origin.peer(mid, sub)!.consumers.find((c) => c.id === later.consumerId)!.paused).toBe(true);
    audio.rtp.close();
    video.rtp.close();
    tx.c.close();
    rx.close();
  });

  it('consume refuses unknown producers and wrong transports', async () => {
    const mid = newMeetingId();
    const tx = await sender(mid);
    const audio = await tx.produce('audio', 3333);
    const rx = await receiver(mid);
    const { rtpCapabilities } = await rx.c.ok('rtpCapabilities', {});
    const sendT = await origin.peer(mid, rx.sub)!.createPlainTransport('send');
    const recvT = [...origin.peer(mid, rx.sub)!.transports].find((t) => t.id !== sendT.id)!;
    const cases = [
      [{ transportId: recvT.id, producerId: 'nope', rtpCapabilities }, 'not_found'],
      [{ transportId: sendT.id, producerId: audio.producerId, rtpCapabilities }, 'bad_message'],
      [{ transportId: recvT.id, producerId: audio.producerId, rtpCapabilities: { codecs: [] } }, 'bad_message'],
    ] as const;
    for (const [data, code] of cases) {
      const r = await rx.c.request('consume', data);
      expect(r.ok || r.error.code).toBe(code);
    }
    expect(origin.peer(mid, rx.sub)!.counts.consumers).toBe(0);
    audio.rtp.close();
    rx.sink.close();
    tx.c.close();
    rx.c.close();
  });
});

describe('host enforcement', () => {
  it('a host-paused producer forwards nothing and its client cannot resume it', async () => {
    const mid = newMeetingId();
    const tx = await sender(mid);
    const audio = await tx.produce('audio', 4444);
    const rx = await receiver(mid);
    const ca = await rx.consume(audio.producerId);
    let i = 0;
    for (; i < 10; i++) await audio.rtp.send(opusFrame(i), false, 960);
    await until(() => rx.sink.count(ca.ssrc) >= 10, 3000, 'audio before pause');

    const res = await signedPost(origin.url, '/control', { action: 'pauseSource', meetingId: mid, participantId: tx.sub, source: 'audio' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, paused: 1 });
    await tx.c.waitFor('producerPaused', (n) => n.data.producerId === audio.producerId && n.data.byHost);

    const refused = await tx.c.request('resumeProducer', { producerId: audio.producerId });
    expect(refused.ok || refused.error).toMatchObject({ code: 'forbidden' });
    // Pausing and resuming on its own does not get around it either.
    await tx.c.ok('pauseProducer', { producerId: audio.producerId });
    const again = await tx.c.request('resumeProducer', { producerId: audio.producerId });
    expect(again.ok || again.error.code).toBe('forbidden');
    // Nor does closing and producing the source again: the new producer starts paused.
    await tx.c.ok('closeProducer', { producerId: audio.producerId });
    const audio2 = await tx.produce('audio', 4445);
    await tx.c.waitFor('producerPaused', (n) => n.data.producerId === audio2.producerId && n.data.byHost);
    const ca2 = await rx.consume(audio2.producerId);

    const before = rx.sink.count();
    for (let k = 0; k < 20; k++, i++) {
      await audio.rtp.send(opusFrame(i), false, 960);
      await audio2.rtp.send(opusFrame(i), false, 960);
    }
    await sleep(300);
    expect(rx.sink.count()).toBe(before);

    // Release allows resuming, and the participant is told so; it does not unmute by force.
    expect(tx.c.notifications.some((n) => n.event === 'released')).toBe(false);
    expect((await signedPost(origin.url, '/control', { action: 'releaseSource', meetingId: mid, participantId: tx.sub, source: 'audio' })).status).toBe(200);
    expect((await tx.c.waitFor('released')).data).toEqual({ source: 'audio' });
    expect(rx.c.notifications.some((n) => n.event === 'released')).toBe(false);
    for (let k = 0; k < 5; k++, i++) await audio2.rtp.send(opusFrame(i), false, 960);
    await sleep(200);
    expect(rx.sink.count(ca2.ssrc)).toBe(0);
    await tx.c.ok('resumeProducer', { producerId: audio2.producerId });
    for (let k = 0; k < 5; k++, i++) await audio2.rtp.send(opusFrame(i), false, 960);
    await until(() => rx.sink.count(ca2.ssrc) >= 5, 3000, 'audio after release');

    audio.rtp.close();
    audio2.rtp.close();
    rx.sink.close();
    tx.c.close();
    rx.c.close();
  });

  it('closeParticipant and closeMeeting close sockets and transports', async () => {
    const mid = newMeetingId();
    const a = await sender(mid);
    await a.produce('audio', 5555);
    const b = await receiver(mid);
    const res = await signedPost(origin.url, '/control', { action: 'closeParticipant', meetingId: mid, participantId: a.sub });
    expect(await res.json()).toEqual({ ok: true, closed: true });
    expect(await a.c.closed).toBe(4003);
    await b.c.waitFor('producerClosed');
    const res2 = await signedPost(origin.url, '/control', { action: 'closeMeeting', meetingId: mid });
    expect(await res2.json()).toEqual({ ok: true, closed: true });
    expect(await b.c.closed).toBe(4004);
    expect(origin.meeting(mid)).toBeUndefined();
    b.sink.close();
  });

  it('refuses control calls that are not signed with the shared secret', async () => {
    const body = { action: 'closeMeeting', meetingId: '123456789' };
    const plain = await fetch(`${origin.url}/control`, { method: 'POST', body: JSON.stringify(body) });
    expect(plain.status).toBe(403);
    expect(await plain.json()).toEqual({ error: { code: 'forbidden', message: 'bad or missing signature' } });
    expect((await signedPost(origin.url, '/control', body, 'wrong-secret-wrong-secret-wrong-secret-00')).status).toBe(403);
    // A signature for another path does not carry over.
    const text = JSON.stringify(body);
    const h = await signRequest('test-secret-test-secret-test-secret-0123', 'POST', '/test/tap', text);
    expect((await fetch(`${origin.url}/control`, { method: 'POST', body: text, headers: h })).status).toBe(403);
    // Signed but malformed: 400 with a code.
    const bad = await signedPost(origin.url, '/control', { action: 'explode', meetingId: '123456789' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('bad_message');
  });
});

describe('ICE restart', () => {
  it('answers fresh ICE parameters for a WebRTC transport, and refuses others', async () => {
    const mid = newMeetingId();
    const sub = newParticipantId();
    const c = await SignalClient.join(origin, { mid, sub, src: ['audio'] });
    const t = await c.ok('createTransport', { direction: 'send' });
    const before = t.iceParameters as { usernameFragment: string; password: string };
    const { iceParameters } = await c.ok('restartIce', { transportId: t.id });
    const after = iceParameters as { usernameFragment: string; password: string };
    expect(after.usernameFragment).toMatch(/^[a-z0-9]{8,}$/);
    expect(after.usernameFragment).not.toBe(before.usernameFragment);
    expect(after.password).not.toBe(before.password);
    // The transport itself now expects the new credentials.
    const live = origin.peer(mid, sub)!.transports.find((x) => x.id === t.id) as unknown as { iceParameters: typeof after };
    expect(live.iceParameters).toMatchObject({ usernameFragment: after.usernameFragment, password: after.password });

    const plain = await origin.peer(mid, sub)!.createPlainTransport('send');
    const refused = await c.request('restartIce', { transportId: plain.id });
    expect(refused.ok || refused.error.code).toBe('bad_message');
    const unknown = await c.request('restartIce', { transportId: 'no-such-transport' });
    expect(unknown.ok || unknown.error.code).toBe('not_found');
    // Someone else's transport is not found either: transports belong to their participant.
    const other = await SignalClient.join(origin, { mid, sub: newParticipantId(), src: [] });
    const theirs = await other.request('restartIce', { transportId: t.id });
    expect(theirs.ok || theirs.error.code).toBe('not_found');
    c.close();
    other.close();
  });
});

describe('test tap', () => {
  it('records what the router forwards, payloads intact', async () => {
    const mid = newMeetingId();
    const tx = await sender(mid);
    const audio = await tx.produce('audio', 6666);
    const video = await tx.produce('video', 7777);
    const tap = signedPost(origin.url, '/test/tap', { meetingId: mid, ms: 700 }).then((r) => r.json() as Promise<TapResult>);
    const sent: Buffer[] = [];
    for (let f = 0; f < 12; f++) {
      const frame = fakeVp8Frame(f % 4 === 0, new Uint8Array(f % 4 === 0 ? 2000 : 200).fill(f));
      sent.push(Buffer.from(frame));
      const pkts = packetizeVp8(frame, f);
      for (let i = 0; i < pkts.length; i++) await video.rtp.send(pkts[i]!, i === pkts.length - 1, i === pkts.length - 1 ? 4500 : 0);
      await audio.rtp.send(opusFrame(f), false, 960);
      await sleep(40);
    }
    const { packets } = await tap;
    const audioPkts = packets.filter((p) => p.kind === 'audio');
    expect(audioPkts.length).toBeGreaterThan(0);
    expect(audioPkts[0]).toMatchObject({ participantId: tx.sub, source: 'audio', payloadType: expect.any(Number), marker: false });
    for (const p of audioPkts) expect(Buffer.from(p.payload, 'base64url')[0]).toBe(0x78);
    const frames = reassembleVp8(packets);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames[0]!.keyFrame).toBe(true);
    for (const f of frames) expect(sent).toContainEqual(Buffer.from(f.data));
    // The tap closed its transport: no consumer is left behind on the router.
    expect((await origin.meeting(mid)!.router.dump()).transportIds).toHaveLength(1);
    audio.rtp.close();
    video.rtp.close();
    tx.c.close();
  });

  it('is refused unsigned, and for unknown meetings', async () => {
    const r = await fetch(`${origin.url}/test/tap`, { method: 'POST', body: JSON.stringify({ meetingId: '123456789', ms: 10 }) });
    expect(r.status).toBe(403);
    expect((await signedPost(origin.url, '/test/tap', { meetingId: '123456789', ms: 10 })).status).toBe(404);
  });
});

describe('metrics', () => {
  it('serves Prometheus text with the origin counts', async () => {
    const text = await (await fetch(origin.metricsUrl)).text();
    expect(text).toMatch(/^sealroom_origin_workers\{origin="local-0",region="local"\} 1$/m);
    expect(text).toMatch(/^sealroom_origin_requests_total\{method="produce",outcome="ok"/m);
    expect(text).toMatch(/sealroom_origin_worker_cpu_ratio/);
  });
});

describe('active speaker', () => {
  it('tells everyone who speaks (from the RFC 6464 audio level, never the payload)', async () => {
    const mid = newMeetingId();
    const loud = await sender(mid, ['audio']);
    const quiet = await sender(mid, ['audio']);
    const t1 = loud.transport;
    const t2 = quiet.transport;
    await loud.c.ok('produce', { transportId: t1.id, kind: 'audio', source: 'audio', rtpParameters: OPUS_LEVEL_PARAMS(8001) });
    await quiet.c.ok('produce', { transportId: t2.id, kind: 'audio', source: 'audio', rtpParameters: OPUS_LEVEL_PARAMS(8002) });
    const a = new RtpSource(t1.tuple.localPort, 8001, 111, loud.socket);
    const b = new RtpSource(t2.tuple.localPort, 8002, 111, quiet.socket);
    // Level is −dBov: 0 is loudest, 127 silence. 20 ms packets for ~2.5 s.
    const speaking = (async () => {
      for (let i = 0; i < 125; i++) {
        await a.send(opusFrame(i), false, 960, [{ id: AUDIO_LEVEL_EXT_ID, data: new Uint8Array([0x80 | (i % 10)]) }]);
        await b.send(opusFrame(i), false, 960, [{ id: AUDIO_LEVEL_EXT_ID, data: new Uint8Array([127]) }]);
        await sleep(20);
      }
    })();
    const n = await quiet.c.waitFor('activeSpeaker', (x) => x.data.participantId === loud.sub, 6000);
    expect(n.data.participantId).toBe(loud.sub);
    await speaking;
    a.close();
    b.close();
    loud.c.close();
    quiet.c.close();
  });
});

describe('audio levels', () => {
  it('sends rounded levels of those speaking only, rate-limited, then silence', { timeout: 15_000 }, async () => {
    const mid = newMeetingId();
    const loud = await sender(mid, ['audio']);
    const quiet = await sender(mid, ['audio']);
    const viewer = await receiver(mid);
    const { rtp: a } = await loud.produce('audio', 8101, OPUS_LEVEL_PARAMS(8101));
    const { rtp: b } = await quiet.produce('audio', 8102, OPUS_LEVEL_PARAMS(8102));
    // RFC 6464: V bit (0x80) and the level as −dBov. The loud one at −3…−7 dBov, the other
    // murmuring below the speaking threshold (−75 dBov), for ~2 s of 20 ms packets.
    const started = Date.now();
    for (let i = 0; i < 100; i++) {
      await a.send(opusFrame(i), false, 960, [{ id: AUDIO_LEVEL_EXT_ID, data: new Uint8Array([0x80 | (3 + (i % 5))]) }]);
      await b.send(opusFrame(i), false, 960, [{ id: AUDIO_LEVEL_EXT_ID, data: new Uint8Array([75]) }]);
      await sleep(20);
    }
    const speakingFor = Date.now() - started;
    const heard = await viewer.c.waitFor('audioLevels', (n) => n.data.levels.some((l) => l.participantId === loud.sub), 5000);
    const entry = heard.data.levels.find((l) => l.participantId === loud.sub)!;
    expect(Number.isInteger(entry.dBov)).toBe(true);
    expect(entry.dBov).toBeGreaterThanOrEqual(-8);
    expect(entry.dBov).toBeLessThanOrEqual(-2);
    // Once the loud one stops, an empty list says nobody speaks.
    const after = () => viewer.c.notifications.slice(viewer.c.notifications.indexOf(heard) + 1);
    await until(() => after().some((n) => n.event === 'audioLevels' && n.data.levels.length === 0), 5000, 'silence after speech');
    const all = viewer.c.notifications.filter((n) => n.event === 'audioLevels');
    // Never the one below the threshold; the sender hears its own level too (meters on every tile).
    for (const n of all) for (const l of n.data.levels) expect(l.participantId).toBe(loud.sub);
    expect(loud.c.notifications.some((n) => n.event === 'audioLevels' && n.data.levels.length > 0)).toBe(true);
    // Rate limit: at most one per interval while speaking, plus the silence notice.
    expect(all.length).toBeLessThanOrEqual(Math.ceil(speakingFor / AUDIO_LEVEL_INTERVAL_MS) + 2);
    a.close();
    b.close();
    loud.c.close();
    quiet.c.close();
    viewer.c.close();
    viewer.sink.close();
  });
});

describe('simulcast', () => {
  it('switches a viewer down and up between layers, each switch starting on a key frame', { timeout: 30_000 }, async () => {
    const mid = newMeetingId();
    const tx = await sender(mid, ['video']);
    const ssrcs = [9100, 9101, 9102];
    const { producerId } = await tx.c.ok('produce', {
      transportId: tx.transport.id,
      kind: 'video',
      source: 'video',
      rtpParameters: { ...VP8_PARAMS(0), encodings: ssrcs.map((ssrc) => ({ ssrc })) },
    });
    const layers = ssrcs.map((ssrc) => new RtpSource(tx.transport.tuple.localPort, ssrc, 96, tx.socket));
    const rx = await receiver(mid);
    const cv = await rx.consume(producerId);

    // Every layer sends a frame per tick; its body bytes say which layer it is (sealed
    // payloads would be opaque, but the clear VP8 prefix is all mediasoup needs).
    let frame = 0;
    const tick = async () => {
      for (let l = 0; l < 3; l++) {
        const f = fakeVp8Frame(frame % 5 === 0, new Uint8Array(200 * (l + 1)).fill(l + 1));
        const pkts = packetizeVp8(f, frame);
        for (let i = 0; i < pkts.length; i++) await layers[l]!.send(pkts[i]!, i === pkts.length - 1, i === pkts.length - 1 ? 4500 : 0);
        if (frame % 5 === 0) await layers[l]!.sendSenderReport();
      }
      frame++;
    };
    /** Sends until the last frame the viewer got is from `layer` (then a few more). */
    const runUntilLayer = async (layer: number, timeoutMs = 8000) => {
      const end = Date.now() + timeoutMs;
      while (framesNow().at(-1) === undefined || layerOf(framesNow().at(-1)!) !== layer) {
        if (Date.now() > end) throw new Error(`viewer never got layer ${layer}: ${framesNow().map(layerOf).join('')}`);
        await tick();
        await sleep(30);
      }
      for (let i = 0; i < 5; i++) {
        await tick();
        await sleep(30);
      }
    };
    const layerOf = (f: { keyFrame: boolean; data: Uint8Array }) => f.data[f.keyFrame ? 10 : 3]! - 1;
    const framesNow = () =>
      reassembleVp8(
        rx.sink.packets
          .filter((p) => p.ssrc === cv.ssrc)
          .map((p) => ({
            participantId: tx.sub,
            source: 'video' as const,
            kind: 'video' as const,
            ssrc: p.ssrc,
            payloadType: p.payloadType,
            marker: p.marker,
            seq: p.seq,
            timestamp: p.timestamp,
            payload: Buffer.from(p.payload).toString('base64url'),
          })),
      );

    // mediasoup starts low and climbs to the highest layer once the layers' scores are in.
    await runUntilLayer(2);
    await rx.c.ok('setPreferredLayers', { consumerId: cv.consumerId, spatialLayer: 0 });
    await runUntilLayer(0);
    await rx.c.ok('setPreferredLayers', { consumerId: cv.consumerId, spatialLayer: 2 });
    await runUntilLayer(2);

    const frames = framesNow();
    const seq = frames.map(layerOf);
    expect(seq.join('')).toMatch(/2+0+2+$/);
    // One outgoing stream. mediasoup leaves a one-number gap in sequence numbers where it
    // switches layers; a gap anywhere else would be a lost packet and a broken frame.
    const pkts = rx.sink.packets.filter((p) => p.ssrc === cv.ssrc);
    for (let i = 1; i < pkts.length; i++) {
      if (((pkts[i]!.seq - pkts[i - 1]!.seq) & 0xffff) === 1) continue;
      const payload = pkts[i]!.payload;
      expect(pkts[i - 1]!.marker).toBe(true);
      expect(vp8StartsFrame(payload) && (payload[vp8DescriptorLength(payload)]! & 0x01) === 0).toBe(true);
    }
    // …whose every layer change begins with a key frame, so it keeps decoding.
    for (let i = 1; i < frames.length; i++) if (seq[i] !== seq[i - 1]) expect(frames[i]!.keyFrame).toBe(true);

    for (const l of layers) l.close();
    rx.sink.close();
    tx.c.close();
    rx.c.close();
  });
});

describe('reconnect window', () => {
  it('a dropped socket keeps its media; reconnecting takes it back with what it missed', async () => {
    const mid = newMeetingId();
    const tx = await sender(mid, ['audio']);
    const audio = await tx.produce('audio', 9900);
    const rx = await receiver(mid);
    const ca = await rx.consume(audio.producerId);
    let i = 0;
    for (; i < 5; i++) await audio.rtp.send(opusFrame(i), false, 960);
    await until(() => rx.sink.count(ca.ssrc) >= 5, 3000, 'audio before the drop');

    tx.c.ws.terminate(); // no close frame: the origin sees 1006, as on network loss
    await until(() => origin.peer(mid, tx.sub)?.detached === true, 3000, 'peer detached');
    for (let k = 0; k < 5; k++, i++) await audio.rtp.send(opusFrame(i), false, 960);
    await until(() => rx.sink.count(ca.ssrc) >= 10, 3000, 'audio while detached');
    expect(rx.c.notifications.some((n) => n.event === 'producerClosed')).toBe(false);

    // Something happens while it is away: held, delivered on return.
    await signedPost(origin.url, '/control', { action: 'pauseSource', meetingId: mid, participantId: tx.sub, source: 'audio' });
    expect(tx.c.auth).toMatchObject({ participantId: tx.sub, meetingId: mid, resumed: false });
    const back = await SignalClient.join(origin, { mid, sub: tx.sub, src: ['audio'] });
    // Same identity, same media: the origin says so.
    expect(back.auth).toEqual({ participantId: tx.sub, meetingId: mid, resumed: true });
    await back.waitFor('producerPaused', (n) => n.data.producerId === audio.producerId && n.data.byHost);
    expect(origin.peer(mid, tx.sub)!.detached).toBe(false);
    // The old producer is this socket's now.
    const refused = await back.request('resumeProducer', { producerId: audio.producerId });
    expect(refused.ok || refused.error.code).toBe('forbidden');
    await signedPost(origin.url, '/control', { action: 'releaseSource', meetingId: mid, participantId: tx.sub, source: 'audio' });
    await back.ok('resumeProducer', { producerId: audio.producerId });

    // A second connection of a connected participant takes over too; the first is told why.
    const third = await SignalClient.join(origin, { mid, sub: tx.sub, src: ['audio'] });
    expect(await back.closed).toBe(4000);
    await third.ok('pauseProducer', { producerId: audio.producerId });

    // Closing properly (a close frame) leaves at once.
    third.close();
    await rx.c.waitFor('producerClosed', (n) => n.data.producerId === audio.producerId, 2000);
    audio.rtp.close();
    rx.sink.close();
    rx.c.close();
  });
});

/** RTCP PLI (PSFB, FMT 1) and FIR (FMT 4) packets in a compound RTCP datagram. */
function keyFrameRequestsIn(datagram: Buffer): number {
  let n = 0;
  for (let at = 0; at + 4 <= datagram.length;) {
    const b0 = datagram[at]!;
    if (b0 >> 6 !== 2) break;
    const fmt = b0 & 0x1f;
    if (datagram[at + 1] === 206 && (fmt === 1 || fmt === 4)) n++;
    at += (datagram.readUInt16BE(at + 2) + 1) * 4;
  }
  return n;
}

describe('key frames for a starved consumer', () => {
  it('asks the sender again while a resumed video consumer forwards nothing, and stops once it forwards', { timeout: 40_000 }, async () => {
    const mid = newMeetingId();
    const tx = await sender(mid, ['video']);
    const video = await tx.produce('video', 7777);
    const requests: number[] = [];
    tx.socket.on('message', (msg) => {
      for (let i = keyFrameRequestsIn(msg); i > 0; i--) requests.push(Date.now());
    });
    // The sender keeps sending deltas, as a browser whose key frames were lost would look from
    // here: the consumer has nothing to start from until a key frame comes.
    let sendKey = false;
    let running = true;
    const pump = (async () => {
      for (let f = 0; running; f++) {
        const key = sendKey;
        sendKey = false;
        const pkts = packetizeVp8(fakeVp8Frame(key, new Uint8Array(key ? 1200 : 300).fill(f & 0xff)), f);
        for (let i = 0; i < pkts.length; i++) await video.rtp.send(pkts[i]!, i === pkts.length - 1, i === pkts.length - 1 ? 3000 : 0);
        await sleep(33);
      }
    })();
    try {
      const rx = await receiver(mid);
      const resumedAt = Date.now();
      const cv = await rx.consume(video.producerId);
      // mediasoup alone asks at most twice (on resume and one retry); more means the origin kept asking.
      await until(() => requests.filter((t) => t >= resumedAt).length >= 4, 15_000, 'repeated key frame requests');
      expect(rx.sink.count(cv.ssrc)).toBe(0);

      sendKey = true;
      await until(() => rx.sink.count(cv.ssrc) > 0, 5000, 'forwarding from the key frame');
      // Forwarding now: no more requests over a few nudge periods.
      const settled = requests.length;
      await sleep(KEY_FRAME_NUDGE_MS * 3);
      expect(requests.length - settled).toBeLessThanOrEqual(1);
      rx.sink.close();
      rx.c.close();
    } finally {
      running = false;
      await pump;
      video.rtp.close();
      tx.c.close();
    }
  });
});
