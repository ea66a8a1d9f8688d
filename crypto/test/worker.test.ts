// The browser's E2EE frame worker (web/src/e2ee/frame-worker.ts), driven with in-memory
// streams exactly as RTCRtpScriptTransform / createEncodedStreams would drive it.
import { describe, expect, it } from 'vitest';
import { FrameWorker, parseTransformOptions, type EncodedFrameLike } from '../../web/src/e2ee/frame-worker.ts';
import { hex } from '../src/bytes.ts';

const key = new Uint8Array(32).fill(9);

/** Runs frames through a worker's transform and collects what comes out. */
async function run(worker: FrameWorker, role: 'send' | 'recv', codec: 'vp8' | 'opus' | 'vp9', frames: Uint8Array[]): Promise<Uint8Array[]> {
  const readable = new ReadableStream<EncodedFrameLike>({
    start(c) {
      for (const f of frames) c.enqueue({ data: f.slice().buffer });
      c.close();
    },
  });
  const out: Uint8Array[] = [];
  const writable = new WritableStream<EncodedFrameLike>({ write: (f) => void out.push(new Uint8Array(f.data)) });
  await worker.attach({ role, codec }, readable, writable);
  return out;
}

const vp8Frames = (n: number) =>
  Array.from({ length: n }, (_, i) => new Uint8Array(i % 10 === 0 ? 4000 : 800).map((_, j) => (j === 0 ? (i % 10 === 0 ? 0x10 : 0x31) : (i + j) & 0xff)));

