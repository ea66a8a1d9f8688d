/**
 * What each message of one room session does to the meeting's parts: the welcome keys the group
 * and attaches the sealed channels, roster changes move keys and tell screen readers, events go
 * to the part they concern. The Meeting owns the parts and the session's life (phase, endings,
 * reconnects); this module is only the routing between them.
 */
import type { OriginGrant, Participant } from '@sealroom/protocol';
import type { Annotations } from './annotations.svelte.ts';
import type { Announcer } from './announcer.svelte.ts';
import type { Breakouts } from './breakouts.svelte.ts';
import type { Chat } from './chat.svelte.ts';
import type { E2ee } from './e2ee.ts';
import type { Files } from './files.svelte.ts';
import type { MediaLink } from './media-link.svelte.ts';
import type { MeetingKeys } from './meeting-keys.svelte.ts';
import type { UiErrorCode } from './messages.ts';
import type { Reactions } from './reactions.svelte.ts';
import type { RecordingNotice } from './recording-notice.ts';
import type { ClosedReason, LeaveReason, RoomConnection, RoomEvent, RoomHandlers, WaitingReason, Welcome } from './room.svelte.ts';
import type { ScreenShare } from './screen-share.svelte.ts';
import { exposeTestApi } from './test-hooks.ts';

export interface MeetingParts {
  chat: Chat;
  annotations: Annotations;
  files: Files;
  keys: MeetingKeys;
  media: MediaLink;
  share: ScreenShare;
  recording: RecordingNotice;
  reactions: Reactions;
  breakouts: Breakouts;
  announcer: Announcer;
  self(): Participant | null;
  roomOthers(): readonly Participant[];
  nameOf(id: string): string;
}

/** What only the Meeting decides: the phase of the call and how it ends. */
export interface SessionControl {
  welcomed(msg: Welcome): void;
  waiting(reason: WaitingReason): void;
  /** We left the meeting (removed, ended, disconnected by the room). */
  left(reason: LeaveReason): void;
  closedByRoom(reason: ClosedReason): void;
  fail(code: UiErrorCode): void;
  closed(code: number, wasJoined: boolean): void;
}

/** The handlers of one room session, keyed by that session's `e2ee`. */
export function roomHandlers(e2ee: E2ee, room: () => RoomConnection, parts: MeetingParts, control: SessionControl): RoomHandlers {
  const { chat, annotations, files, keys, media, share, recording, announcer } = parts;
  const say = announcer.say;
  return {
    welcome: (msg) => {
      // Join phases, read by bench/join.
      performance.mark('sealroom:welcome');
      parts.breakouts.enter(msg.self.breakout);
      control.welcomed(msg);
      const r = room();
      keys.start(e2ee, msg.meetingId, msg.self, r);
      // Whoever is muted on entry by the room starts muted here too.
      if (!msg.self.permissions.unmute && msg.self.role === 'participant') media.mutedOnEntry();
      // The ticket goes out before the rest of the welcome's work: media is the long pole of a join.
      media.connect(msg.origin);
      const members = () => parts.roomOthers().map((p) => p.id);
      keys.attach(e2ee, r, msg.self, { chat, annotations, files, members, maxFileBytes: msg.maxFileBytes });
      exposeTestApi({
        selfId: msg.self.id,
        participants: () => r.roster.others.map((p) => p.id),
        e2ee,
        inboundStats: async () => (await media.session?.inboundStats()) ?? [],
        cameraPaused: (id) => media.session?.cameraPaused(id) ?? null,
        iceRoutes: async () => (await media.session?.iceRoutes()) ?? [],
      });
      for (const p of r.roster.others) if (p.recording) chat.notice('record.inProgress', { name: p.name });
      recording.welcomed(r);
    },
    participantJoined: (p) => {
      if (keys.joined(p)) say('call.joined', { name: p.name });
    },
    participantUpdated: (p, prev) => {
      if (prev?.sharing && !p.sharing) annotations.dropScreen(p.id);
      if (prev && keys.moved(p, prev)) annotations.dropScreen(p.id);
      const selfId = parts.self()?.id;
      if (p.id === selfId && p.sharing) share.answered(true);
      if (p.id === selfId && p.recording) recording.answered(true);
      if (prev && prev.recording !== p.recording) chat.notice(p.recording ? 'record.startedBy' : 'record.stoppedBy', { name: p.name });
      if (prev) announcer.participantChanged(p, prev, selfId);
    },
    participantLeft: (p, id, reason) => {
      if (id === parts.self()?.id) {
        control.left(reason);
        return;
      }
      keys.left(p, id);
      annotations.dropScreen(id);
      files.memberLeft(id);
      if (p) say('call.left', { name: p.name });
      if (p?.recording) chat.notice('record.stoppedBy', { name: p.name });
    },
    // The same seat on a new connection: its old keys and transfers go, its new keys come in.
    participantBack: (p, prev) => {
      files.memberLeft(p.id);
      annotations.dropScreen(p.id);
      keys.back(p, prev);
    },
    keyBlob: (from, epoch, blob) => {
      if (e2ee.started) e2ee.onKeyBlob(from, epoch, blob);
    },
    ticket: (grant) => media.ticket(grant),
    waiting: (reason) => control.waiting(reason),
    ended: (reason) => control.closedByRoom(reason),
    event: (msg) => onEvent(msg, room(), parts),
    error: (code, message, fatal, msg) => {
      if (fatal) {
        control.fail(code);
        return;
      }
      console.warn('sealroom: room refused a request', { code, message });
      // No live origin right now: keep trying (backing off) until one comes back.
      if (code === 'no_origin') media.noOrigin();
      if (msg.file) files.refused(code, msg.file, msg.retryAfter);
      if (code === 'forbidden') share.answered(false);
      if (code === 'forbidden' || code === 'rate_limited') recording.answered(false);
    },
    closed: (code, wasJoined) => control.closed(code, wasJoined),
  };
}

