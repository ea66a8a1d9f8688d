/**
 * File transfer state with the real crypto (crypto/seal.ts): a small in-test relay plays the
 * Room (in-order chunks, only to who accepted, refusals that name where to resume) and can
 * tamper with what it relays.
 */
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '@sealroom/protocol';
import { fromB64url, toB64url } from '@sealroom/crypto/bytes';
import { decodePayload } from './sealed-payload.ts';
import { openChat, sealChat, type SealKey } from '@sealroom/crypto/seal';
import { FILE_CHUNK_BYTES, Files, SEND_HIGH_WATER, TRANSFER_PROBLEMS, safeFileName, type FileEvent, type FilesLink } from './files.svelte.ts';
import { TABLES } from './i18n.svelte.ts';

const MEETING = '123456789';
type Out = Parameters<FilesLink['send']>[0];
type Chunk = Extract<FileEvent, { type: 'file-chunk' }>;

function keyFor(id: string): SealKey {
  return { meetingId: MEETING, senderId: id, epoch: 3, baseKey: crypto.getRandomValues(new Uint8Array(32)) };
}

function randomFile(bytes: number, name = 'report.bin', type = 'application/octet-stream'): File {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 65_536) crypto.getRandomValues(data.subarray(i, Math.min(bytes, i + 65_536)));
  return new File([data], name, { type });
}

async function bytesOf(b: Blob): Promise<Uint8Array> {
  return new Uint8Array(await b.arrayBuffer());
}

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** What the relay delivers instead of a chunk on its way to one receiver: it, others, or nothing. */
type Tamper = (c: Chunk) => Chunk[];
/** Whether the room refuses this chunk (as its rate limit would). */
type Limit = (index: number) => { code: ErrorCode; retryAfter: number } | null;

/** The Room's file relay, in memory (edge/src/room/files.ts semantics). */
class Relay {
  readonly files = new Map<string, Files>();
  readonly keys = new Map<string, SealKey>();
  readonly received = new Map<string, FileEvent[]>();
  readonly sent = new Map<string, Out[]>();
  tamper: Tamper | null = null;
  limit: Limit | null = null;
  /** Holds refusals back until `release()`, as if they were slow to come back. */
  hold = false;
  #held: (() => void)[] = [];
  /** Bytes the fake socket reports as queued. */
  queued = 0;
  #transfers = new Map<string, { from: string; accepted: Set<string>; chunks: number; next: number }>();

  join(id: string, maxBytes?: number): Files {
    const f = new Files({ resendWindow: 2 });
    this.files.set(id, f);
    this.keys.set(id, keyFor(id));
    this.received.set(id, []);
    this.sent.set(id, []);
    f.attach(
      {
        selfId: id,
        send: (m) => this.#fromClient(id, m),
        ownKey: () => this.keys.get(id)!,
        keyOf: (from, epoch) => {
          const k = this.keys.get(from);
          if (!k || k.epoch !== epoch) throw new Error('no key');
          return k;
        },
        members: () => [...this.files.keys()].filter((x) => x !== id),
        buffered: () => this.queued,
      },
      maxBytes,
    );
    return f;
  }

  deliver(to: string, m: FileEvent): void {
    queueMicrotask(() => {
      this.received.get(to)?.push(m);
      this.files.get(to)?.receive(m);
    });
  }

