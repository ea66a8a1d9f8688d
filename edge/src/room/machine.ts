/**
 * The Room as a state machine: a parsed message from one connection in, checks, and a list
 * of effects out (state changes first, then messages and calls). No I/O here, so every rule
 * is testable without a socket; the Durable Object (room.ts) carries the effects out.
 *
 * Roles come from the room's own records, bound to the connection when it was admitted,
 * never from anything a message claims.
 */
import type { ClientToRoom, Participant, RoomToClient } from '@sealroom/protocol';
import { join } from './admission.ts';
import { chooseBreakout } from './breakout.ts';
import { departure } from './departure.ts';
import { fileMessage } from './files.ts';
import { forceStop, hostAction } from './host.ts';
import { type Bucket, type Conn, type DecideContext, type Effect, type MemberRecord, type RoomData, assertNever, error, isHostish, updated } from './model.ts';

export * from './model.ts';
export { away, departure, endMeeting, expireAway, waiterGone } from './departure.ts';
export { HOST_ONLY } from './host.ts';

// ── decide ──────────────────────────────────────────────────────────────────

export function decide(room: RoomData, conn: Conn, msg: ClientToRoom, ctx: DecideContext): Effect[] {
  if (msg.type === 'join') return join(room, conn, msg, ctx);
  // Before its join, a socket may ask where its media will go; nothing about the room changes.
  if (msg.type === 'prepare') return conn.status === 'new' ? [{ kind: 'prepare' }] : [error('already_joined', 'prepare comes before join')];
  if (conn.status !== 'member') return [error('not_joined', conn.status === 'waiting' ? 'still waiting to be admitted' : 'send join first')];
  const self = room.members.get(conn.id);
  if (!self) return [error('not_joined', 'no longer in this meeting')];
  // Every kind of message costs the room work and usually fans out: each has a budget per member.
  const bucket = BUCKET_OF[msg.type];
  if (bucket !== null && !ctx.allow(self.id, bucket)) return [error('rate_limited', `too many ${msg.type} messages`, 1)];

  switch (msg.type) {
    case 'key-blobs': {
      // One blob per recipient, and only present members of the sender's room get one (below):
      // a frame can never turn into more sends than there are members. A rekey may still name
      // someone who left a moment ago (the sender had not heard yet); that blob alone is
      // reported, the others must arrive, or the present members cannot open the new key.
      const targets = new Set(msg.blobs.map((b) => b.to));
      if (targets.size !== msg.blobs.length) return [error('bad_message', 'key-blobs: at most one blob per recipient')];
      // The room only routes sealed blobs; it cannot open them. Recipients must be current members.
      const effects: Effect[] = [];
      const missing: string[] = [];
      for (const { to, blob } of msg.blobs) {
        // Each breakout room is its own key group: keys go only to members in the same room.
        if (to === self.id || room.members.get(to)?.breakout !== self.breakout) missing.push(to);
        else effects.push({ kind: 'send', to, msg: { type: 'key-blob', from: self.id, epoch: msg.epoch, blob } });
      }
      if (missing.length > 0) effects.push(error('not_found', `not in this meeting: ${missing.slice(0, 5).join(', ')}`));
      return effects;
    }
    case 'media-state':
      return mediaState(room, self, msg.audio, msg.video);
    case 'share':
      return share(room, self, msg.on);
    case 'record':
      return record(self, msg.on, ctx);
    case 'hand':
      return updated({ ...self, handRaisedAt: msg.raised ? (self.handRaisedAt ?? ctx.now) : null });
    case 'reaction':
      return [{ kind: 'broadcast', to: 'members', except: null, msg: { type: 'reaction', from: self.id, reaction: msg.reaction }, room: self.breakout }];
    case 'rename':
      if (!self.permissions.rename) return [error('forbidden', 'renaming is not allowed in this meeting')];
      return updated({ ...self, name: msg.name });
    case 'chat':
      return chat(room, self, msg.to, msg.envelope, ctx);
    case 'annotate':
      return [{ kind: 'broadcast', to: 'members', except: self.id, msg: { type: 'annotate', from: self.id, envelope: msg.envelope }, room: self.breakout }];
    case 'host':
      return hostAction(room, self, msg.command, ctx);
    case 'ticket':
      return [{ kind: 'grant-ticket', mediaLost: msg.mediaLost === true }];
    case 'leave':
      return departure(room, self, 'left', ctx.now);
    case 'breakout-choose':
      return chooseBreakout(room, self, msg.room);
    case 'breakout-help':
      return [{ kind: 'broadcast', to: 'hosts', except: self.id, msg: { type: 'breakout-help', from: self.id, room: self.breakout } }];
    case 'file-offer':
    case 'file-answer':
    case 'file-chunk':
    case 'file-cancel':
      return fileMessage(room, self, msg, ctx);
    default:
      return assertNever(msg);
  }
}

/**
 * The budget each message kind draws on (rate-limit.ts sets the rates). Null: the message has
 * its own limit further in (host actions, files, recording) or ends the seat (leave).
 */
