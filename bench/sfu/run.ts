/**
 * SFU forwarding benchmark: an RTP generator on loopback, N producers × M consumers
 * through PlainTransports on ONE mediasoup worker, with Sealroom's router codecs. For each
 * step it measures packets in and forwarded per second, the worker's CPU, and loss at the
 * receivers; clear payloads and SFrame-shaped sealed payloads run in the same process, one
 * after the other, so their ratio shows whether E2EE costs the SFU anything (it should not:
 * the worker never looks past the codec's clear prefix).
 *
 * On a small shared machine the harness must not take the worker's CPU: it runs at a lower
 * priority, reads only a sample of the consumers' packets (the rest go to a socket nobody
 * reads), and reports its own CPU next to the worker's. Forwarded packets per worker-CPU-second
 * is the figure that survives a busy machine; consumers at < 1 % loss is the one that doesn't.
 *
 *   tsx bench/sfu/run.ts [--seconds 3] [--producers 2] [--steps 50,100,200,400,600,800]
 *
 * Prints a markdown table; docs/bench/sfu.md records a run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { types as ms } from 'mediasoup';
import { INGEST_RECV_BUFFER_BYTES, MEDIA_CODECS } from '../../media-origin/src/media.ts';
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
/** Sink sockets that read and count what sampled consumers receive. */
const SINKS = 2;
/**
 * One consumer in SAMPLE_EVERY sends to a counting sink; the others send to a sink that never
 * reads (a child process whose event loop is blocked): the kernel takes each datagram and
 * drops it at the full queue, which costs the worker exactly what a real send costs and the
 * harness nothing. Reading all 60k packets/s in Node took most of a core on a 2-core machine,
 * and that core was the one the worker needed.
 */
const SAMPLE_EVERY = 8;
/** SFrame header (RFC 9605 §4.3: config byte, KID, CTR) and the AES-GCM tag (AES_256_GCM_SHA512_128). */
const SFRAME_HEADER = 3;
const SFRAME_TAG = 16;
/** Later than this and a viewer's jitter buffer has given up on the packet: it counts as not keeping up. */
const MAX_BACKLOG_MS = 100;
const keptUp = (r: StepResult) => r.sfuLoss < 0.01 && r.backlogMs < MAX_BACKLOG_MS;

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
  /** CPU of this harness (generator + sampled sinks) over the step, 1.0 = one core. */
  harnessCpu: number;
  /** Packets the worker forwarded per second of its own CPU time. */
  pktPerCpuS: number;
  /** How late the worker's output was when the generator stopped (sampled consumers). */
  backlogMs: number;
}

/**
 * A UDP port that accepts datagrams and never reads them: a child Node process binds it and
 * then blocks its event loop for good. Returns the port and the child (to kill by pid).
 */
