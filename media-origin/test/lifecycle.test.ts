/** Registration with the edge, worker failure, drain. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  FakeEdge,
  OPUS_PARAMS,
  RtpSink,
  RtpSource,
  SECRET,
  SignalClient,
  mintTicket,
  newMeetingId,
  newParticipantId,
  signedPost,
  startOrigin,
  until,
} from './helpers.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('edge registration', () => {
  const edge = new FakeEdge();
  afterAll(() => edge.close());

  it('registers at once with a signed heartbeat carrying its URLs and load', async () => {
    const origin = await startOrigin({ EDGE_URL: await edge.start(), ORIGIN_REGION: 'eu-test' });
    try {
      await until(() => edge.beats.length > 0, 5000, 'first heartbeat');
      expect(edge.rejected).toBe(0);
      expect(edge.beats[0]).toMatchObject({
        originId: 'eu-test-0',
        region: 'eu-test',
        url: origin.wsUrl,
        controlUrl: origin.url,
        draining: false,
        load: { workers: 1, routers: 0, transports: 0, producers: 0, consumers: 0 },
      });
    } finally {
      await origin.close();
    }
  });

  it('keeps serving when the edge is unreachable', async () => {
    const origin = await startOrigin({ EDGE_URL: 'http://127.0.0.1:9' });
    try {
      expect(await origin.heartbeat()).toBe(false);
      const c = await SignalClient.join(origin, { mid: newMeetingId(), sub: newParticipantId() });
      c.close();
    } finally {
      await origin.close();
    }
  });
});

describe('worker failure', () => {
  it('recreates the routers of a dead worker and tells its clients to reconnect', async () => {
    const origin = await startOrigin();
    try {
      const mid = newMeetingId();
      const sub = newParticipantId();
      const c = await SignalClient.join(origin, { mid, sub });
      const t = await origin.peer(mid, sub)!.createPlainTransport('send');
      await c.ok('produce', { transportId: t.id, kind: 'audio', source: 'audio', rtpParameters: OPUS_PARAMS(42) });
      const oldWorker = origin.meeting(mid)!.worker;

      process.kill(oldWorker.pid, 'SIGKILL');
      const n = await c.waitFor('reconnect', () => true, 5000);
      expect(n.data.reason).toMatch(/worker/);
      expect(await c.closed).toBe(4005);

      await until(() => origin.meeting(mid)?.worker !== oldWorker && !origin.meeting(mid)!.router.closed, 8000, 'router recreated');
      expect(origin.workers).toHaveLength(1);
      expect(origin.workers[0]!.pid).not.toBe(oldWorker.pid);
      // The client comes back (same ticket identity) and media works on the new router.
      const again = await SignalClient.join(origin, { mid, sub });
      const t2 = await origin.peer(mid, sub)!.createPlainTransport('send');
      expect((await again.request('produce', { transportId: t2.id, kind: 'audio', source: 'audio', rtpParameters: OPUS_PARAMS(43) })).ok).toBe(true);
      const text = await (await fetch(origin.metricsUrl)).text();
      expect(text).toMatch(/^sealroom_origin_worker_deaths_total\{[^}]*\} 1$/m);
      again.close();
    } finally {
      await origin.close();
    }
  });
});

describe('reconnect window', () => {
  it('closes a dropped participant when the window passes', async () => {
    const origin = await startOrigin({ ORIGIN_RECONNECT_GRACE_SECONDS: '0.3' });
    try {
      const mid = newMeetingId();
      const sub = newParticipantId();
      const tx = await SignalClient.join(origin, { mid, sub });
      const t = await origin.peer(mid, sub)!.createPlainTransport('send');
      const { producerId } = await tx.ok('produce', { transportId: t.id, kind: 'audio', source: 'audio', rtpParameters: OPUS_PARAMS(44) });
      const rx = await SignalClient.join(origin, { mid, sub: newParticipantId() });
      tx.ws.terminate();
      const n = await rx.waitFor('producerClosed', (x) => x.data.producerId === producerId, 3000);
      expect(n).toBeDefined();
      expect(origin.peer(mid, sub)).toBeUndefined();
      rx.close();
    } finally {
      await origin.close();
    }
  });
});

describe('drain', () => {
  let edge: FakeEdge;
  let edgeUrl: string;
  beforeAll(async () => {
    edge = new FakeEdge();
    edgeUrl = await edge.start();
  });
  afterAll(() => edge.close());

  it('on SIGTERM: tells the edge, refuses new meetings, exits when the last client leaves', async () => {
    const child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), ['media-origin/src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        MEDIASOUP_WORKER_BIN: inject('mediasoupWorkerBin'),
        SEALROOM_SHARED_SECRET: SECRET,
        ORIGIN_PORT: '0',
        ORIGIN_METRICS_PORT: '0',
        ORIGIN_WORKERS: '1',
        ORIGIN_ID: 'drain-test',
        ORIGIN_DRAIN_SECONDS: '20',
        ORIGIN_LOG_LEVEL: 'warn',
        EDGE_URL: edgeUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      await until(() => /media origin listening on http:\/\/127\.0\.0\.1:\d+/.test(out), 15_000, `startup line; got: ${out}`);
      const base = /media origin listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      const wsUrl = `${base.replace('http', 'ws')}/ws`;
      await until(() => edge.beats.some((b) => b.originId === 'drain-test'), 5000, 'registration');

      const mid = newMeetingId();
      const stay = await SignalClient.connect(wsUrl);
      expect((await stay.request('auth', { ticket: await mintTicket({ mid, sub: newParticipantId() }) })).ok).toBe(true);

      child.kill('SIGTERM');
      await until(() => edge.beats.some((b) => b.originId === 'drain-test' && b.draining), 5000, 'draining heartbeat');
      // New meetings go elsewhere; the running meeting still takes its participants.
      const fresh = await SignalClient.connect(wsUrl);
      const refused = await fresh.request('auth', { ticket: await mintTicket({ mid: newMeetingId(), sub: newParticipantId() }) });
      expect(refused.ok || refused.error.code).toBe('no_origin');
      const late = await SignalClient.connect(wsUrl);
      expect((await late.request('auth', { ticket: await mintTicket({ mid, sub: newParticipantId() }) })).ok).toBe(true);

      const started = Date.now();
      stay.close();
      late.close();
      expect(await exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('after the deadline, remaining clients are told to reconnect', async () => {
    const origin = await startOrigin({ ORIGIN_DRAIN_SECONDS: '0.5' });
    const c = await SignalClient.join(origin, { mid: newMeetingId(), sub: newParticipantId() });
    await origin.drain();
    await c.waitFor('reconnect');
    expect(await c.closed).toBe(1001);
  });
});

describe('large meetings', () => {
  it('spreads a meeting over workers and pipes producers between its routers', async () => {
    const origin = await startOrigin({ ORIGIN_WORKERS: '2', ORIGIN_PEERS_PER_ROUTER: '1' });
    try {
      const mid = newMeetingId();
      const a = newParticipantId();
      const b = newParticipantId();
      const ca = await SignalClient.join(origin, { mid, sub: a });
      const cb = await SignalClient.join(origin, { mid, sub: b });
      const meeting = origin.meeting(mid)!;
      expect(meeting.routerCount).toBe(2);
      expect(meeting.routerOf(a)).not.toBe(meeting.routerOf(b));
      expect(origin.snapshot().routers).toBe(2);

      // a produces on router 1; b consumes it on router 2, through the pipe.
      const send = await origin.peer(mid, a)!.createPlainTransport('send');
      const { producerId } = await ca.ok('produce', { transportId: send.id, kind: 'audio', source: 'audio', rtpParameters: OPUS_PARAMS(77) });
      await cb.waitFor('newProducer', (n) => n.data.producerId === producerId);
      const sink = await RtpSink.open();
      const recv = await origin.peer(mid, b)!.createPlainTransport('recv', { ip: '127.0.0.1', port: sink.port });
      const { rtpCapabilities } = await cb.ok('rtpCapabilities', {});
      const consumer = await cb.ok('consume', { transportId: recv.id, producerId, rtpCapabilities });
      await cb.ok('resumeConsumer', { consumerId: consumer.consumerId });
      const src = new RtpSource(send.tuple.localPort, 77, 111);
      for (let i = 0; i < 10; i++) await src.send(new Uint8Array([0x78, i]), false, 960);
      await until(() => sink.count() >= 10, 3000, 'piped RTP');

      // Host pause reaches the piped copy too.
      await signedPost(origin.url, '/control', { action: 'pauseSource', meetingId: mid, participantId: a, source: 'audio' });
      await ca.waitFor('producerPaused');
      const before = sink.count();
      for (let i = 0; i < 10; i++) await src.send(new Uint8Array([0x78, i]), false, 960);
      await new Promise((r) => setTimeout(r, 200));
      expect(sink.count()).toBe(before);

      // The producer's end reaches the other router's participants; an emptied router goes.
      ca.close();
      await cb.waitFor('producerClosed', (n) => n.data.producerId === producerId);
      cb.close();
      await until(() => origin.meeting(mid) === undefined, 3000, 'meeting freed');
      expect(origin.snapshot().routers).toBe(0);
      src.close();
      sink.close();
    } finally {
      await origin.close();
    }
  });
});