function onEvent(msg: RoomEvent, room: RoomConnection, parts: MeetingParts): void {
  const say = parts.announcer.say;
  switch (msg.type) {
    case 'forced':
      if (msg.what === 'mute') void parts.media.forcedOff('audio', 'call.mutedByHost');
      else if (msg.what === 'stop-video') void parts.media.forcedOff('video', 'call.cameraStoppedByHost');
      else if (msg.what === 'stop-share') void parts.share.stop(false).then(() => say('share.stoppedByHost'));
      else if (msg.what === 'stop-recording') parts.recording.stoppedByHost();
      return;
    case 'ask-unmute':
      parts.media.askedToUnmute(msg.from);
      return;
    case 'chat':
      void parts.chat.receive(msg);
      return;
    case 'reaction':
      parts.reactions.show(msg.from, msg.reaction);
      return;
    case 'annotate':
      void parts.annotations.receive(msg.from, msg.envelope);
      return;
    case 'annotations-cleared':
      parts.annotations.clear();
      say('annotate.cleared', { name: parts.nameOf(msg.by) });
      return;
    case 'moved':
      onMoved(msg.room, msg.origin, parts);
      return;
    case 'breakout-help':
      parts.breakouts.helpAsked(msg.from, msg.room);
      return;
    case 'breakout-broadcast':
      parts.breakouts.received(room.roster.get(msg.from), msg.from, msg.n, msg.envelope, msg.key);
      return;
    case 'file-offer':
    case 'file-answer':
    case 'file-chunk':
    case 'file-cancel':
      parts.files.receive(msg);
      return;
  }
}

/** We moved into a breakout room or back: new key group, new router, same identity. */
function onMoved(room: string | null, origin: OriginGrant | null, parts: MeetingParts): void {
  if (!parts.keys.e2ee?.started) return;
  parts.breakouts.enter(room);
  void parts.share.stop(false);
  parts.annotations.clear();
  parts.keys.restart(parts.roomOthers());
  parts.media.reconnectTo(origin);
  parts.announcer.say(room ? 'breakout.movedTo' : 'breakout.movedBack', { room: parts.breakouts.name(room) });
}