  #refuse(to: string, code: ErrorCode, file: { id: string; next?: number }, retryAfter = 0): void {
    const answer = () => this.files.get(to)?.refused(code, file, retryAfter);
    if (this.hold) this.#held.push(answer);
    else queueMicrotask(answer);
  }

  release(): void {
    this.hold = false;
    for (const answer of this.#held.splice(0)) queueMicrotask(answer);
  }

  #fromClient(from: string, m: Out): void {
    this.sent.get(from)!.push(m);
    switch (m.type) {
      case 'file-offer': {
        this.#transfers.set(m.id, { from, accepted: new Set(), chunks: m.chunks, next: 0 });
        for (const to of m.to === null ? [...this.files.keys()].filter((x) => x !== from) : [m.to]) this.deliver(to, { ...m, from });
        return;
      }
      case 'file-answer': {
        const f = this.#transfers.get(m.id);
        if (!f) return this.#refuse(from, 'not_found', { id: m.id });
        if (m.accept) f.accepted.add(from);
        this.deliver(f.from, { ...m, from });
        return;
      }
      case 'file-chunk': {
        const f = this.#transfers.get(m.id);
        if (!f) return this.#refuse(from, 'not_found', { id: m.id });
        if (m.index !== f.next) return this.#refuse(from, 'bad_message', { id: m.id, next: f.next });
        const limited = this.limit?.(m.index);
        if (limited) return this.#refuse(from, limited.code, { id: m.id, next: f.next }, limited.retryAfter);
        f.next++;
        for (const to of f.accepted) for (const c of this.tamper ? this.tamper({ ...m, from }) : [{ ...m, from }]) this.deliver(to, c);
        if (m.index === f.chunks - 1) this.#transfers.delete(m.id);
        return;
      }
      case 'file-cancel': {
        const f = this.#transfers.get(m.id);
        if (!f) return;
        if (f.from === from) {
          for (const to of f.accepted) this.deliver(to, { ...m, from });
          this.#transfers.delete(m.id);
        } else {
          f.accepted.delete(from);
          this.deliver(f.from, { ...m, from });
        }
        return;
      }
    }
  }

  chunksTo(id: string): Chunk[] {
    return this.received.get(id)!.filter((m): m is Chunk => m.type === 'file-chunk');
  }
}

function trio() {
  const relay = new Relay();
  return { relay, alice: relay.join('alice-0001'), bob: relay.join('bob-00001'), carol: relay.join('carol-0001') };
}

/** Alice offers `file` to everyone; Bob accepts and Carol declines once the offer is in. */
async function offerToAll(r: ReturnType<typeof trio>, file: File) {
  const id = await r.alice.send(file);
  expect(id).not.toBeNull();
  await until('offers arrive', () => r.bob.transfers.length === 1 && r.carol.transfers.length === 1);
  r.bob.accept(id!);
  r.carol.decline(id!);
  return id!;
}

