import { describe, expect, it } from 'vitest';
import { E2ee, type KeyBlobsOut } from './manager.ts';

/** The frame worker is not needed for envelopes: a stand-in that swallows messages. */
const fakeWorker = () => ({ postMessage() {}, terminate() {}, onmessage: null }) as unknown as Worker;

/** Three managers whose key blobs are delivered as the Room would relay them. */
function meeting() {
  const ids = ['alice-001', 'bob-00002', 'carol-003', 'dave-0004'];
  const peers = ids.map(() => E2ee.create({ worker: fakeWorker }));
  // Blobs wait in the room until `relay()`, as they would behind the welcome on the recipient's socket.
  const queue: (() => void)[] = [];
  const deliver = (from: string) => (m: KeyBlobsOut) => {
    for (const b of m.blobs) queue.push(() => peers[ids.indexOf(b.to)]!.onKeyBlob(from, m.epoch, b.blob));
  };
  const relay = () => {
    while (queue.length) queue.shift()!();
  };
  const member = (i: number) => ({ id: ids[i]!, index: i, publicKey: peers[i]!.publicKey });
  peers[0]!.start({ meetingId: '123456789', self: { id: ids[0]!, index: 0 }, members: [], send: deliver(ids[0]!) });
  // The room tells Alice about Bob before Bob, welcomed, sends his key.
  peers[0]!.memberJoined(member(1));
  peers[1]!.start({ meetingId: '123456789', self: { id: ids[1]!, index: 1 }, members: [member(0)], send: deliver(ids[1]!) });
  relay();
  return { ids, peers, member, relay, deliver };
}

describe('E2ee envelopes (chat lines, annotations)', () => {
  it('opens a peer’s envelope with the sender bound, and no other sender id opens it', () => {
    const { ids, peers } = meeting();
    const env = peers[0]!.sealEnvelope('hello 你好');
    expect(env).not.toContain('hello');
    expect(peers[1]!.openEnvelope(ids[0]!, env)).toBe('hello 你好');
    // Re-attributed to someone else (a lying relay), it does not open.
    expect(() => peers[1]!.openEnvelope(ids[2]!, env)).toThrow();
    const back = peers[1]!.sealEnvelope('hi');
    expect(peers[0]!.openEnvelope(ids[1]!, back)).toBe('hi');
  });

  it('a newcomer opens what is sealed after it joined, not what was sealed before', () => {
    const { ids, peers, member, relay } = meeting();
    const before = peers[0]!.sealEnvelope('before');
    peers[0]!.memberJoined(member(2));
    peers[1]!.memberJoined(member(2));
    peers[2]!.start({ meetingId: '123456789', self: { id: ids[2]!, index: 2 }, members: [member(0), member(1)], send: () => {} });
    relay();
    const after = peers[0]!.sealEnvelope('after');
    expect(peers[2]!.openEnvelope(ids[0]!, after)).toBe('after');
    expect(peers[1]!.openEnvelope(ids[0]!, after)).toBe('after');
    expect(() => peers[2]!.openEnvelope(ids[0]!, before)).toThrow();
    // Envelopes in flight across the rekey still open for those who had the old key.
    expect(peers[1]!.openEnvelope(ids[0]!, before)).toBe('before');
  });

  it('after a leave, the leaver’s old key cannot open new envelopes', () => {
    const { ids, peers } = meeting();
    const old = peers[0]!.sealEnvelope('x');
    peers[0]!.memberLeft(ids[1]!);
    const fresh = peers[0]!.sealEnvelope('y');
    expect(peers[1]!.openEnvelope(ids[0]!, old)).toBe('x');
    expect(() => peers[1]!.openEnvelope(ids[0]!, fresh)).toThrow();
  });

  it("a leave and a join in quick succession: a receiver that saw the join before the leaver's fresh key still opens the next line", () => {
    const { ids, peers, member, relay, deliver } = meeting();
    peers[0]!.memberJoined(member(2));
    peers[1]!.memberJoined(member(2));
    peers[2]!.start({ meetingId: '123456789', self: { id: ids[2]!, index: 2 }, members: [member(0), member(1)], send: deliver(ids[2]!) });
    relay();
    // The room announces: Carol left, Dave joined. Bob handles both at once; his fresh key (for
    // the leave) is still on its way to Alice when she handles both events.
    peers[1]!.memberLeft(ids[2]!);
    peers[1]!.memberJoined(member(3));
    peers[0]!.memberLeft(ids[2]!);
    peers[0]!.memberJoined(member(3));
    peers[3]!.start({ meetingId: '123456789', self: { id: ids[3]!, index: 3 }, members: [member(0), member(1)], send: deliver(ids[3]!) });
    relay();
    const line = peers[1]!.sealEnvelope('after the churn');
    expect(peers[0]!.openEnvelope(ids[1]!, line)).toBe('after the churn');
    // And the next join keeps them in step.
    peers[0]!.memberJoined({ id: 'erin-0005', index: 4, publicKey: E2ee.create({ worker: fakeWorker }).publicKey });
    peers[1]!.memberJoined({ id: 'erin-0005', index: 4, publicKey: E2ee.create({ worker: fakeWorker }).publicKey });
    expect(peers[0]!.openEnvelope(ids[1]!, peers[1]!.sealEnvelope('still'))).toBe('still');
  });

  it('restart: two members moving to a breakout room key each other only', () => {
    const { ids, peers, member, relay, deliver } = meeting();
    peers[0]!.memberJoined(member(2));
    peers[1]!.memberJoined(member(2));
    peers[2]!.start({ meetingId: '123456789', self: { id: ids[2]!, index: 2 }, members: [member(0), member(1)], send: deliver(ids[2]!) });
    relay();
    // Bob and Carol move to a breakout room; Alice stays and forgets them.
    peers[0]!.memberLeft(ids[1]!);
    peers[0]!.memberLeft(ids[2]!);
    peers[1]!.restart([]);
    peers[2]!.restart([member(1)]);
    peers[1]!.memberJoined(member(2));
    relay();
    const inRoom = peers[2]!.sealEnvelope('room only');
    expect(peers[1]!.openEnvelope(ids[2]!, inRoom)).toBe('room only');
    expect(() => peers[0]!.openEnvelope(ids[2]!, inRoom)).toThrow();
    const fromBob = peers[1]!.sealEnvelope('hi carol');
    expect(peers[2]!.openEnvelope(ids[1]!, fromBob)).toBe('hi carol');
  });
});

describe('E2ee send key', () => {
  it('hands the frame worker the ratcheted send key as soon as someone joins, with no timer', () => {
    const posted: { kind: string; epoch?: number }[] = [];
    const worker = () => ({ postMessage: (m: { kind: string; epoch?: number }) => posted.push(m), terminate() {}, onmessage: null }) as unknown as Worker;
    const alice = E2ee.create({ worker });
    const bob = E2ee.create({ worker: fakeWorker });
    alice.start({ meetingId: '123456789', self: { id: 'alice-001', index: 0 }, members: [], send: () => {} });
    expect(posted.filter((m) => m.kind === 'setSendKey').map((m) => m.epoch)).toEqual([0]);
    alice.memberJoined({ id: 'bob-00002', index: 1, publicKey: bob.publicKey });
    expect(posted.filter((m) => m.kind === 'setSendKey').map((m) => m.epoch)).toEqual([0, 1]);
    expect(alice.debugSendKey()?.epoch).toBe(1);
    alice.close();
  });
});