describe('frame worker', () => {
  it('seals every frame sent and opens every frame received; the first bytes stay clear', async () => {
    const alice = new FrameWorker();
    const bob = new FrameWorker();
    alice.handleMessage({ kind: 'init', senderIndex: 1 });
    alice.handleMessage({ kind: 'setSendKey', epoch: 0, key });
    bob.handleMessage({ kind: 'setRecvKey', senderIndex: 1, epoch: 0, key });
    const frames = vp8Frames(30);
    const wire = await run(alice, 'send', 'vp8', frames);
    expect(wire).toHaveLength(30);
    expect(alice.handleMessage({ kind: 'stats', id: 7 })).toMatchObject({ kind: 'stats', id: 7, sealed: 30, sendDropped: 0 });
    wire.forEach((w, i) => {
      const n = i % 10 === 0 ? 10 : 3;
      expect(hex(w.subarray(0, n))).toBe(hex(frames[i]!.subarray(0, n)));
      expect(hex(w)).not.toContain(hex(frames[i]!.subarray(n, n + 16)));
    });
    const back = await run(bob, 'recv', 'vp8', wire);
    expect(back.map(hex)).toEqual(frames.map(hex));
    expect(bob.stats()).toMatchObject({ opened: 30, dropped: 0 });
  });

  it('drops outgoing frames before init or before a send key: nothing leaves in clear', async () => {
    const w = new FrameWorker();
    expect(await run(w, 'send', 'opus', [new Uint8Array([0x78, 1, 2, 3])])).toHaveLength(0);
    w.handleMessage({ kind: 'init', senderIndex: 3 });
    expect(await run(w, 'send', 'opus', [new Uint8Array([0x78, 1, 2, 3])])).toHaveLength(0);
    expect(w.stats()).toMatchObject({ sealed: 0, sendDropped: 2 });
  });

  it('a send key that arrives before init is applied at init', async () => {
    const w = new FrameWorker();
    w.handleMessage({ kind: 'setSendKey', epoch: 2, key });
    w.handleMessage({ kind: 'init', senderIndex: 4 });
    expect(await run(w, 'send', 'vp9', [new Uint8Array(100)])).toHaveLength(1);
  });

  it('a receiver without keys passes nothing on, and counts the drops', async () => {
    const alice = new FrameWorker();
    alice.handleMessage({ kind: 'init', senderIndex: 1 });
    alice.handleMessage({ kind: 'setSendKey', epoch: 0, key });
    const wire = await run(alice, 'send', 'vp8', vp8Frames(12));
    const eve = new FrameWorker();
    expect(await run(eve, 'recv', 'vp8', wire)).toHaveLength(0);
    expect(eve.stats()).toMatchObject({ opened: 0, dropped: 12, noKey: 12 });
    const mallory = new FrameWorker();
    mallory.handleMessage({ kind: 'setRecvKey', senderIndex: 1, epoch: 0, key: new Uint8Array(32) });
    expect(await run(mallory, 'recv', 'vp8', wire)).toHaveLength(0);
    expect(mallory.stats()).toMatchObject({ opened: 0, dropped: 12, invalid: 12 });
  });

  it('a rotated key still opens late frames of the previous epoch', async () => {
    const alice = new FrameWorker();
    const bob = new FrameWorker();
    const key1 = new Uint8Array(32).fill(10);
    alice.handleMessage({ kind: 'init', senderIndex: 1 });
    alice.handleMessage({ kind: 'setSendKey', epoch: 0, key });
    const old = await run(alice, 'send', 'opus', [new Uint8Array([0x78, 1]), new Uint8Array([0x78, 2])]);
    alice.handleMessage({ kind: 'setSendKey', epoch: 1, key: key1 });
    const fresh = await run(alice, 'send', 'opus', [new Uint8Array([0x78, 3])]);
    bob.handleMessage({ kind: 'setRecvKey', senderIndex: 1, epoch: 0, key });
    bob.handleMessage({ kind: 'setRecvKey', senderIndex: 1, epoch: 1, key: key1 });
    const out = await run(bob, 'recv', 'opus', [old[0]!, fresh[0]!, old[1]!]);
    expect(out.map((f) => f[1])).toEqual([1, 3, 2]);
    bob.handleMessage({ kind: 'removeSender', senderIndex: 1 });
    expect(await run(bob, 'recv', 'opus', fresh)).toHaveLength(0);
  });

  it('a video receiver that lacked the key asks for a key frame once the key arrives, and only then', async () => {
    const alice = new FrameWorker();
    alice.handleMessage({ kind: 'init', senderIndex: 1 });
    alice.handleMessage({ kind: 'setSendKey', epoch: 0, key });
    const video = await run(alice, 'send', 'vp8', vp8Frames(6));
    const audio = await run(alice, 'send', 'opus', [new Uint8Array([0x78, 1]), new Uint8Array([0x78, 2])]);
    const bob = new FrameWorker();
    /** A receiver whose frames the test feeds one by one, as the network delivers them. */
    const receiver = (codec: 'vp8' | 'opus') => {
      let feed!: ReadableStreamDefaultController<EncodedFrameLike>;
      const readable = new ReadableStream<EncodedFrameLike>({ start: (c) => void (feed = c) });
      const out: Uint8Array[] = [];
      let asked = 0;
      const piped = bob.attach({ role: 'recv', codec }, readable, new WritableStream({ write: (f) => void out.push(new Uint8Array(f.data)) }), async () => {
        asked++;
      });
      const push = async (f: Uint8Array) => {
        const before = bob.stats().opened + bob.stats().dropped;
        feed.enqueue({ data: f.slice().buffer });
        await expect.poll(() => bob.stats().opened + bob.stats().dropped).toBe(before + 1);
      };
      return { push, out, asked: () => asked, end: () => (feed.close(), piped) };
    };
    const cam = receiver('vp8');
    const mic = receiver('opus');
    await cam.push(video[0]!);
    await cam.push(video[1]!);
    await mic.push(audio[0]!);
    expect(bob.stats()).toMatchObject({ noKey: 3, keyFrameRequests: 0 });
    bob.handleMessage({ kind: 'setRecvKey', senderIndex: 1, epoch: 0, key });
    // One request for the camera, however many frames it missed; none for the microphone.
    expect([cam.asked(), mic.asked()]).toEqual([1, 0]);
    await cam.push(video[2]!);
    await mic.push(audio[1]!);
    expect(cam.out).toHaveLength(1);
    expect(mic.out).toHaveLength(1);
    // A later key (a rotation) finds nobody starved: no request.
    bob.handleMessage({ kind: 'setRecvKey', senderIndex: 1, epoch: 1, key: new Uint8Array(32).fill(3) });
    expect(cam.asked()).toBe(1);
    expect(bob.stats().keyFrameRequests).toBe(1);
    await Promise.all([cam.end(), mic.end()]);
  });

  it('the createEncodedStreams fallback message pipes frames the same way', async () => {
    const w = new FrameWorker();
    w.handleMessage({ kind: 'init', senderIndex: 1 });
    w.handleMessage({ kind: 'setSendKey', epoch: 0, key });
    const out: Uint8Array[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const readable = new ReadableStream<EncodedFrameLike>({
      start(c) {
        c.enqueue({ data: new Uint8Array(64).buffer });
        c.close();
      },
    });
    const writable = new WritableStream<EncodedFrameLike>({ write: (f) => void out.push(new Uint8Array(f.data)), close: () => done() });
    w.handleMessage({ kind: 'streams', role: 'send', codec: 'vp9', readable, writable });
    await finished;
    expect(out).toHaveLength(1);
    expect(w.stats().sealed).toBe(1);
  });

  it('transform options from another thread are checked', () => {
    expect(parseTransformOptions({ role: 'send', codec: 'vp8' })).toEqual({ role: 'send', codec: 'vp8' });
    expect(parseTransformOptions({ role: 'x', codec: 'vp8' })).toBeNull();
    expect(parseTransformOptions({ role: 'recv', codec: 'h265' })).toBeNull();
    expect(parseTransformOptions(null)).toBeNull();
  });
});
