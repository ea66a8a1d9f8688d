/**
 * SFU forwarding benchmark (issue 5): an RTP generator on loopback, N producers × M consumers
 * through PlainTransports on ONE mediasoup worker, with Sealroom's router codecs. For each
 * step it measures packets in and forwarded per second, the worker's CPU, and loss at the
 * receivers; clear payloads and SFrame-shaped sealed payloads run in the same process, one
 * after the other, so their ratio shows whether E2EE costs the SFU anything (it should not:
 * the worker never looks past the codec's clear prefix).
 *
 *   tsx bench/sfu/run.ts [--seconds 3] [--producers 2] [--steps 50,100,200,400,600,800]
 *
 * Prints a markdown table; docs/bench/sfu.md records a run.
 */
import dgram from 'node:dgram';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { types as ms } from 'mediasoup';
import { MEDIA_CODECS } from '../../media-origin/src/media.ts';
import { buildRtp, fakeVp8Frame, packetizeVp8 } from '../../media-origin/src/rtp.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}
const SECONDS = Number(arg('seconds', '3'));
const PRODUCERS = Number(arg('producers', '2'));
const STEPS = arg('steps', '50,100,200,400,600,800,1000').split(',').map(Number);
/** A camera at about 1 Mbit/s: 30 frames/s, a key frame every 3 s, MTU-sized packets. */
const FPS = 30;
const KEY_EVERY = 90;
const KEY_BYTES = 12_000;
const DELTA_BYTES = 3_600;
/** Sink sockets the consumers' transports send to (spread to keep the receiver off the critical path). */
const SINKS = 4;
/** SFrame header (RFC 9605 §4.3: config byte, KID, CTR) and the AES-GCM tag (AES_256_GCM_SHA512_128). */
const SFRAME_HEADER = 3;
const SFRAME_TAG = 16;

type Mode = 'clear' | 'sealed';

/**
 * The frame a sender puts on the wire. Clear: a VP8 frame. Sealed: the same size plus SFrame
 * overhead, with the codec's clear prefix (10 bytes on key frames, 3 on deltas) in front of
 * the SFrame header and random "ciphertext", as Sealroom's transform emits it.
 */
function makeFrame(mode: Mode, key: boolean): Uint8Array {
  const size = key ? KEY_BYTES : DELTA_BYTES;
  const body = new Uint8Array(mode === 'clear' ? size : size + SFRAME_HEADER + SFRAME_TAG);
  for (let i = 0; i < body.length; i += 4096) crypto.getRandomValues(body.subarray(i, Math.min(body.length, i + 4096)));
  if (mode === 'sealed') body.set([0x19, 0x01, 0x00], 0); // SFrame config byte, KID 1, CTR 0 (shape only)
  return fakeVp8Frame(key, body);
}

interface StepResult {
  mode: Mode;
  producers: number;
  consumers: number;
  inPps: number;
  outPps: number;
  cpu: number;
  /** At the receiving sockets: includes drops in this process and the kernel, not only the SFU's. */
  loss: number;
  /** Packets the worker did not send (consumer stats): the SFU's own loss. */
  sfuLoss: number;
}

