/**
 * Crypto benchmark: SFrame over noble vs SFrame over WebCrypto vs bare WebCrypto AES-256-GCM
 * (the ceiling), at frame sizes from an audio frame to a 1080p key frame; then the media path
 * as the worker runs it, file/recording chunk sealing (noble vs WebCrypto), and key-schedule
 * costs. Prints Markdown tables.
 *
 *   PATH=$PWD/node_modules/.bin:$PATH tsx bench/crypto/run.ts
 *
 * Method: each cell runs its operation back to back (awaiting each async call, as the frame
 * worker does: one frame at a time per stream) for a fixed time after a warm-up, and reports
 * the mean. SFrame cells include everything the transform does per frame: header, nonce, AAD
 * (header ‖ clear prefix), AEAD, output assembly. Keys are derived once per KID, as in the
 * transform. Bare WebCrypto is one `subtle.encrypt` with a 12-byte nonce and the same AAD size.
 */
import { FrameSealer, WEBCRYPTO_MIN_BYTES } from '../../crypto/src/frame-transform.ts';
import { KeyGroup } from '../../crypto/src/key-group.ts';
import { ChunkOpener, ChunkSealer, type SealKey } from '../../crypto/src/seal.ts';
import { derivePairwiseKeys, generateKeyPair, randomBaseKey, sealBaseKey } from '../../crypto/src/key-schedule.ts';
import { deriveSFrameKey, sealWithKey, sealWithKeyAsync } from '../../crypto/src/sframe.ts';

const CELL_MS = Number(process.env.BENCH_CELL_MS ?? 1500);
/** Calls per timed sample: 1 in Node; the browser run sets more (see frames()). */
const BATCH = Number(process.env.BENCH_BATCH ?? 1);
const SIZES = [
  { label: '100 B (audio)', n: 100 },
  { label: '1.2 KB', n: 1200 },
  { label: '10 KB', n: 10_000 },
  { label: '100 KB (1080p key frame)', n: 100_000 },
];

async function measure(fn: () => unknown | Promise<unknown>, ms = CELL_MS): Promise<number> {
  const warm = performance.now();
  while (performance.now() - warm < ms / 4) await fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 8; i++) await fn();
    n += 8;
    t = performance.now();
  }
  return (t - t0) / n; // ms per op
}