const BUCKET_OF: Record<Exclude<ClientToRoom['type'], 'join' | 'prepare'>, Bucket | null> = {
  'key-blobs': 'keys',
  'media-state': 'state',
  share: 'state',
  hand: 'state',
  rename: 'state',
  'breakout-choose': 'state',
  reaction: 'reaction',
  chat: 'chat',
  annotate: 'annotate',
  ticket: 'ticket',
  'breakout-help': 'help',
  record: null,
  host: null,
  leave: null,
  'file-offer': null,
  'file-answer': null,
  'file-chunk': null,
  'file-cancel': null,
};

// ── a participant's own media, share, chat ──────────────────────────────────

function mediaState(room: RoomData, self: MemberRecord, audio: boolean, video: boolean): Effect[] {
  const effects: Effect[] = [];
  if (audio && !self.audio) {
    if (!self.permissions.unmute) return [error('forbidden', 'the host has not allowed you to unmute')];
    effects.push({ kind: 'origin', control: { action: 'releaseSource', meetingId: room.meetingId, participantId: self.id, source: 'audio' } });
  }
  // Video the host stopped may be started again by its owner (as in the big services); the
  // origin only lets the producer resume once the room has said so.
  if (video && !self.video)
    effects.push({ kind: 'origin', control: { action: 'releaseSource', meetingId: room.meetingId, participantId: self.id, source: 'video' } });
  const member = { ...self, audio, video };
  effects.push({ kind: 'put-member', member }, { kind: 'broadcast', to: 'members', except: null, msg: { type: 'media-state', id: self.id, audio, video } });
  return effects;
}

function share(room: RoomData, self: MemberRecord, on: boolean): Effect[] {
  if (!on) return updated({ ...self, sharing: false });
  if (!self.permissions.share) return [error('forbidden', 'the host has not allowed you to share')];
  const others = [...room.members.values()].filter((m) => m.sharing && m.id !== self.id);
  if (!room.settings.multiShare && others.length > 0 && !isHostish(self.role)) return [error('forbidden', 'someone else is sharing')];
  const effects: Effect[] = [];
  // One sharer at a time: a host taking over stops the current sharer.
  if (!room.settings.multiShare) for (const o of others) effects.push(...forceStop(room, o, self.id, 'stop-share'));
  effects.push(
    { kind: 'origin', control: { action: 'releaseSource', meetingId: room.meetingId, participantId: self.id, source: 'screen' } },
    ...updated({ ...self, sharing: true }),
  );
  return effects;
}

/**
 * Recording is announced, never silent: the state lives in the member record and every member
 * sees it until it stops or the recorder leaves. The room cannot stop a browser from capturing
 * what it decrypts; it can make sure everyone knows when the client says it does.
 */
function record(self: MemberRecord, on: boolean, ctx: DecideContext): Effect[] {
  if (on && !self.permissions.record) return [error('forbidden', 'the host has not allowed you to record')];
  if (self.recording === on) return [];
  // Each toggle reaches every member: flapping it is as costly as a host action.
  if (!ctx.allow(self.id, 'control')) return [error('rate_limited', 'recording switched on and off too often', 1)];
  return [
    ...updated({ ...self, recording: on }),
    { kind: 'audit', actor: self.id, role: self.role, action: on ? 'record-start' : 'record-stop', target: null, result: 'ok' },
  ];
}

function chat(room: RoomData, self: MemberRecord, to: string | null, envelope: string, ctx: DecideContext): Effect[] {
  if (!self.permissions.chat) return [error('forbidden', 'the host has turned chat off for you')];
  if (to !== null && (to === self.id || room.members.get(to)?.breakout !== self.breakout)) return [error('not_found', 'that participant is not in this room')];
  // The room keeps no history: it relays sealed envelopes and forgets them.
  const msg: RoomToClient = { type: 'chat', id: ctx.now, from: self.id, to, at: ctx.now, envelope };
  return to === null ? [{ kind: 'broadcast', to: 'members', except: self.id, msg, room: self.breakout }] : [{ kind: 'send', to, msg }];
}

// ── carrying effects out ────────────────────────────────────────────────────

/**
 * Folds the per-participant `participant-updated` broadcasts of one action into a single
 * `participants-updated` frame, sent where the first of them was (later updates of the same
 * participant win). Everything else keeps its order.
 */
export function coalesce(effects: Effect[]): Effect[] {
  const updates = new Set(
    effects.filter((e) => e.kind === 'broadcast' && e.msg.type === 'participant-updated' && e.room === undefined && e.except === null && e.to === 'members'),
  );
  if (updates.size < 2) return effects;
  const latest = new Map<string, Participant>();
  for (const e of updates) if (e.kind === 'broadcast' && e.msg.type === 'participant-updated') latest.set(e.msg.participant.id, e.msg.participant);
  const out: Effect[] = [];
  let placed = false;
  for (const e of effects) {
    if (!updates.has(e)) out.push(e);
    else if (!placed) {
      out.push({ kind: 'broadcast', to: 'members', except: null, msg: { type: 'participants-updated', participants: [...latest.values()] } });
      placed = true;
    }
  }
  return out;
}
