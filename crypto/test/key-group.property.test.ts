/**
 * Keys stay in step under any interleaving the Room allows. The Room orders joins and leaves;
 * each client works through its own socket's inbox (events, and blobs relayed after the event
 * they answer) at its own pace. Whatever the pace, once every inbox is empty each member holds,
 * for every other member, the exact key that member seals with: the key chat envelopes need
 * (they open only with that epoch's key; frames could ratchet forward, envelopes cannot).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex } from '../src/bytes.ts';
import { KeyGroup, type KeyBlobsOut } from '../src/key-group.ts';
import { generateKeyPair } from '../src/key-schedule.ts';

const MEETING = '123456789';
const DELAY = 1000;

type Member = { id: string; index: number; publicKey: Uint8Array };
type Item = { kind: 'joined'; member: Member } | { kind: 'left'; id: string } | { kind: 'blob'; from: string; epoch: number; blob: string };

class Client {
  readonly id: string;
  readonly index: number;
  readonly keyPair = generateKeyPair();
  readonly group: KeyGroup;
  readonly inbox: Item[] = [];
  /** senderIndex → epoch → key, as web/src/e2ee/manager.ts keeps envelope keys. */
  readonly keys = new Map<number, Map<number, string>>();
  constructor(id: string, index: number) {
    this.id = id;
    this.index = index;
    this.group = new KeyGroup({ meetingId: MEETING, self: { id, index }, keyPair: this.keyPair, sendKeyDelayMs: DELAY });
  }
  get member(): Member {
    return { id: this.id, index: this.index, publicKey: this.keyPair.publicKey };
  }
  drain(): void {
    for (const u of this.group.drainKeyUpdates()) {
      if (!this.keys.has(u.senderIndex)) this.keys.set(u.senderIndex, new Map());
      this.keys.get(u.senderIndex)!.set(u.epoch, hex(u.key));
    }
    for (const s of this.group.drainRemovedSenders()) this.keys.delete(s);
  }
}

class Room {
  readonly clients = new Map<string, Client>();
  readonly roster = new Map<string, Client>();
  #next = 0;
  send(from: Client, out: KeyBlobsOut[]): void {
    for (const m of out) for (const b of m.blobs) this.clients.get(b.to)?.inbox.push({ kind: 'blob', from: from.id, epoch: m.epoch, blob: b.blob });
  }
  join(): void {
    const c = new Client(`member-${this.#next}`, this.#next++);
    const others = [...this.roster.values()];
    for (const o of others) o.inbox.push({ kind: 'joined', member: c.member });
    this.roster.set(c.id, c);
    this.clients.set(c.id, c);
    this.send(c, c.group.welcome(others.map((o) => o.member)));
    c.drain();
  }
  leave(pick: number): void {
    const ids = [...this.roster.keys()];
    if (ids.length < 2) return;
    const id = ids[pick % ids.length]!;
    this.roster.delete(id);
    this.clients.delete(id);
    for (const o of this.roster.values()) o.inbox.push({ kind: 'left', id });
  }
  /** One item of `pick`'s inbox. */
  step(pick: number, now: number): void {
    const members = [...this.roster.values()].filter((c) => c.inbox.length);
    if (!members.length) return;
    const c = members[pick % members.length]!;
    const item = c.inbox.shift()!;
    if (item.kind === 'joined') this.send(c, c.group.memberJoined(item.member, now));
    else if (item.kind === 'left') this.send(c, c.group.memberLeft(item.id, now));
    else c.group.receiveBlob(item.from, item.epoch, item.blob);
    c.drain();
  }
}

const action = fc.oneof(
  { arbitrary: fc.constant({ t: 'join' as const }), weight: 2 },
  { arbitrary: fc.nat().map((n) => ({ t: 'leave' as const, n })), weight: 1 },
  { arbitrary: fc.nat().map((n) => ({ t: 'step' as const, n })), weight: 6 },
);

describe('KeyGroup under any interleaving', () => {
  it('once inboxes are empty, everyone holds the exact key each other member seals with', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 60 }), (actions) => {
        const room = new Room();
        room.join();
        room.join();
        let now = 0;
        for (const a of actions) {
          if (a.t === 'join' && room.roster.size < 7) room.join();
          else if (a.t === 'leave') room.leave(a.n);
          else if (a.t === 'step') room.step(a.n, now);
          now += 10;
        }
        while ([...room.roster.values()].some((c) => c.inbox.length)) room.step(0, now);
        now += DELAY;
        for (const c of room.roster.values()) c.group.poll(now);
        for (const receiver of room.roster.values())
          for (const sender of room.roster.values()) {
            if (sender === receiver) continue;
            const own = sender.group.sendKey!;
            expect(receiver.keys.get(sender.index)?.get(own.epoch), `${receiver.id} for ${sender.id} at epoch ${own.epoch}`).toBe(hex(own.key));
          }
      }),
      { numRuns: 60 },
    );
    // Each run derives dozens of X25519 pairwise keys in pure TypeScript.
  }, 120_000);
});