async function main(): Promise<void> {
  if (!process.env.MEDIASOUP_WORKER_BIN) {
    const ensure = (await import(pathToFileURL(path.join(root, 'scripts', 'mediasoup-worker', 'ensure.mjs')).href)) as {
      ensureMediasoupWorker(o: { root: string; log: (l: string) => void }): Promise<string>;
    };
    process.env.MEDIASOUP_WORKER_BIN = await ensure.ensureMediasoupWorker({ root, log: (l) => console.error(l) });
  }
  const mediasoup = await import('mediasoup');
  const worker = await mediasoup.createWorker({ logLevel: 'error' });

  const sinks: dgram.Socket[] = [];
  const received = new Map<number, number>();
  for (let i = 0; i < SINKS; i++) {
    const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 16 * 1024 * 1024 });
    s.on('message', (buf) => {
      const pt = (buf[1] ?? 0) & 0x7f;
      if (buf.length < 12 || (pt >= 72 && pt <= 76)) return; // RTCP shares the port (RFC 5761 §4)
      const ssrc = buf.readUInt32BE(8);
      received.set(ssrc, (received.get(ssrc) ?? 0) + 1);
    });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    sinks.push(s);
  }
  const sender = dgram.createSocket({ type: 'udp4', sendBufferSize: 16 * 1024 * 1024 });
  await new Promise<void>((r) => sender.bind(0, '127.0.0.1', r));

  console.error(`bench/sfu: 1 worker (pid ${worker.pid}), ${PRODUCERS} producers, ${os.availableParallelism()} cores, ${SECONDS}s per step`);
  const results: StepResult[] = [];
  const maxOk: Record<Mode, number> = { clear: 0, sealed: 0 };
  const maxRx: Record<Mode, number> = { clear: 0, sealed: 0 };
  for (const total of STEPS) {
    for (const mode of ['clear', 'sealed'] as const) {
      const r = await step(mediasoup, worker, sender, sinks, received, mode, total);
      results.push(r);
      console.error(`  ${mode.padEnd(6)} ${String(r.consumers).padStart(5)} consumers: out ${Math.round(r.outPps)} pkt/s, cpu ${(r.cpu * 100).toFixed(0)}%, SFU loss ${(r.sfuLoss * 100).toFixed(2)}%, received loss ${(r.loss * 100).toFixed(2)}%`);
      if (r.sfuLoss < 0.01) maxOk[mode] = Math.max(maxOk[mode], r.consumers);
      if (r.loss < 0.01) maxRx[mode] = Math.max(maxRx[mode], r.consumers);
    }
    const last = results.slice(-2);
    if (last.every((r) => r.sfuLoss >= 0.05)) break; // far past the knee: stop
  }

  console.log(`\n| mode | producers | consumers | packets in/s | received/s (1 worker) | worker CPU | SFU loss | received loss |`);
  console.log(`| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
  for (const r of results) {
    console.log(
      `| ${r.mode} | ${r.producers} | ${r.consumers} | ${Math.round(r.inPps)} | ${Math.round(r.outPps)} | ${(r.cpu * 100).toFixed(0)} % | ${(r.sfuLoss * 100).toFixed(2)} % | ${(r.loss * 100).toFixed(2)} % |`,
    );
  }
  console.log('');
  const pairs = STEPS.map((s) => [results.find((r) => r.consumers === s && r.mode === 'clear'), results.find((r) => r.consumers === s && r.mode === 'sealed')] as const).filter(
    ([a, b]) => a && b && a.sfuLoss < 0.01 && b.sfuLoss < 0.01,
  );
  if (pairs.length) {
    const ratio = pairs.reduce((acc, [a, b]) => acc + b!.cpu / Math.max(1e-9, a!.cpu), 0) / pairs.length;
    console.log(`sealed/clear worker CPU ratio (steps under 1 % loss): ${ratio.toFixed(2)}`);
  }
  console.log(`most consumers on one worker at < 1 % SFU loss: clear ${maxOk.clear}, sealed ${maxOk.sealed}; at < 1 % received loss: clear ${maxRx.clear}, sealed ${maxRx.sealed} (steps tried: ${STEPS.join(', ')})`);

  worker.close();
  sender.close();
  for (const s of sinks) s.close();
}

async function step(
  mediasoup: typeof import('mediasoup'),
  worker: ms.Worker,
  sender: dgram.Socket,
  sinks: dgram.Socket[],
  received: Map<number, number>,
  mode: Mode,
  totalConsumers: number,
): Promise<StepResult> {
  const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
  try {
    const caps = router.rtpCapabilities;
    const producers: { port: number; ssrc: number; producer: ms.Producer }[] = [];
    for (let i = 0; i < PRODUCERS; i++) {
      const t = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
      const ssrc = 100_000 + i;
      const producer = await t.produce({
        kind: 'video',
        rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }], encodings: [{ ssrc }] },
      });
      producers.push({ port: t.tuple.localPort, ssrc, producer });
    }
    // Consumers spread evenly over producers, each on its own transport (a viewer's downlink).
    const consumerSsrc: number[][] = producers.map(() => []);
    const consumers: { c: ms.Consumer; pi: number }[] = [];
    for (let i = 0; i < totalConsumers; i++) {
      const pi = i % PRODUCERS;
      const t = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
      const sink = sinks[i % sinks.length]!;
      await t.connect({ ip: '127.0.0.1', port: (sink.address() as { port: number }).port });
      const c = await t.consume({ producerId: producers[pi]!.producer.id, rtpCapabilities: caps, paused: false });
      consumerSsrc[pi]!.push(c.rtpParameters.encodings![0]!.ssrc!);
      consumers.push({ c, pi });
    }
    received.clear();

    // Pre-built frames: the generator must not be the bottleneck.
    const key = makeFrame(mode, true);
    const deltas = Array.from({ length: 8 }, () => makeFrame(mode, false));
    const state = producers.map(() => ({ seq: 0, ts: Math.floor(Math.random() * 2 ** 31), pic: 0, frame: 0 }));
    const sentPer = producers.map(() => 0);
    const sendFrame = (pi: number) => {
      const s = state[pi]!;
      const frame = s.frame % KEY_EVERY === 0 ? key : deltas[s.frame % deltas.length]!;
      const pkts = packetizeVp8(frame, s.pic, 1100);
      for (let k = 0; k < pkts.length; k++) {
        sender.send(buildRtp({ payloadType: 96, marker: k === pkts.length - 1, seq: s.seq, timestamp: s.ts, ssrc: producers[pi]!.ssrc, payload: pkts[k]! }), producers[pi]!.port, '127.0.0.1');
        s.seq = (s.seq + 1) & 0xffff;
        sentPer[pi]!++;
      }
      s.ts = (s.ts + 90000 / FPS) >>> 0;
      s.pic = (s.pic + 1) & 0x7fff;
      s.frame++;
    };

    // Warm-up: the first key frame opens every consumer (they forward from a key frame on).
    for (let pi = 0; pi < producers.length; pi++) sendFrame(pi);
    await sleep(300);
    received.clear();
    sentPer.fill(0);
    for (const s of state) s.frame = 1; // continue with deltas; key frames come every KEY_EVERY

    const sentByWorker = async () => {
      const counts = await Promise.all(consumers.map(({ c }) => c.getStats().then((st) => st.find((x) => x.type === 'outbound-rtp')?.packetCount ?? 0)));
      return counts.reduce((a, b) => a + b, 0);
    };
    const workerSent0 = await sentByWorker();
    const ru0 = await worker.getResourceUsage();
    const t0 = Date.now();
    let frames = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.floor(((Date.now() - t0) / 1000) * FPS);
        while (frames < due) {
          for (let pi = 0; pi < producers.length; pi++) sendFrame(pi);
          frames++;
        }
        if (Date.now() - t0 >= SECONDS * 1000) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const elapsed = (Date.now() - t0) / 1000;
    const ru1 = await worker.getResourceUsage();
    await sleep(300); // drain in-flight packets before counting
    const workerSent = (await sentByWorker()) - workerSent0;
    let expected = 0;
    let got = 0;
    for (let pi = 0; pi < producers.length; pi++) {
      for (const ssrc of consumerSsrc[pi]!) {
        expected += sentPer[pi]!;
        got += Math.min(sentPer[pi]!, received.get(ssrc) ?? 0);
      }
    }
    const cpuMs = ru1.ru_utime + ru1.ru_stime - (ru0.ru_utime + ru0.ru_stime);
    return {
      mode,
      producers: PRODUCERS,
      consumers: totalConsumers,
      inPps: sentPer.reduce((a, b) => a + b, 0) / elapsed,
      outPps: got / elapsed,
      cpu: cpuMs / (elapsed * 1000),
      loss: expected ? 1 - got / expected : 0,
      sfuLoss: expected ? Math.max(0, 1 - workerSent / expected) : 0,
    };
  } finally {
    router.close();
  }
}

const sleep = (ms_: number) => new Promise((r) => setTimeout(r, ms_));

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