async function blackhole(): Promise<{ port: number; child: ChildProcess }> {
  // Wakes once a second only to exit when the benchmark is gone (its parent pid changes).
  const code = `const s=require('node:dgram').createSocket({type:'udp4',recvBufferSize:65536});const ppid=process.ppid;s.bind(0,'127.0.0.1',()=>process.stdout.write(s.address().port+'\\n',()=>{const w=new Int32Array(new SharedArrayBuffer(4));for(;;){Atomics.wait(w,0,0,1000);if(process.ppid!==ppid)process.exit(0);}}));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (c) => reject(new Error(`blackhole exited (${c})`)));
  });
  return { port, child };
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
  // The harness yields to the worker: on a small machine the generator must not take the
  // worker's core (the worker keeps its normal priority).
  try {
    os.setPriority(0, 10);
  } catch {
    // not permitted: run at normal priority
  }
  const hole = await blackhole();

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

  console.error(
    `bench/sfu: 1 worker (pid ${worker.pid}), ${PRODUCERS} producers, ${os.availableParallelism()} cores, ${SECONDS}s per step, load average ${os.loadavg()[0]!.toFixed(2)}`,
  );
  const results: StepResult[] = [];
  const maxOk: Record<Mode, number> = { clear: 0, sealed: 0 };
  const maxRx: Record<Mode, number> = { clear: 0, sealed: 0 };
  for (const total of STEPS) {
    for (const mode of ['clear', 'sealed'] as const) {
      const r = await step(mediasoup, worker, sender, sinks, hole.port, received, mode, total);
      results.push(r);
      console.error(
        `  ${mode.padEnd(6)} ${String(r.consumers).padStart(5)} consumers: out ${Math.round(r.outPps)} pkt/s, worker cpu ${(r.cpu * 100).toFixed(0)}%, harness cpu ${(r.harnessCpu * 100).toFixed(0)}%, backlog ${Math.round(r.backlogMs)} ms, SFU loss ${(r.sfuLoss * 100).toFixed(2)}%, received loss ${(r.loss * 100).toFixed(2)}%, load ${os.loadavg()[0]!.toFixed(1)}`,
      );
      if (keptUp(r)) maxOk[mode] = Math.max(maxOk[mode], r.consumers);
      if (r.loss < 0.01) maxRx[mode] = Math.max(maxRx[mode], r.consumers);
    }
    const last = results.slice(-2);
    if (last.every((r) => r.sfuLoss >= 0.05 || r.backlogMs >= 5 * MAX_BACKLOG_MS)) break; // far past the knee: stop
  }

  console.log(
    `\n| mode | producers | consumers | packets in/s | forwarded/s (1 worker) | worker CPU | harness CPU | forwarded per worker-CPU-s | backlog at end | SFU loss | received loss (sampled) |`,
  );
  console.log(`| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
  for (const r of results) {
    console.log(
      `| ${r.mode} | ${r.producers} | ${r.consumers} | ${Math.round(r.inPps)} | ${Math.round(r.outPps)} | ${(r.cpu * 100).toFixed(0)} % | ${(r.harnessCpu * 100).toFixed(0)} % | ${Math.round(r.pktPerCpuS)} | ${Math.round(r.backlogMs)} ms | ${(r.sfuLoss * 100).toFixed(2)} % | ${(r.loss * 100).toFixed(2)} % |`,
    );
  }
  console.log('');
  const pairs = STEPS.map(
    (s) => [results.find((r) => r.consumers === s && r.mode === 'clear'), results.find((r) => r.consumers === s && r.mode === 'sealed')] as const,
  ).filter(([a, b]) => a && b && keptUp(a) && keptUp(b));
  if (pairs.length) {
    const ratio = pairs.reduce((acc, [a, b]) => acc + b!.cpu / Math.max(1e-9, a!.cpu), 0) / pairs.length;
    console.log(`sealed/clear worker CPU ratio (real-time steps): ${ratio.toFixed(2)}`);
  }
  console.log(
    `most consumers on one worker in real time (< 1 % SFU loss, < ${MAX_BACKLOG_MS} ms behind): clear ${maxOk.clear}, sealed ${maxOk.sealed}; delivered at all (< 1 % received loss): clear ${maxRx.clear}, sealed ${maxRx.sealed} (steps tried: ${STEPS.join(', ')})`,
  );
  // What one worker would carry with a whole core to itself: forwarded packets per CPU-second
  // over the real-time steps, divided by what one consumer needs per second.
  const clean = results.filter((r) => keptUp(r) && r.cpu > 0.05);
  if (clean.length) {
    const perCpuS = clean.reduce((a, r) => a + r.pktPerCpuS, 0) / clean.length;
    const perConsumer = clean[0]!.inPps / clean[0]!.producers;
    console.log(
      `forwarded packets per worker-CPU-second (mean of real-time steps): ${Math.round(perCpuS)} ⇒ ≈ ${Math.round(perCpuS / perConsumer)} such consumers per fully used worker core`,
    );
  }

  worker.close();
  sender.close();
  for (const s of sinks) s.close();
  hole.child.kill();
}