function shuffled(n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * The variants take turns call by call (in a fresh random order each turn), each call is timed,
 * and the median per variant is returned (ms per call): the machine is shared (2 cores), and
 * the median of interleaved calls is what survives other processes' bursts and GC pauses.
 * Browsers coarsen performance.now() (to 100 µs in a page without cross-origin isolation), so
 * there each sample is a batch of calls divided by its size; Node times single calls.
 */
async function interleavedMedians(ops: (() => unknown)[], minTurns = 20): Promise<number[]> {
  const times: number[][] = ops.map(() => []);
  const t0 = performance.now();
  for (let it = 0; performance.now() - t0 < CELL_MS * ops.length || it < minTurns; it++)
    for (const i of shuffled(ops.length)) {
      const s0 = performance.now();
      for (let b = 0; b < BATCH; b++) await ops[i]!();
      times[i]!.push((performance.now() - s0) / BATCH);
    }
  return times.map(median);
}

function row(cells: (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function frames(): Promise<void> {
  const baseKey = randomBaseKey();
  const k = deriveSFrameKey(5, baseKey, 0x10001n);
  const raw = await crypto.subtle.importKey('raw', k.key as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt']);
  const prefix = new Uint8Array(3);
  const iv = new Uint8Array(12);
  const aad = new Uint8Array(3 + 4);
  console.log('\n### Frame sealing, AES_256_GCM_SHA512_128 (one frame at a time)\n');
  console.log(row(['frame size', 'SFrame noble', 'SFrame WebCrypto', 'bare WebCrypto AES-256-GCM', 'media path (sealAsync)', 'media path / bare']));
  console.log(row(['---', '---:', '---:', '---:', '---:', '---:']));
  for (const { label, n } of SIZES) {
    const frame = new Uint8Array(n).map((_, i) => i & 0xff);
    frame[0] = 0x31; // VP8 delta frame: 3 clear bytes
    const body = frame.subarray(3);
    let ctr = 0n;
    const sealer = new FrameSealer(1);
    sealer.setKey(0, baseKey);
    const ops = [
      () => sealWithKey(k, ctr++, prefix, body, prefix),
      () => sealWithKeyAsync(k, ctr++, prefix, body, prefix),
      () => crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, raw, frame),
      () => sealer.sealAsync('vp8', frame),
    ];
    const [noble, wc, bare, media] = (await interleavedMedians(ops)) as [number, number, number, number];
    const cell = (ms: number) => `${fmt(1000 / ms)} f/s · ${fmt(n / 1e3 / ms, 1)} MB/s · ${fmt(ms * 1000, 1)} µs`;
    console.log(row([label, cell(noble), cell(wc), cell(bare), cell(media), `${fmt(bare / media, 2)}×`]));
  }
  console.log(
    `\nmedia path = FrameSealer.sealAsync: ${WEBCRYPTO_MIN_BYTES ? `noble below ${WEBCRYPTO_MIN_BYTES} B of payload, WebCrypto from there on` : 'WebCrypto at every size (the choice in browsers)'}.`,
  );
}

/**
 * File and recording chunks (crypto/seal.ts): `seal`/`open` (noble) against `sealAsync`/
 * `openAsync` (WebCrypto, same bytes), one chunk at a time as files.svelte.ts sends and receives.
 * Opening cycles through a few pre-sealed chunks with a fresh opener per round (one HKDF each).
 */
async function chunks(): Promise<void> {
  const key: SealKey = { meetingId: '123456789', senderId: 'alice-0001', epoch: 0, baseKey: randomBaseKey() };
  console.log('\n### File and recording chunks, AES-256-GCM (one chunk at a time)\n');
  console.log(row(['chunk', 'seal (noble)', 'sealAsync (WebCrypto)', 'open (noble)', 'openAsync (WebCrypto)', 'WebCrypto / noble, seal · open']));
  console.log(row(['---', '---:', '---:', '---:', '---:', '---:']));
  for (const { label, n, stream } of [
    { label: '64 KiB', n: 64 * 1024, stream: 8 },
    { label: '1 MiB', n: 1024 * 1024, stream: 4 },
  ]) {
    const chunk = new Uint8Array(n).map((_, i) => i & 0xff);
    const noble = new ChunkSealer('file', key);
    const webcrypto = new ChunkSealer('file', key);
    const source = new ChunkSealer('file', key);
    const sealed = Array.from({ length: stream }, (_, i) => source.seal(chunk, i === stream - 1));
    const reader = (open: (o: ChunkOpener, c: Uint8Array) => unknown) => {
      let o = new ChunkOpener('file', key, source.header);
      let i = 0;
      return () => {
        if (i === stream) [o, i] = [new ChunkOpener('file', key, source.header), 0];
        return open(o, sealed[i++]!);
      };
    };
    const ops = [() => noble.seal(chunk, false), () => webcrypto.sealAsync(chunk, false), reader((o, c) => o.open(c)), reader((o, c) => o.openAsync(c))];
    const [ns, ws, no, wo] = (await interleavedMedians(ops, 8)) as [number, number, number, number];
    const cell = (ms: number) => `${fmt(n / 1e3 / ms, 1)} MB/s · ${fmt(ms, 2)} ms`;
    console.log(row([label, cell(ns), cell(ws), cell(no), cell(wo), `${fmt(ns / ws, 1)}× · ${fmt(no / wo, 1)}×`]));
  }
}

async function keySchedule(): Promise<void> {
  console.log('\n### Key schedule\n');
  console.log(
    row([
      'members',
      'pairwise keys (X25519 + HKDF), once per member',
      'seal one base key to all (rekey)',
      'KeyGroup.memberLeft (fresh key, sealed to all)',
      'KeyGroup.memberJoined (ratchet all + 1 blob)',
    ]),
  );
  console.log(row(['---', '---:', '---:', '---:', '---:']));
  const self = { id: 'self-00001', keyPair: generateKeyPair() };
  for (const count of [10, 100, 1000]) {
    const peers = Array.from({ length: count }, (_, i) => ({ id: `peer-${String(i).padStart(5, '0')}`, index: i + 1, publicKey: generateKeyPair().publicKey }));
    const t0 = performance.now();
    const pair = peers.map((p) => derivePairwiseKeys({ meetingId: '123456789', self, peer: p }));
    const derive = performance.now() - t0;
    const base = randomBaseKey();
    let rekey = Infinity;
    for (let r = 0; r < 3; r++)
      rekey = Math.min(
        rekey,
        await measure(() => pair.forEach((pk, i) => sealBaseKey(pk.send, { meetingId: '123456789', from: self.id, to: peers[i]!.id, epoch: 1 }, base)), 150),
      );
    const g = new KeyGroup({ meetingId: '123456789', self: { id: self.id, index: 0 }, keyPair: self.keyPair });
    g.welcome(peers);
    const leaveMs = await timeOnce(() => g.memberLeft(peers.pop()!.id, 0));
    const newcomer = { id: 'newcomer-01', index: 60_000, publicKey: generateKeyPair().publicKey };
    const joinMs = await timeOnce(() => g.memberJoined(newcomer, 0));
    console.log(row([count, `${fmt(derive, 1)} ms`, `${fmt(rekey, 2)} ms`, `${fmt(leaveMs, 2)} ms`, `${fmt(joinMs, 2)} ms`]));
  }
  console.log('\nmemberJoined includes one X25519 for the newcomer; receivers here hold no peer keys yet, so it ratchets only its own.');
}

async function timeOnce(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

console.log(
  `# Sealroom crypto benchmark\n\nNode ${process.version}, ${process.platform}/${process.arch}, cell time ${CELL_MS} ms, ${new Date().toISOString()}`,
);
await frames();
await chunks();
await keySchedule();
