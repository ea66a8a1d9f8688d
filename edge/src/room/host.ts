/**
 * Host controls: what the host and co-hosts may do to the meeting and its members. Every
 * action is checked against the actor's role (some are the host's alone), rate-limited, and
 * audited whether it succeeds or not.
 */
import type { ErrorCode, HostAction, HostActionName, Permission } from '@sealroom/protocol';
import { addressKey } from '../http/client-address.ts';
import { admitWaiting } from './admission.ts';
import { BREAKOUT_REFUSALS, breakoutAction } from './breakout.ts';
import { endMeeting, removal } from './departure.ts';
import { type DecideContext, type Effect, type MemberRecord, type RoomData, assertNever, error, isHostish, roleChange, stateChange, updated } from './model.ts';

/** Only the host (not co-hosts) may do these. */
export const HOST_ONLY: ReadonlySet<HostActionName> = new Set(['end', 'hand-over', 'make-cohost', 'revoke-cohost']);

/** Taking the right to record away stops the recording: the recorder's client is told, everyone sees it end. */
function stopRecording(m: MemberRecord, by: string): Effect[] {
  return [...updated({ ...m, recording: false }), { kind: 'send', to: m.id, msg: { type: 'forced', what: 'stop-recording', by } }];
}

export function forceStop(room: RoomData, m: MemberRecord, by: string, what: 'mute' | 'stop-video' | 'stop-share'): Effect[] {
  const source = what === 'mute' ? 'audio' : what === 'stop-video' ? 'video' : 'screen';
  const member = what === 'mute' ? { ...m, audio: false } : what === 'stop-video' ? { ...m, video: false } : { ...m, sharing: false };
  return [
    ...updated(member),
    { kind: 'origin', control: { action: 'pauseSource', meetingId: room.meetingId, participantId: m.id, source } },
    { kind: 'send', to: m.id, msg: { type: 'forced', what, by } },
  ];
}

