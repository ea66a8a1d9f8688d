/**
 * The authorization matrix: every host-only action, tried by everyone who must not have it, is
 * refused with a code and changes nothing. Roles are the Room's own records, bound to the
 * connection at admission; no message can claim one.
 */
import type { HostAction } from '@sealroom/protocol';
import { describe, expect, it } from 'vitest';
import { HOST_ONLY } from '../src/room/machine.ts';
import { type TestClient, joined, knock, newMeeting, roomSnapshot } from './helpers.ts';

/** One instance of every host action, aimed at `t` (a participant) where it takes a target. */
const actions = (t: string): HostAction[] => [
  { action: 'remove', target: t },
  { action: 'remove-all' },
  { action: 'allow-rejoin', target: t },
  { action: 'end' },
  { action: 'lock', locked: true },
  { action: 'waiting-room', enabled: true },
  { action: 'mute', target: t },
  { action: 'mute-all', allowUnmute: false },
  { action: 'ask-unmute', target: t },
  { action: 'stop-video', target: t },
  { action: 'set-permission', target: t, permission: 'chat', allowed: false },
  { action: 'multi-share', enabled: true },
  { action: 'clear-annotations' },
  { action: 'rename', target: t, name: 'Renamed' },
  { action: 'spotlight', target: t },
  { action: 'admit', target: t },
  { action: 'admit-all' },
  { action: 'deny', target: t },
  { action: 'make-cohost', target: t },
  { action: 'revoke-cohost', target: t },
  { action: 'hand-over', target: t },
  { action: 'lower-hand', target: t },
  { action: 'lower-all-hands' },
];

type Actor = 'participant' | 'cohost' | 'waiting' | 'removed' | 'host of another meeting' | 'not joined';

/** Sets up a meeting with a host, a victim participant and the actor; returns the actor's socket. */
async function scene(actor: Actor) {
  const m = await newMeeting();
  const host = await joined(m.id, 'Host', 1, { hostKey: m.hostKey });
  const victim = await joined(m.id, 'Victim', 2);
  let client: TestClient;
  switch (actor) {
    case 'participant':
      client = (await joined(m.id, 'Actor', 3)).c;
      break;
    case 'cohost': {
      const a = await joined(m.id, 'Actor', 3);
      host.c.send({ type: 'host', command: { action: 'make-cohost', target: a.id } });
      await a.c.next('participant-updated');
      client = a.c;
      break;
    }
    case 'waiting': {
      host.c.send({ type: 'host', command: { action: 'waiting-room', enabled: true } });
      await host.c.next('room-state');
      client = await knock(m.id, 'Actor', 3);
      await client.next('waiting');
      break;
    }
    case 'removed': {
      const a = await joined(m.id, 'Actor', 3, { clientId: 'removed-client-000001' });
      host.c.send({ type: 'host', command: { action: 'remove', target: a.id } });
      await a.c.next('closed');
      // Back on a new connection with the same browser: refused at the door, then tries anyway.
      client = await knock(m.id, 'Actor', 3, { clientId: 'removed-client-000001' });
      expect((await client.next('error')).code).toBe('removed');
      break;
    }
    case 'host of another meeting': {
      const other = await newMeeting();
      client = (await joined(other.id, 'Actor', 3, { hostKey: other.hostKey })).c;
      break;
    }
    case 'not joined':
      client = await knock(m.id, 'Actor', 3);
      client.inbox.length = 0;
      // A connection that never completed join: open a second one and stay silent.
      client = await (await import('./helpers.ts')).TestClient.connect(m.id);
      break;
  }
  await host.c.drain(50);
  return { m, host, victim, client };
}

const cases: Array<[Actor, HostAction['action']]> = [];
for (const actor of ['participant', 'waiting', 'removed', 'not joined'] as const) {
  for (const a of actions('x')) cases.push([actor, a.action]);
}
// Another meeting's host is host only in their own Room: what they can aim at this one is a target.
for (const a of actions('x')) if ('target' in a) cases.push(['host of another meeting', a.action]);
for (const name of HOST_ONLY) cases.push(['cohost', name]);

describe('authorization matrix', () => {
  it.each(cases)('%s: %s is refused and changes nothing', async (actor, name) => {
    const { m, victim, client } = await scene(actor);
    const command = actions(victim.id).find((a) => a.action === name)!;
    const before = await roomSnapshot(m.id);
    client.send({ type: 'host', command });
    const e = await client.next('error');
    expect(['forbidden', 'not_joined', 'not_found', 'removed']).toContain(e.code);
    expect(await roomSnapshot(m.id)).toBe(before);
    // The victim heard nothing of it.
    expect(
      (await victim.c.drain(50)).filter(
        (x) => x.type !== 'participant-joined' && x.type !== 'participant-updated' && x.type !== 'participant-left' && x.type !== 'room-state',
      ),
    ).toEqual([]);
  });
});
