/**
 * Enforcement from the Room DO (signed `POST /control`): host pauses and releases, removals,
 * and the end of a meeting. Each action is idempotent, so the edge may retry it.
 */
import { type MediaSource, ORIGIN_CLOSE, type OriginControl } from '@sealroom/protocol';
import type { Logger } from './log.ts';
import type { MeetingRegistry } from './meeting-registry.ts';

export async function applyControl(meetings: MeetingRegistry, c: OriginControl, parentLog: Logger): Promise<Record<string, number | boolean>> {
  const log = parentLog.child({ meetingId: c.meetingId });
  const routers = meetings.routersOf(c.meetingId);
  const peersOf = (id: string) => routers.flatMap((r) => r.peers.get(id) ?? []);
  switch (c.action) {
    case 'pauseSource': {
      // Remembered even when the participant isn't here yet: its producer starts paused.
      const pauses = meetings.pausesOf(c.meetingId);
      let set = pauses.get(c.participantId);
      if (!set) pauses.set(c.participantId, (set = new Set<MediaSource>()));
      set.add(c.source);
      let paused = 0;
      for (const p of peersOf(c.participantId)) paused += await p.hostPause(c.source);
      // Its media may also reach this origin through a pipe from another one.
      for (const r of routers) paused += await r.pausePiped(c.participantId, c.source);
      log.info({ event: 'host_pause', participantId: c.participantId, source: c.source, producers: paused });
      return { paused };
    }
    case 'releaseSource': {
      // Releasing lets the client resume; it does not unmute anyone by force.
      meetings.releasePause(c.meetingId, c.participantId, c.source);
      for (const p of peersOf(c.participantId)) p.notify({ type: 'notification', event: 'released', data: { source: c.source } });
      log.info({ event: 'host_release', participantId: c.participantId, source: c.source });
      return {};
    }
    case 'closeParticipant': {
      meetings.markRemoved(`${c.meetingId}/${c.participantId}`);
      const peers = peersOf(c.participantId);
      for (const p of peers) p.close(ORIGIN_CLOSE.removed, 'removed from the meeting');
      log.info({ event: 'participant_closed', participantId: c.participantId, wasConnected: peers.length > 0 });
      return { closed: peers.length > 0 };
    }
    case 'closeMeeting': {
      const closed = meetings.closeMeeting(c.meetingId);
      log.info({ event: 'meeting_closed_by_edge', wasOpen: closed > 0 });
      return { closed: closed > 0 };
    }
  }
}
