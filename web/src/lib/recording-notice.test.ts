import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MessageKey } from './messages.ts';
import { RECORD_ANSWER_MS, RecordingNotice } from './recording-notice.ts';
import type { RoomConnection } from './room.svelte.ts';

afterEach(() => {
  vi.useRealTimers();
});

function notice(recording = false) {
  const sent: unknown[] = [];
  const said: MessageKey[] = [];
  const room = { status: 'joined', send: (m: unknown) => sent.push(m) } as unknown as RoomConnection;
  const n = new RecordingNotice({ room: () => room, recording: () => recording, say: (key) => said.push(key) });
  return { n, room, sent, said };
}

describe('RecordingNotice', () => {
  it('starting waits for the room to confirm; after a reconnect it says so again', async () => {
    const { n, room, sent } = notice();
    const started = n.announce(true);
    expect(sent).toEqual([{ type: 'record', on: true }]);
    n.answered(true);
    expect(await started).toBe(true);
    n.welcomed(room);
    expect(sent).toHaveLength(2);
  });

  it('no answer in time is a refusal, said to the user; nothing is said again after a reconnect', async () => {
    vi.useFakeTimers();
    const { n, room, sent, said } = notice();
    const started = n.announce(true);
    vi.advanceTimersByTime(RECORD_ANSWER_MS);
    expect(await started).toBe(false);
    expect(said).toEqual(['record.refused']);
    n.welcomed(room);
    expect(sent).toHaveLength(1);
  });

  it('a host stopping our recording calls back and forgets it', () => {
    const { n, room, sent, said } = notice(true);
    void n.announce(true);
    const stopped = vi.fn();
    n.onStopped = stopped;
    n.stoppedByHost();
    expect(stopped).toHaveBeenCalledOnce();
    expect(said).toEqual(['record.stoppedByHost']);
    n.welcomed(room);
    expect(sent).toEqual([]);
  });
});