async function step(
  mediasoup: typeof import('mediasoup'),
  worker: ms.Worker,
  sender: dgram.Socket,
  sinks: dgram.Socket[],
  holePort: number,
  received: Map<number, number>,
  mode: Mode,
  totalConsumers: number,
): Promise<StepResult> {
  const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
  try {
    const caps = router.rtpCapabilities;
    const producers: { port: number; ssrc: number; producer: ms.Producer }[] = [];
    for (let i = 0; i < PRODUCERS; i++) {
      // The origin's own socket setting for incoming media (media-origin/src/media.ts).
      const t = await router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: '127.0.0.1', recvBufferSize: INGEST_RECV_BUFFER_BYTES },
        rtcpMux: true,
        comedia: true,
      });
      const ssrc = 100_000 + i;
      const producer = await t.produce({
        kind: 'video',
        rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }], encodings: [{ ssrc }] },
      });
      producers.push({ port: t.tuple.localPort, ssrc, producer });
    }
    // Consumers spread evenly over producers, each on its own transport (a viewer's downlink).
    /** SSRCs of the sampled consumers (those sending to a counting sink), per producer. */
    const consumerSsrc: number[][] = producers.map(() => []);
    const consumers: { c: ms.Consumer; pi: number }[] = [];
    for (let i = 0; i < totalConsumers; i++) {
      const pi = i % PRODUCERS;
      const t = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
      const sampled = Math.floor(i / PRODUCERS) % SAMPLE_EVERY === 0;
      const port = sampled ? (sinks[i % sinks.length]!.address() as { port: number }).port : holePort;
      await t.connect({ ip: '127.0.0.1', port });
      const c = await t.consume({ producerId: producers[pi]!.producer.id, rtpCapabilities: caps, paused: false });
      if (sampled) consumerSsrc[pi]!.push(c.rtpParameters.encodings![0]!.ssrc!);
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
        sender.send(
          buildRtp({ payloadType: 96, marker: k === pkts.length - 1, seq: s.seq, timestamp: s.ts, ssrc: producers[pi]!.ssrc, payload: pkts[k]! }),
          producers[pi]!.port,
          '127.0.0.1',
        );
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
    const harness0 = process.cpuUsage();
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
    const harness = process.cpuUsage(harness0);
    const ru1 = await worker.getResourceUsage();
    const sampledGot = () => {
      let expected = 0;
      let got = 0;
      for (let pi = 0; pi < producers.length; pi++) {
        for (const ssrc of consumerSsrc[pi]!) {
          expected += sentPer[pi]!;
          got += Math.min(sentPer[pi]!, received.get(ssrc) ?? 0);
        }
      }
      return { expected, got };
    };
    // How far behind the worker was when the generator stopped: packets still queued in its
    // sockets, as time. A worker that keeps up is a few ms behind; one starved of CPU queues
    // (the ingest buffer holds ~1 s) and delivers late rather than losing: that is loss to a
    // real-time viewer all the same.
    const atEnd = sampledGot();
    const sampledConsumers = consumerSsrc.reduce((a, l) => a + l.length, 0);
    const perConsumerPps = sentPer.reduce((a, b) => a + b, 0) / producers.length / elapsed;
    const backlogMs = sampledConsumers ? ((atEnd.expected - atEnd.got) / sampledConsumers / perConsumerPps) * 1000 : 0;
    // Then let the backlog drain before counting what was lost for good.
    for (let last = -1, n = sampledGot().got; n !== last; last = n, n = sampledGot().got) await sleep(300);
    const workerSent = (await sentByWorker()) - workerSent0;
    // CPU up to here, so that packets sent from the backlog are set against the CPU they took.
    const ruDrained = await worker.getResourceUsage();
    const { expected, got } = sampledGot();
    const cpuMs = ru1.ru_utime + ru1.ru_stime - (ru0.ru_utime + ru0.ru_stime);
    const shouldSend = consumers.reduce((a, { pi }) => a + sentPer[pi]!, 0);
    return {
      mode,
      producers: PRODUCERS,
      consumers: totalConsumers,
      inPps: sentPer.reduce((a, b) => a + b, 0) / elapsed,
      outPps: workerSent / elapsed,
      cpu: cpuMs / (elapsed * 1000),
      loss: expected ? 1 - got / expected : 0,
      sfuLoss: shouldSend ? Math.max(0, 1 - workerSent / shouldSend) : 0,
      harnessCpu: (harness.user + harness.system) / 1000 / (elapsed * 1000),
      backlogMs,
      pktPerCpuS: workerSent / Math.max(1e-3, (ruDrained.ru_utime + ruDrained.ru_stime - (ru0.ru_utime + ru0.ru_stime)) / 1000),
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
