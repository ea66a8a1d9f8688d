/**
 * Breakout rooms inside one meeting's Room. Each breakout room is its own key group (clients
 * exchange keys only with members whose `breakout` matches theirs, and the Room relays key blobs
 * only within a room) and its own router on the origin (the grant's ticket names the room).
 */
import type { BreakoutState, HostAction } from '@sealroom/protocol';
import { type DecideContext, type Effect, type MemberRecord, type RoomData, error, isHostish, stateChange, updated } from './model.ts';

type BreakoutCommand = Extract<HostAction, { action: `breakout-${string}` }>;
export type BreakoutRefusal = 'open' | 'closed' | 'no-rooms' | 'not_found';

export const BREAKOUT_REFUSALS: Record<BreakoutRefusal, string> = {
  open: 'close the breakout rooms first',
  closed: 'the breakout rooms are not open',
  'no-rooms': 'create breakout rooms first',
  not_found: 'no such participant or breakout room',
};

const withBreakout = (room: RoomData, b: Partial<BreakoutState>): Effect[] => stateChange(room, { breakout: { ...room.breakout, ...b } });

/** Moves a member between rooms: new key group, new router. */
function move(m: MemberRecord, to: string | null): Effect[] {
  if (m.breakout === to) return [];
  return [...updated({ ...m, breakout: to }), { kind: 'moved', id: m.id, room: to }];
}

/** Everyone back to the main room; the rooms stay defined so the host can reopen them. */
export function closeBreakouts(room: RoomData): Effect[] {
  return [...[...room.members.values()].flatMap((m) => move(m, null)), ...withBreakout(room, { open: false, closingAt: null })];
}

export function breakoutAction(room: RoomData, _self: MemberRecord, cmd: BreakoutCommand, ctx: DecideContext): Effect[] | BreakoutRefusal {
  const b = room.breakout;
  const exists = (id: string) => b.rooms.some((r) => r.id === id);
  switch (cmd.action) {
    case 'breakout-create':
      if (b.open) return 'open';
      return withBreakout(room, { rooms: cmd.names.map((name, i) => ({ id: `b${i + 1}`, name })), assignments: {}, allowChoose: false, closingAt: null });
    case 'breakout-assign': {
      const m = room.members.get(cmd.target);
      if (!m || (cmd.room !== null && !exists(cmd.room))) return 'not_found';
      const assignments = { ...b.assignments };
      if (cmd.room === null) delete assignments[m.id];
      else assignments[m.id] = cmd.room;
      return [...withBreakout(room, { assignments }), ...(b.open ? move(m, cmd.room) : [])];
    }
    case 'breakout-auto': {
      if (b.rooms.length === 0) return 'no-rooms';
      // Round-robin over the participants nobody has placed yet, oldest first; hosts stay free.
      const assignments = { ...b.assignments };
      const free = [...room.members.values()].filter((m) => !isHostish(m.role) && !(m.id in assignments)).sort((x, y) => x.joinedAt - y.joinedAt);
      const load = new Map(b.rooms.map((r) => [r.id, Object.values(assignments).filter((a) => a === r.id).length]));
      for (const m of free) {
        const [target] = [...load.entries()].sort((x, y) => x[1] - y[1]);
        assignments[m.id] = target![0];
        load.set(target![0], target![1] + 1);
      }
      const moves = b.open ? free.flatMap((m) => move(m, assignments[m.id]!)) : [];
      return [...withBreakout(room, { assignments }), ...moves];
    }
    case 'breakout-open': {
      if (b.rooms.length === 0) return 'no-rooms';
      if (b.open) return 'open';
      const moves = [...room.members.values()].flatMap((m) => {
        const to = b.assignments[m.id];
        return to && exists(to) ? move(m, to) : [];
      });
      return [...withBreakout(room, { open: true, allowChoose: cmd.allowChoose, closingAt: null }), ...moves];
    }
    case 'breakout-broadcast':
      if (!b.open) return 'closed';
      // Each current member named gets the text and only its own key wrap; names of people
      // who left are skipped, and nobody gets a message twice.
      return [...new Map(cmd.keys.map((k) => [k.to, k.key]))]
        .filter(([to]) => to !== _self.id && room.members.has(to))
        .map(([to, key]): Effect => ({ kind: 'send', to, msg: { type: 'breakout-broadcast', from: _self.id, n: cmd.n, envelope: cmd.envelope, key } }));
    case 'breakout-close':
      if (!b.open) return 'closed';
      if (cmd.countdownSeconds === 0) return closeBreakouts(room);
      {
        const at = ctx.now + cmd.countdownSeconds * 1000;
        return [...withBreakout(room, { closingAt: at }), { kind: 'schedule', at }];
      }
  }
}

export function chooseBreakout(room: RoomData, self: MemberRecord, to: string): Effect[] {
  const b = room.breakout;
  if (!b.open || !b.allowChoose) return [error('forbidden', 'the host has not let participants choose a room')];
  if (!b.rooms.some((r) => r.id === to)) return [error('not_found', 'no such breakout room')];
  return [...withBreakout(room, { assignments: { ...b.assignments, [self.id]: to } }), ...move(self, to)];
}
