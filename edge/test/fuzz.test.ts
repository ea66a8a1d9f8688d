/**
 * Hostile input at the Room: 10,000+ random and mutated messages from admitted participants.
 * Each must get an error code; none may crash the object or change what it has stored. The
 * frames are spread over many sockets, each staying below the flood cut (rate-limit.ts FLOOD),
 * so that every one of them is answered; flood.test.ts covers what happens above it.
 */
import { ClientToRoom } from '@sealroom/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLOOD } from '../src/room/rate-limit.ts';
import { fakePublicKey, joined, newMeeting, roomSnapshot } from './helpers.ts';

const valid = (target: string): unknown[] => [
  { type: 'join', name: 'X', publicKey: fakePublicKey(5) },
  { type: 'key-blobs', epoch: 1, blobs: [{ to: target, blob: 'AAAAAAAAAAAAAAAA' }] },
  { type: 'media-state', audio: false, video: false },
  { type: 'chat', to: target, envelope: 'A'.repeat(32) },
  { type: 'hand', raised: false },
  { type: 'share', on: false },
  { type: 'host', command: { action: 'mute', target } },
];

/** Breaks a valid message in one place: a field's type, an extra field, a huge value, a missing field. */
const mutated = (target: string) =>
  fc
    .tuple(
      fc.constantFrom(...valid(target)),
      fc.nat(),
      fc.oneof(
        fc.constant(null),
        fc.integer(),
        fc.string({ maxLength: 40 }),
        fc.boolean(),
        fc.constant('x'.repeat(70_000)),
        fc.array(fc.integer(), { maxLength: 3 }),
      ),
    )
    .map(([msg, n, junk]) => {
      const copy = structuredClone(msg) as Record<string, unknown>;
      const keys = Object.keys(copy);
      const key = keys[n % keys.length]!;
      switch (n % 4) {
        case 0:
          copy[key] = junk;
          break;
        case 1:
          copy[`extra${n % 7}`] = junk;
          break;
        case 2:
          delete copy[key];
          break;
        default:
          copy.type = typeof junk === 'string' ? junk : 'no-such-type';
      }
      return copy;
    });

const frame = (target: string) =>
  fc.oneof(
    mutated(target).map((m) => JSON.stringify(m)),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('', '{', '[]', 'null', '{"type":"host"}', '{"type":"__proto__"}', '{"__proto__":{"type":"leave"}}'),
  );

/** Host commands are well-formed but forbidden to a participant. */
const forbiddenCommand = (target: string) =>
  fc
    .constantFrom('remove', 'mute', 'stop-video', 'make-cohost', 'hand-over', 'rename')
    .map((action) => JSON.stringify({ type: 'host', command: action === 'rename' ? { action, target, name: 'pwned' } : { action, target } }));

describe('fuzzing the Room', () => {
  it('answers 10,000 hostile frames with error codes and changes nothing', async () => {
    const m = await newMeeting();
    const host = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
    const frames = fc.sample(fc.oneof({ weight: 9, arbitrary: frame(host.id) }, { weight: 1, arbitrary: forbiddenCommand(host.id) }), {
      numRuns: 10_000,
      seed: 9605,
    });
    // Only frames the schema rejects, or host commands from a participant, are hostile by construction.
    const hostile = frames.filter((f) => {
      try {
        const parsed = ClientToRoom.safeParse(JSON.parse(f));
        return !parsed.success || parsed.data.type === 'host';
      } catch {
        return true;
      }
    });
    expect(hostile.length).toBeGreaterThanOrEqual(9_500);
    // Each socket answers its first FLOOD.answered refusals; stay a little below that.
    const perSocket = FLOOD.answered - 10;
    const eves: Awaited<ReturnType<typeof joined>>[] = [];
    for (let i = 0; i * perSocket < hostile.length; i++) eves.push(await joined(m.id, `Eve ${i}`, 2 + (i % 200)));
    // Every Eve hears of each one who joined after it; wait for those notices, then clear them.
    const heard = () => eves.every((e, i) => e.c.inbox.filter((x) => x.type === 'participant-joined').length >= eves.length - 1 - i);
    const settle = Date.now() + 30_000;
    while (!heard() && Date.now() < settle) await new Promise((r) => setTimeout(r, 20));
    expect(heard()).toBe(true);
    for (const e of eves) e.c.inbox.splice(0);
    await host.c.drain(50);
    const before = await roomSnapshot(m.id);
    eves.forEach((e, i) => {
      for (const f of hostile.slice(i * perSocket, (i + 1) * perSocket)) e.c.send(f);
    });
    const answered = () => eves.reduce((n, e) => n + e.c.inbox.length, 0);
    const deadline = Date.now() + 60_000;
    while (answered() < hostile.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const replies = eves.flatMap((e) => e.c.inbox.splice(0));
    expect(replies).toHaveLength(hostile.length);
    expect(eves.every((e) => !e.c.closed)).toBe(true);
    const codes = new Set(replies.map((r) => (r.type === 'error' ? r.code : `not an error: ${r.type}`)));
    expect([...codes].every((c) => ['bad_message', 'unknown_type', 'forbidden', 'already_joined'].includes(c))).toBe(true);
    expect(await roomSnapshot(m.id)).toBe(before);
    // Still alive and still serving: the host saw nothing, a newcomer gets in.
    expect(await host.c.drain(100)).toEqual([]);
    const late = await joined(m.id, 'Late', 3);
    expect(late.welcome.participants.map((p) => p.name).sort()).toEqual(['Host', ...eves.map((_, i) => `Eve ${i}`)].sort());
  }, 120_000);
});