export function hostAction(room: RoomData, self: MemberRecord, cmd: HostAction, ctx: DecideContext): Effect[] {
  const target = 'target' in cmd ? cmd.target : null;
  const audit = (result: 'ok' | ErrorCode, detail?: string): Effect => ({
    kind: 'audit',
    actor: self.id,
    role: self.role,
    action: cmd.action,
    target,
    result,
    ...(detail ? { detail } : {}),
  });
  const refuse = (code: ErrorCode, message: string): Effect[] => [audit(code), error(code, message)];

  if (!isHostish(self.role)) return refuse('forbidden', 'only the host or a co-host can do that');
  if (HOST_ONLY.has(cmd.action) && self.role !== 'host') return refuse('forbidden', 'only the host can do that');
  if (!ctx.allow(self.id, 'control')) return refuse('rate_limited', 'too many host actions at once');

  // Targets of admit/deny/allow-rejoin live outside the roster; every other target is a member.
  let t: MemberRecord | undefined;
  if (target !== null && !['admit', 'deny', 'allow-rejoin', 'spotlight'].includes(cmd.action)) {
    t = room.members.get(target);
    if (!t) return refuse('not_found', 'that participant is not in this meeting');
    if (cmd.action !== 'lower-hand' && t.id !== self.id && self.role === 'cohost' && isHostish(t.role)) {
      return refuse('forbidden', 'a co-host cannot act on the host or another co-host');
    }
  }
  const ok = (...effects: Effect[]): Effect[] => [...effects, audit('ok')];
  const others = () => [...room.members.values()].filter((m) => m.id !== self.id);

  switch (cmd.action) {
    case 'remove':
      if (t!.id === self.id) return refuse('forbidden', 'use leave to leave');
      return ok(...removal(room, t!, ctx));
    case 'remove-all':
      return ok(
        ...others()
          .filter((m) => !isHostish(m.role))
          .flatMap((m) => removal(room, m, ctx)),
      );
    case 'allow-rejoin':
      if (!room.banned.has(cmd.target)) return refuse('not_found', 'that participant was not removed');
      return ok({ kind: 'unban', id: cmd.target });
    case 'end':
      return ok(...endMeeting(room, true));
    case 'lock':
      return ok(...stateChange(room, { locked: cmd.locked }));
    case 'waiting-room': {
      const effects = stateChange(room, { settings: { ...room.settings, waitingRoom: cmd.enabled } });
      // Turning the waiting room off lets everyone in it in.
      if (!cmd.enabled) for (const w of room.waiting.values()) if (w.reason === 'waiting-room') effects.push(...admitWaiting(room, w, ctx));
      effects.push({ kind: 'waiting-list' });
      return ok(...effects);
    }
    case 'mute':
      return ok(...forceStop(room, t!, self.id, 'mute'));
    case 'mute-all': {
      // One frame per member: `muted-all` is everyone's roster update, the muted participants'
      // forced notice and the new unmute default at once (clients apply all three), so 1000
      // members cost 1000 frames, not 3000 (docs/BENCHMARKS.md, signalling). The origin pauses
      // each microphone.
      const effects: Effect[] = [{ kind: 'room', patch: { settings: { ...room.settings, allowUnmute: cmd.allowUnmute } } }];
      for (const m of others()) {
        if (isHostish(m.role)) continue;
        effects.push(
          { kind: 'put-member', member: { ...m, audio: false, permissions: { ...m.permissions, unmute: cmd.allowUnmute } } },
          { kind: 'origin', control: { action: 'pauseSource', meetingId: room.meetingId, participantId: m.id, source: 'audio' } },
        );
      }
      effects.push({ kind: 'broadcast', to: 'members', except: null, msg: { type: 'muted-all', by: self.id, allowUnmute: cmd.allowUnmute } });
      return ok(...effects);
    }
    case 'ask-unmute':
      // The participant decides: the room grants the right and asks; it never unmutes anyone.
      return ok(...updated({ ...t!, restricted: t!.restricted.filter((p) => p !== 'unmute'), permissions: { ...t!.permissions, unmute: true } }), {
        kind: 'send',
        to: t!.id,
        msg: { type: 'ask-unmute', from: self.id },
      });
    case 'stop-video':
      return ok(...forceStop(room, t!, self.id, 'stop-video'));
    case 'set-permission':
      return ok(...setPermission(room, t!, cmd.permission, cmd.allowed, self.id));
    case 'multi-share':
      return ok(...stateChange(room, { settings: { ...room.settings, multiShare: cmd.enabled } }));
    case 'clear-annotations':
      return ok({ kind: 'broadcast', to: 'members', except: null, msg: { type: 'annotations-cleared', by: self.id } });
    case 'rename':
      return ok(...updated({ ...t!, name: cmd.name }));
    case 'spotlight':
      if (cmd.target !== null && !room.members.has(cmd.target)) return refuse('not_found', 'that participant is not in this meeting');
      return ok(...stateChange(room, { spotlight: cmd.target }));
    case 'admit': {
      const w = room.waiting.get(cmd.target);
      if (!w || w.reason !== 'waiting-room') return refuse('not_found', 'nobody by that id is waiting');
      return ok(...admitWaiting(room, w, ctx), { kind: 'waiting-list' });
    }
    case 'admit-all':
      return ok(...[...room.waiting.values()].filter((w) => w.reason === 'waiting-room').flatMap((w) => admitWaiting(room, w, ctx)), { kind: 'waiting-list' });
    case 'deny': {
      const w = room.waiting.get(cmd.target);
      if (!w) return refuse('not_found', 'nobody by that id is waiting');
      return ok(
        { kind: 'del-waiting', id: w.id },
        { kind: 'put-denied', record: { clientId: w.clientId, userId: w.userId, address: addressKey(w.ip), at: ctx.now } },
        { kind: 'send', to: w.id, msg: { type: 'closed', reason: 'denied' } },
        { kind: 'close', id: w.id, code: 1000, reason: 'denied' },
        { kind: 'waiting-list' },
      );
    }
    case 'make-cohost':
      if (t!.role !== 'participant') return refuse('forbidden', 'only a participant can be made co-host');
      return ok(...roleChange(room, t!, 'cohost'));
    case 'revoke-cohost':
      if (t!.role !== 'cohost') return refuse('forbidden', 'that participant is not a co-host');
      return ok(...roleChange(room, t!, 'participant'));
    case 'hand-over':
      if (t!.id === self.id) return refuse('forbidden', 'you are already the host');
      return ok(...roleChange(room, self, 'cohost'), ...roleChange(room, t!, 'host'));
    case 'lower-hand':
      return ok(...updated({ ...t!, handRaisedAt: null }));
    case 'lower-all-hands':
      return ok(...[...room.members.values()].filter((m) => m.handRaisedAt !== null).flatMap((m) => updated({ ...m, handRaisedAt: null })));
    case 'breakout-create':
    case 'breakout-assign':
    case 'breakout-auto':
    case 'breakout-open':
    case 'breakout-broadcast':
    case 'breakout-close': {
      const r = breakoutAction(room, self, cmd, ctx);
      return typeof r === 'string' ? refuse(r === 'not_found' ? 'not_found' : 'forbidden', BREAKOUT_REFUSALS[r]) : ok(...r);
    }
    default:
      return assertNever(cmd);
  }
}

function setPermission(room: RoomData, m: MemberRecord, permission: Permission, allowed: boolean, by: string): Effect[] {
  // A right taken from one person is remembered against them (identity.ts), so a reload cannot shed it.
  const restricted = m.restricted.filter((p) => p !== permission).concat(allowed ? [] : [permission]);
  const member = { ...m, restricted, permissions: { ...m.permissions, [permission]: allowed } };
  if (allowed) {
    const effects = updated(member);
    // Granting share releases the origin's hold; granting unmute waits for the participant to unmute.
    if (permission === 'share')
      effects.push({ kind: 'origin', control: { action: 'releaseSource', meetingId: room.meetingId, participantId: m.id, source: 'screen' } });
    return effects;
  }
  // Taking a right away stops what it covers, on the origin as well.
  if (permission === 'unmute') return forceStop(room, member, by, 'mute');
  if (permission === 'share') return forceStop(room, member, by, 'stop-share');
  if (permission === 'record' && m.recording) return stopRecording(member, by);
  return updated(member);
}
