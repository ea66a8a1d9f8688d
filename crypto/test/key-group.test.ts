import { describe, expect, it } from 'vitest';
import { hex } from '../src/bytes.ts';
import { FrameOpener, FrameSealer } from '../src/frame-transform.ts';
import { KeyGroup, KeyGroupError, MAX_BLOBS_PER_MESSAGE, type KeyBlobsOut } from '../src/key-group.ts';
import { generateKeyPair, ratchetBaseKey } from '../src/key-schedule.ts';
import { securityCode } from '../src/security-code.ts';

const MEETING = '123456789';
const DELAY = 1000;

/**
 * One simulated client: a KeyGroup plus the frame sealer/opener the worker would hold, with
 * key updates applied exactly as web/src/e2ee/manager.ts applies them.
 */
class Client {
  readonly id: string;
  readonly index: number;
  readonly keyPair = generateKeyPair();
  readonly group: KeyGroup;
  readonly sealer: FrameSealer;
  readonly opener: FrameOpener;
  constructor(id: string, index: number, clock: { t: number }) {
    this.id = id;
    this.index = index;
    this.group = new KeyGroup({ meetingId: MEETING, self: { id, index }, keyPair: this.keyPair, sendKeyDelayMs: DELAY });
    this.sealer = new FrameSealer(index);
    this.opener = new FrameOpener({ now: () => clock.t });
  }
  get member() {
    return { id: this.id, index: this.index, publicKey: this.keyPair.publicKey };
  }
  sync(): void {
    for (const u of this.group.drainKeyUpdates()) this.opener.setKey(u.senderIndex, u.epoch, u.key);
    for (const s of this.group.drainRemovedSenders()) this.opener.removeSender(s);
    const sk = this.group.sendKey;
    if (sk && sk.epoch !== this.sealer.epoch) this.sealer.setKey(sk.epoch, sk.key);
  }
  frame(n: number): Uint8Array {
    return this.sealer.seal('opus', new Uint8Array([0x78, this.index, n, 1, 2, 3]));
  }
}

/** The Room DO, reduced to what matters here: roster order and blob relay. */
class Room {
  clock = { t: 0 };
  clients = new Map<string, Client>();
  relay(from: Client, msgs: KeyBlobsOut[]): void {
    for (const m of msgs)
      for (const b of m.blobs) {
        const to = this.clients.get(b.to);
        if (!to) continue;
        to.group.receiveBlob(from.id, m.epoch, b.blob);
        to.sync();
      }
  }
  join(id: string, index: number): Client {
    // The DO's order: the newcomer gets `welcome`, everyone else `participant-joined`; blobs
    // sent in reply to either reach each socket after those events.
    const c = new Client(id, index, this.clock);
    const others = [...this.clients.values()];
    this.clients.set(id, c);
    const welcomeOut = c.group.welcome(others.map((o) => o.member));
    c.sync();
    const joinedOut = others.map((o) => {
      const out = o.group.memberJoined(c.member, this.clock.t);
      o.sync();
      return [o, out] as const;
    });
    for (const [o, out] of joinedOut) this.relay(o, out);
    this.relay(c, welcomeOut);
    return c;
  }
  leave(id: string): Client {
    const gone = this.clients.get(id)!;
    this.clients.delete(id);
    for (const o of this.clients.values()) {
      const out = o.group.memberLeft(id, this.clock.t);
      o.sync();
      this.relay(o, out);
    }
    return gone;
  }
  advance(ms: number): void {
    this.clock.t += ms;
    for (const c of this.clients.values()) {
      c.group.poll(this.clock.t);
      c.sync();
    }
  }
}