describe('Files', { timeout: 30_000 }, () => {
  it('sends a multi-chunk file sealed; the one who accepts gets it byte-identical, the one who declines gets no chunk, progress moves on both sides', async () => {
    const r = trio();
    const file = randomFile(3 * FILE_CHUNK_BYTES + 1234, 'q3 report.pdf', 'application/pdf');
    const seenAlice: number[] = [];
    // The last chunk waits until Bob has opened the others, so his progress can be read mid-way.
    const held: Chunk[] = [];
    r.relay.tamper = (c) => {
      seenAlice.push(r.alice.transfers[0]!.done);
      if (c.index < 3) return [c];
      held.push(c);
      return [];
    };
    const id = await offerToAll(r, file);
    expect(r.bob.transfers[0]).toMatchObject({
      id,
      direction: 'in',
      peer: 'alice-0001',
      name: 'q3 report.pdf',
      mime: 'application/pdf',
      size: file.size,
      status: 'receiving',
    });
    expect(r.carol.transfers[0]).toMatchObject({ status: 'declined' });
    await until('Bob opened the first three chunks', () => r.bob.transfers[0]!.done === 3 * FILE_CHUNK_BYTES);
    expect(r.bob.transfers[0]!.status).toBe('receiving');
    r.relay.deliver('bob-00001', held[0]!);
    await until('Bob has the file', () => r.bob.transfers[0]!.status === 'done');
    const got = r.bob.transfers[0]!;
    expect(await bytesOf(got.blob!)).toEqual(await bytesOf(file));
    expect(got.url).toMatch(/^blob:/);
    // Saved as opaque bytes whatever the sender claims: a blob: URL is same-origin.
    expect(got.blob!.type).toBe('application/octet-stream');
    expect(r.alice.transfers[0]).toMatchObject({ status: 'done', done: file.size, accepted: 1, declined: 1, recipients: 2 });
    expect(r.relay.chunksTo('bob-00001').map((c) => c.index)).toEqual([0, 1, 2, 3]);
    expect(r.relay.chunksTo('carol-0001')).toEqual([]);
    expect(seenAlice.some((d) => d > 0 && d < file.size)).toBe(true);
    // Nothing on the wire carries the name or the bytes in clear.
    const wire = JSON.stringify(r.relay.sent.get('alice-0001'));
    expect(wire).not.toContain('q3 report');
    expect(wire).not.toContain(toB64url((await bytesOf(file)).subarray(0, 30)));
  });

  it('the offer’s meta is a file payload: it does not pass as a chat line, and a chat line does not pass as an offer', async () => {
    const r = trio();
    await r.alice.send(randomFile(10));
    const offer = r.relay.sent.get('alice-0001')![0] as Extract<Out, { type: 'file-offer' }>;
    const opened = openChat(r.relay.keys.get('alice-0001')!, fromB64url(offer.meta));
    expect(() => decodePayload(opened, 'chat')).toThrow();
    // A chat envelope replayed as an offer's meta: unreadable, declined on the spot.
    const dave = r.relay.join('dave-00001');
    const chat = toB64url(sealChat(r.relay.keys.get('alice-0001')!, JSON.stringify({ k: 'chat', text: 'hi' })));
    dave.receive({ ...offer, id: 'replay-0001', meta: chat, from: 'alice-0001' });
    expect(dave.transfers[0]).toMatchObject({ status: 'failed', problem: 'unreadable' });
    expect(r.relay.sent.get('dave-00001')).toEqual([{ type: 'file-answer', id: 'replay-0001', from: 'alice-0001', accept: false }]);
    // A relay that changes the declared size or chunk count is caught the same way.
    dave.receive({ ...offer, id: offer.id, size: offer.size + 1, from: 'alice-0001' });
    expect(dave.transfers[0]).toMatchObject({ id: offer.id, status: 'failed', problem: 'unreadable' });
  });

  const attacks: [string, Tamper][] = [
    ['a flipped byte', (c) => [c.index === 1 ? { ...c, data: flip(c.data) } : c]],
    ['reordered chunks (data swapped under the right indexes)', swapData(1, 2)],
    ['reordered chunks (indexes as sent)', reorder(1, 2)],
    ['a dropped chunk', (c) => (c.index === 1 ? [] : [c])],
    ['a dropped chunk, later ones renumbered', renumberAfterDrop(1)],
    ['a truncated stream (the last chunk replaced by an earlier one)', lastReplacedBy(1)],
  ];
  for (const [what, tamper] of attacks) {
    it(`detects ${what}: clear error, nothing saved, the room is told to stop`, async () => {
      const r = trio();
      r.relay.tamper = tamper;
      const id = await offerToAll(r, randomFile(3 * FILE_CHUNK_BYTES + 10));
      await until('Bob refuses the file', () => r.bob.transfers[0]!.status === 'failed');
      expect(r.bob.transfers[0]).toMatchObject({ problem: 'tampered', blob: null, url: null });
      expect(r.relay.sent.get('bob-00001')!.at(-1)).toEqual({ type: 'file-cancel', id });
    });
  }

  it('resumes from the chunk the room names after a rate limit, waiting the hinted delay; nothing is lost', async () => {
    const r = trio();
    let refusedAt = 0;
    let resentAt = 0;
    r.relay.limit = (i) => {
      if (i !== 2) return null;
      if (refusedAt) {
        resentAt ||= Date.now();
        return null;
      }
      refusedAt = Date.now();
      return { code: 'rate_limited', retryAfter: 1 };
    };
    const file = randomFile(5 * FILE_CHUNK_BYTES);
    await offerToAll(r, file);
    await until('Bob has the file', () => r.bob.transfers[0]!.status === 'done');
    expect(await bytesOf(r.bob.transfers[0]!.blob!)).toEqual(await bytesOf(file));
    const sent = r.relay.sent.get('alice-0001')!.filter((m): m is Extract<Out, { type: 'file-chunk' }> => m.type === 'file-chunk');
    const resent = sent.filter((m) => m.index === 2);
    expect(resent).toHaveLength(2);
    // The resend waited for the room's hint (1 s), and was byte-identical.
    expect(resent[0]!.data).toBe(resent[1]!.data);
    expect(r.relay.chunksTo('bob-00001').map((c) => c.index)).toEqual([0, 1, 2, 3, 4]);
    expect(resentAt - refusedAt).toBeGreaterThanOrEqual(950);
  });

  it('reseals from the start when the chunk to resend is no longer kept (window of 2 here)', async () => {
    const r = trio();
    const file = randomFile(5 * FILE_CHUNK_BYTES + 7);
    // The room refuses chunk 1, and its refusals come back only after everything was sent.
    let once = false;
    r.relay.limit = (i) => (i === 1 && !once ? ((once = true), { code: 'rate_limited', retryAfter: 0 }) : null);
    r.relay.hold = true;
    await offerToAll(r, file);
    await until('Alice sent it all once', () => r.alice.transfers[0]!.status === 'done');
    const first = sentChunks(r.relay, 'alice-0001');
    expect(first).toHaveLength(6);
    expect(r.relay.chunksTo('bob-00001').map((c) => c.index)).toEqual([0]);
    r.relay.release();
    await until('Bob has the file', () => r.bob.transfers[0]!.status === 'done');
    expect(await bytesOf(r.bob.transfers[0]!.blob!)).toEqual(await bytesOf(file));
    const again = sentChunks(r.relay, 'alice-0001').slice(6);
    expect(again.map((c) => c.index)).toEqual([1, 2, 3, 4, 5]);
    // Resealed, not re-encrypted differently: the same bytes as the first time.
    expect(again.map((c) => c.data)).toEqual(first.slice(1).map((c) => c.data));
  });

  it('keeps the socket buffer bounded: no chunk goes out while it is above the high-water mark', async () => {
    const r = trio();
    r.relay.queued = SEND_HIGH_WATER + 1;
    await offerToAll(r, randomFile(3 * FILE_CHUNK_BYTES));
    await new Promise((res) => setTimeout(res, 100));
    expect(sentChunks(r.relay, 'alice-0001')).toEqual([]);
    expect(r.alice.transfers[0]).toMatchObject({ status: 'sending', done: 0 });
    r.relay.queued = 0;
    await until('Bob has the file', () => r.bob.transfers[0]!.status === 'done');
  });

  it('cancels from either side: the sender stops everyone; a receiver stops only itself', async () => {
    const r = trio();
    r.relay.queued = SEND_HIGH_WATER + 1;
    const id = await r.alice.send(randomFile(3 * FILE_CHUNK_BYTES));
    await until('offers arrive', () => r.bob.transfers.length === 1 && r.carol.transfers.length === 1);
    r.bob.accept(id!);
    r.carol.accept(id!);
    await until('Alice is sending', () => r.alice.transfers[0]!.status === 'sending');
    r.carol.cancel(id!);
    await until('Alice hears Carol left the transfer', () => r.alice.transfers[0]!.accepted === 1);
    expect(r.alice.transfers[0]!.status).toBe('sending');
    r.alice.cancel(id!);
    await until('Bob hears the cancel', () => r.bob.transfers[0]!.status === 'cancelled');
    expect(r.alice.transfers[0]!.status).toBe('cancelled');
    expect(r.carol.transfers[0]!.status).toBe('cancelled');
    expect(r.bob.transfers[0]!.url).toBeNull();
    r.relay.queued = 0;
    await new Promise((res) => setTimeout(res, 50));
    expect(sentChunks(r.relay, 'alice-0001')).toEqual([]);
  });

  it('refuses files over the room’s limit and empty ones; a file to one person asks only them', async () => {
    const relay = new Relay();
    const alice = relay.join('alice-0001', 1000);
    relay.join('bob-00001');
    relay.join('carol-0001');
    expect(alice.maxBytes).toBe(1000);
    expect(await alice.send(randomFile(1001))).toBeNull();
    expect(await alice.send(new File([], 'empty.txt'))).toBeNull();
    expect(alice.transfers.map((t) => t.problem)).toEqual(['empty', 'too-big']);
    expect(relay.sent.get('alice-0001')).toEqual([]);
    const id = await alice.send(randomFile(500), 'bob-00001');
    expect(alice.transfers[0]).toMatchObject({ id, peer: 'bob-00001', recipients: 1, status: 'waiting' });
    await until('Bob has the offer', () => relay.files.get('bob-00001')!.transfers.length === 1);
    expect(relay.files.get('carol-0001')!.transfers).toEqual([]);
    relay.files.get('bob-00001')!.accept(id!);
    await until('Bob has the file', () => relay.files.get('bob-00001')!.transfers[0]!.status === 'done');
  });

  it('a sender who leaves fails the receiver’s transfer; the last recipient leaving ends the offer', async () => {
    const r = trio();
    r.relay.queued = SEND_HIGH_WATER + 1;
    const id = await offerToAll(r, randomFile(2 * FILE_CHUNK_BYTES));
    await until('Alice is sending', () => r.alice.transfers[0]!.status === 'sending');
    r.bob.memberLeft('alice-0001');
    expect(r.bob.transfers[0]).toMatchObject({ status: 'failed', problem: 'sender-left', url: null });
    r.alice.memberLeft('bob-00001');
    expect(r.alice.transfers[0]!.status).toBe('cancelled');
    expect(r.relay.sent.get('alice-0001')!.at(-1)).toEqual({ type: 'file-cancel', id });
  });

  it('has a sentence for every way a transfer can fail, in every language', () => {
    for (const table of Object.values(TABLES)) for (const p of TRANSFER_PROBLEMS) expect(table[`files.problem.${p}`], p).toBeTruthy();
  });

  it('makes names safe to show and save', () => {
    expect(safeFileName('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(safeFileName('a\u0000b\nc.txt')).toBe('a_b_c.txt');
    expect(safeFileName('...')).toBe('file');
    expect(safeFileName('x'.repeat(500))).toHaveLength(200);
  });
});

function sentChunks(relay: Relay, id: string) {
  return relay.sent.get(id)!.filter((m): m is Extract<Out, { type: 'file-chunk' }> => m.type === 'file-chunk');
}

function flip(data: string): string {
  const b = fromB64url(data);
  b[b.length >> 1]! ^= 1;
  return toB64url(b);
}

function swapData(a: number, b: number): Tamper {
  return (c) => (c.index === a ? [] : c.index === b ? [{ ...c, index: a }] : [c]);
}

function reorder(a: number, b: number): Tamper {
  let held: Chunk | null = null;
  return (c) => {
    if (c.index === a) {
      held = c;
      return [];
    }
    return c.index === b && held ? [c, held] : [c];
  };
}

function renumberAfterDrop(dropped: number): Tamper {
  return (c) => (c.index === dropped ? [] : [c.index > dropped ? { ...c, index: c.index - 1 } : c]);
}

function lastReplacedBy(earlier: number): Tamper {
  let kept = '';
  return (c) => {
    if (c.index === earlier) kept = c.data;
    return [c.index === 3 ? { ...c, data: kept } : c];
  };
}