describe('KeyGroup', () => {
  it('welcome seals epoch 0 to every member, active at once, blobs within the protocol bounds', () => {
    // Messages are split at the protocol's 1000-blob cap; shown here with a cap of 3 (noble's
    // X25519 costs ~5 ms per member on the test machine, so 1001 members would take seconds).
    expect(MAX_BLOBS_PER_MESSAGE).toBe(1000);
    const g = new KeyGroup({ meetingId: MEETING, self: { id: 'self-0001', index: 0 }, keyPair: generateKeyPair(), maxBlobsPerMessage: 3 });
    const members = Array.from({ length: 7 }, (_, i) => ({ id: `member-${String(i).padStart(4, '0')}`, index: i + 1, publicKey: generateKeyPair().publicKey }));
    const out = g.welcome(members);
    expect(out.map((m) => m.blobs.length)).toEqual([3, 3, 1]);
    expect(out.flatMap((m) => m.blobs.map((b) => b.to))).toEqual(members.map((m) => m.id));
    expect(out.every((m) => m.epoch === 0)).toBe(true);
    for (const b of out.flatMap((m) => m.blobs)) {
      expect(b.blob).toMatch(/^[A-Za-z0-9_-]{16,256}$/);
      expect(b.to).toMatch(/^[A-Za-z0-9_-]{8,40}$/);
    }
    expect(g.sendKey?.epoch).toBe(0);
    expect(g.pendingSendKey).toBeNull();
  });

  it('on a join switches to the ratcheted send key at once, with no pending key', () => {
    const room = new Room();
    const a = room.join('alice-0001', 1);
    const epoch0 = a.group.sendKey!.key;
    room.join('bob-00002', 2);
    expect(a.group.sendKey?.epoch).toBe(1);
    expect(hex(a.group.sendKey!.key)).toBe(hex(ratchetBaseKey(epoch0)));
    expect(a.group.pendingSendKey).toBeNull();
    expect(a.group.poll(10 * DELAY)).toBe(false);
  });

  it('on a leave switches the send key only after the delay given by the caller', () => {
    const room = new Room();
    const a = room.join('alice-0001', 1);
    room.join('bob-00002', 2);
    room.join('carol-003', 3);
    room.clock.t = 5000;
    room.leave('carol-003');
    expect(a.group.sendKey?.epoch).toBe(2);
    expect(a.group.pendingSendKey).toMatchObject({ epoch: 3, activateAt: 5000 + DELAY });
    room.advance(DELAY - 1);
    expect(a.group.sendKey?.epoch).toBe(2);
    room.advance(1);
    expect(a.group.sendKey?.epoch).toBe(3);
    expect(a.group.pendingSendKey).toBeNull();
  });

  it('a join while a leave key is pending ratchets the pending key and keeps its deadline', () => {
    const room = new Room();
    const a = room.join('alice-0001', 1);
    const b = room.join('bob-00002', 2);
    room.join('carol-003', 3);
    room.leave('carol-003');
    const pending = a.group.pendingSendKey!;
    room.clock.t = 10;
    const d = room.join('dave-0004', 4);
    // Bob may not hold the fresh key yet, so Alice still seals with the key he has.
    expect(a.group.sendKey?.epoch).toBe(2);
    expect(a.group.pendingSendKey).toMatchObject({ epoch: pending.epoch + 1, activateAt: pending.activateAt });
    expect(hex(a.group.pendingSendKey!.key)).toBe(hex(ratchetBaseKey(pending.key)));
    room.advance(DELAY);
    expect(a.group.sendKey?.epoch).toBe(pending.epoch + 1);
    expect(b.opener.open('opus', a.frame(1))).not.toBeNull();
    expect(d.opener.open('opus', a.frame(2))).not.toBeNull();
  });

  it('on a join everyone ratchets deterministically: existing members agree without any message', () => {
    const room = new Room();
    const a = room.join('alice-0001', 1);
    const epoch0 = a.group.sendKey!.key;
    const b = room.join('bob-00002', 2);
    room.advance(DELAY);
    room.join('carol-003', 3);
    room.advance(DELAY);
    expect(a.group.sendKey?.epoch).toBe(2);
    expect(hex(a.group.sendKey!.key)).toBe(hex(ratchetBaseKey(ratchetBaseKey(epoch0))));
    // Bob opens Alice's epoch-2 frames with the copy he ratcheted himself.
    expect(b.opener.open('opus', a.frame(1))).not.toBeNull();
  });

  it('rejects unknown senders, bad blobs and duplicates with typed errors; ignores stale blobs', () => {
    const room = new Room();
    const a = room.join('alice-0001', 1);
    const b = room.join('bob-00002', 2);
    const [msg] = a.group.memberJoined({ id: 'dave-0004', index: 4, publicKey: generateKeyPair().publicKey }, 0);
    const blobForDave = msg!.blobs[0]!.blob;
    expect(() => b.group.receiveBlob('mallory-9', 1, blobForDave)).toThrow(expect.objectContaining({ code: 'unknown_member' }));
    expect(() => b.group.receiveBlob(a.id, 1, blobForDave)).toThrow(KeyGroupError);
    expect(() => b.group.receiveBlob(a.id, 1, '***')).toThrow(expect.objectContaining({ code: 'bad_blob' }));
    expect(() => a.group.memberJoined(b.member, 0)).toThrow(expect.objectContaining({ code: 'duplicate_member' }));
    expect(() => a.group.memberJoined({ id: 'erin-0005', index: 2, publicKey: generateKeyPair().publicKey }, 0)).toThrow(
      expect.objectContaining({ code: 'duplicate_member' }),
    );
    expect(() => a.group.memberLeft('nobody-00', 0)).toThrow(expect.objectContaining({ code: 'unknown_member' }));
    expect(() => a.group.welcome([])).toThrow(expect.objectContaining({ code: 'already_started' }));
    const fresh = new KeyGroup({ meetingId: MEETING, self: { id: 'zed-00001', index: 9 }, keyPair: generateKeyPair() });
    expect(() => fresh.memberJoined(a.member, 0)).toThrow(expect.objectContaining({ code: 'not_started' }));
  });
});

describe('multi-party simulation (no network)', () => {
  it('a newcomer cannot open frames sent before it joined', () => {
    const room = new Room();
    const a = room.join('alice-0001', 1);
    const b = room.join('bob-00002', 2);
    room.advance(DELAY);
    const before = [a.frame(1), a.frame(2), b.frame(1)];
    expect([b.opener.open('opus', before[0]!), b.opener.open('opus', before[1]!), a.opener.open('opus', before[2]!)].every((f) => f !== null)).toBe(true);
    const c = room.join('carol-003', 3);
    // Senders switch on the join: Carol opens what they send from then on, nothing from before.
    const after = [a.frame(4), b.frame(4)];
    expect(after.map((f) => c.opener.open('opus', f) !== null)).toEqual([true, true]);
    for (const f of before) expect(c.opener.open('opus', f)).toBeNull();
    expect(c.opener.stats.opened).toBe(2);
    // Existing members keep decoding across the switch.
    expect(b.opener.open('opus', a.frame(5))).not.toBeNull();
    expect(a.opener.open('opus', c.frame(1))).not.toBeNull();
  });

  it('a removed participant cannot open frames sent after its removal', () => {
    const room = new Room();
    const a = room.join('alice-0001', 1);
    const b = room.join('bob-00002', 2);
    const c = room.join('carol-003', 3);
    room.advance(DELAY);
    expect(c.opener.open('opus', a.frame(1))).not.toBeNull();
    const gone = room.leave('carol-003');
    room.advance(DELAY);
    const after = [a.frame(2), b.frame(2), a.frame(3)];
    for (const f of after) expect(gone.opener.open('opus', f)).toBeNull();
    // Even ratcheting its old keys forward (what the opener tries) gets it nothing.
    expect(gone.opener.stats.opened).toBe(1);
    expect(b.opener.open('opus', after[0]!)).not.toBeNull();
    expect(a.opener.open('opus', after[1]!)).not.toBeNull();
  });

  it('nobody’s sealed blob opens with another participant’s key', () => {
    const room = new Room();
    const clients = ['alice-0001', 'bob-00002', 'carol-003', 'dave-0004'].map((id, i) => room.join(id, i + 1));
    const newcomer = new Client('erin-0005', 5, room.clock);
    // Every blob each client seals for the newcomer and for each other, offered to every
    // participant it was not meant for, and under every wrong claimed sender.
    const sealed = clients.flatMap((from) =>
      from.group.memberJoined(newcomer.member, 0).flatMap((m) => m.blobs.map((b) => ({ from, to: b.to, epoch: m.epoch, blob: b.blob }))),
    );
    const everyone = [...clients, newcomer];
    newcomer.group.welcome(clients.map((c) => c.member));
    let refused = 0;
    for (const s of sealed)
      for (const rcpt of everyone)
        for (const claimed of clients) {
          if (rcpt.id === claimed.id) continue;
          const ok = rcpt.id === s.to && claimed.id === s.from.id;
          if (ok) {
            expect(rcpt.group.receiveBlob(claimed.id, s.epoch, s.blob)).toBe(true);
            expect(rcpt.group.receiveBlob(claimed.id, s.epoch, s.blob)).toBe(false); // duplicate: ignored
          } else {
            expect(() => rcpt.group.receiveBlob(claimed.id, s.epoch, s.blob)).toThrow(KeyGroupError);
            refused++;
          }
        }
    expect(refused).toBeGreaterThan(50);
  });

  it('a member that has not processed a join yet still opens frames under the new epoch', () => {
    const room = new Room();
    const a = room.join('alice-0001', 1);
    const b = room.join('bob-00002', 2);
    // Carol's admission reaches Alice first; Bob's participant-joined is still in flight.
    const c = new Client('carol-003', 3, room.clock);
    room.clients.set(c.id, c);
    c.group.welcome([a.member, b.member]);
    c.sync();
    const toCarol = a.group.memberJoined(c.member, 0);
    a.sync();
    room.relay(a, toCarol);
    const sealed = [a.frame(1), a.frame(2)];
    expect(sealed.map((f) => b.opener.open('opus', f) !== null)).toEqual([true, true]);
    expect(c.opener.open('opus', a.frame(3))).not.toBeNull();
    // Bob then processes the join: the key it hands his opener is the one he ratcheted to,
    // which must not reopen the replay window.
    b.group.memberJoined(c.member, 0);
    b.sync();
    expect(b.opener.open('opus', sealed[0]!)).toBeNull();
    expect(b.opener.stats.replayed).toBe(1);
    expect(b.opener.open('opus', a.frame(4))).not.toBeNull();
  });

  it('late blob after a second join: the receiver catches up by ratcheting', () => {
    const room = new Room();
    const a = room.join('alice-0001', 1);
    room.advance(DELAY);
    // Carol joins; Alice's blob to her is delayed until after Dave joined too.
    const c = new Client('carol-003', 3, room.clock);
    room.clients.set(c.id, c);
    const held = a.group.memberJoined(c.member, room.clock.t);
    a.sync();
    room.relay(c, c.group.welcome([a.member]));
    c.sync();
    room.join('dave-0004', 4); // Alice ratchets again (epoch 2); Carol ratchets nothing of Alice's yet
    room.relay(a, held); // epoch 1 arrives late
    room.advance(DELAY);
    expect(a.group.sendKey?.epoch).toBe(2);
    expect(c.opener.open('opus', a.frame(1))).not.toBeNull();
  });

  it('all clients compute the same security code; a relay that swaps one key makes them differ', () => {
    const room = new Room();
    const a = room.join('alice-0001', 1);
    const b = room.join('bob-00002', 2);
    const c = room.join('carol-003', 3);
    const codes = [a, b, c].map((x) => securityCode(x.group.roster()));
    expect(new Set(codes).size).toBe(1);
    expect(codes[0]).toMatch(/^(\d{4} ){7}\d{4}$/);
    // A lying server gives Bob a substituted key for Carol.
    const mitm = generateKeyPair().publicKey;
    const bobView = b.group.roster().map((p) => (p.id === c.id ? { ...p, publicKey: mitm } : p));
    expect(securityCode(bobView)).not.toBe(securityCode(c.group.roster()));
  });
});
