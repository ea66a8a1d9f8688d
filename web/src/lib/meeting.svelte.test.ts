import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS, type Participant } from '@sealroom/protocol';
import { FakeSocket } from './testing/fake-socket.ts';

const NO_BREAKOUT = { rooms: [], assignments: {}, open: false, allowChoose: false, closingAt: null };
/** Records what the meeting asks of the E2EE manager; the code depends on the roster size. */
const e2ee = vi.hoisted(() => {
  const calls: [string, ...unknown[]][] = [];
  let members = 0;
  const fake = {
    publicKey: 'P'.repeat(43),
    disableKeyExchange: false,
    started: false,
    start: (o: { members: unknown[] }) => {
      fake.started = true;
      members = o.members.length + 1;
      calls.push(['start', o]);
    },
    memberJoined: (p: unknown) => {
      members++;
      calls.push(['memberJoined', p]);
    },
    memberLeft: (id: string) => {
      members--;
      calls.push(['memberLeft', id]);
    },
    onKeyBlob: (...a: unknown[]) => calls.push(['onKeyBlob', ...a]),
    securityCode: () => `code-${members}`,
    close: () => calls.push(['close']),
  };
  return { fake, calls, reset: () => ((calls.length = 0), (members = 0), (fake.disableKeyExchange = false), (fake.started = false)) };
});
vi.mock('./e2ee.ts', () => ({ E2ee: { create: () => e2ee.fake } }));

const { Meeting } = await import('./meeting.svelte.ts');

const person = (id: string, index: number, over: Partial<Participant> = {}): Participant => ({
  id,
  index,
  name: `Person ${index}`,
  role: 'participant',
  publicKey: String.fromCharCode(65 + index).repeat(43),
  audio: false,
  video: false,
  sharing: false,
  recording: false,
  handRaisedAt: null,
  permissions: { share: true, chat: true, unmute: true, rename: true, record: true },
  breakout: null,
  ...over,
});
const ME = person('self-0001', 0, { role: 'host' });
const ANN = person('ann-00001', 1);
const BOB = person('bob-00002', 2);
const welcome = JSON.stringify({
  type: 'welcome',
  meetingId: '123456789',
  topic: '',
  self: ME,
  participants: [ANN],
  state: { locked: false, settings: DEFAULT_SETTINGS, spotlight: null, hostPresent: true, breakout: NO_BREAKOUT },
  waiting: [],
  origin: null,
});

let sockets: FakeSocket[] = [];
const win: { __sealroom?: { selfId: string; participants(): string[] }; __sealroomTest?: { disableKeyExchange?: boolean } } = {};

beforeEach(() => {
  sockets = [];
  e2ee.reset();
  delete win.__sealroom;
  delete win.__sealroomTest;
  vi.stubGlobal('window', win);
  vi.stubGlobal('location', { protocol: 'http:', host: '127.0.0.1:8787' });
  vi.stubGlobal(
    'WebSocket',
    class extends FakeSocket {
      constructor() {
        super(false);
        sockets.push(this);
      }
    },
  );
});
afterEach(() => {
  vi.unstubAllGlobals();
});

function joined(hostKey?: string) {
  const meeting = new Meeting('123456789', hostKey);
  meeting.join('Me', undefined);
  const socket = sockets[0]!;
  socket.open();
  return { meeting, socket };
}

describe('Meeting', () => {
  it('joins with its public key and host key, then starts E2EE with the others and exposes the test hooks', () => {
    const { meeting, socket } = joined('hk');
    expect(socket.json()[0]).toEqual({ type: 'join', name: 'Me', publicKey: 'P'.repeat(43), hostKey: 'hk' });
    expect(meeting.phase).toBe('joining');
    socket.deliver(welcome);
    expect(meeting.phase).toBe('in-call');
    const start = e2ee.calls.find((c) => c[0] === 'start')?.[1] as { self: unknown; members: unknown[] };
    expect(start.self).toEqual({ id: ME.id, index: 0 });
    expect(start.members).toEqual([{ id: ANN.id, index: 1, publicKey: ANN.publicKey }]);
    expect(meeting.securityCode).toBe('code-2');
    expect(meeting.mediaStatus).toBe('unavailable');
    expect(win.__sealroom?.selfId).toBe(ME.id);
    expect(win.__sealroom?.participants()).toEqual([ANN.id]);
    expect(meeting.isHost).toBe(true);
  });

  it('with no origin at the welcome, keeps asking the room for one, backing off, and connects when one comes', async () => {
    vi.useFakeTimers();
    try {
      const { meeting, socket } = joined();
      socket.deliver(welcome);
      expect(meeting.mediaStatus).toBe('unavailable');
      const tickets = () => (socket.json() as { type: string }[]).filter((m) => m.type === 'ticket').length;
      expect(tickets()).toBe(0);
      await vi.advanceTimersByTimeAsync(300);
      expect(tickets()).toBe(1);
      // Still none: the room says so, and the client asks again later, not at once.
      socket.deliver(JSON.stringify({ type: 'error', code: 'no_origin', message: 'no media origin is available' }));
      expect(meeting.mediaStatus).toBe('unavailable');
      await vi.advanceTimersByTimeAsync(500);
      expect(tickets()).toBe(1);
      await vi.advanceTimersByTimeAsync(1000);
      expect(tickets()).toBe(2);
      socket.deliver(JSON.stringify({ type: 'error', code: 'no_origin', message: 'no media origin is available' }));
      await vi.advanceTimersByTimeAsync(2100);
      expect(tickets()).toBe(3);
      meeting.leave();
    } finally {
      vi.useRealTimers();
    }
  });

  it('honours the test flag that disables key exchange', () => {
    win.__sealroomTest = { disableKeyExchange: true };
    joined();
    expect(e2ee.fake.disableKeyExchange).toBe(true);
  });

  it('keys joins and leaves, flags the code change, and relays key blobs', () => {
    const { meeting, socket } = joined();
    socket.deliver(welcome);
    socket.deliver(JSON.stringify({ type: 'participant-joined', participant: BOB }));
    expect(meeting.securityCode).toBe('code-3');
    expect(meeting.codeChanged).toBe(true);
    expect(win.__sealroom?.participants()).toEqual([ANN.id, BOB.id]);
    socket.deliver(JSON.stringify({ type: 'key-blob', from: BOB.id, epoch: 2, blob: 'b'.repeat(60) }));
    socket.deliver(JSON.stringify({ type: 'participant-left', id: ANN.id, reason: 'left' }));
    expect(e2ee.calls.map((c) => c[0])).toEqual(['start', 'memberJoined', 'onKeyBlob', 'memberLeft']);
    expect(meeting.announcement?.key).toBe('call.left');
  });

  it('an away participant keeps its keys; back on a new connection its old keys go and its new ones come in', () => {
    const { meeting, socket } = joined();
    socket.deliver(welcome);
    socket.deliver(JSON.stringify({ type: 'participant-away', id: ANN.id }));
    expect(meeting.others).toEqual([{ ...ANN, away: true }]);
    expect(e2ee.calls.map((c) => c[0])).toEqual(['start']);
    const annBack = { ...ANN, index: 9, publicKey: 'Z'.repeat(43) };
    socket.deliver(JSON.stringify({ type: 'participant-back', participant: annBack }));
    expect(meeting.others).toEqual([annBack]);
    expect(e2ee.calls.slice(1)).toEqual([
      ['memberLeft', ANN.id],
      ['memberJoined', { id: ANN.id, index: 9, publicKey: 'Z'.repeat(43) }],
    ]);
    expect(meeting.announcement?.key).not.toBe('call.left');
  });

  it('a forced mute turns the microphone off and tells the room', async () => {
    const { meeting, socket } = joined();
    socket.deliver(welcome);
    socket.deliver(JSON.stringify({ type: 'forced', what: 'mute', by: ANN.id }));
    await vi.waitFor(() => expect(meeting.micOn).toBe(false));
    expect(socket.json().at(-1)).toEqual({ type: 'media-state', audio: false, video: true });
    expect(meeting.announcement?.key).toBe('call.mutedByHost');
  });

  it('says what others do that shows on their tiles: a raised hand, a shared screen', () => {
    const { meeting, socket } = joined();
    socket.deliver(welcome);
    socket.deliver(JSON.stringify({ type: 'participant-updated', participant: { ...ANN, handRaisedAt: 5 } }));
    expect(meeting.announcement).toMatchObject({ key: 'call.handRaisedBy', params: { name: ANN.name } });
    socket.deliver(JSON.stringify({ type: 'participant-updated', participant: { ...ANN, handRaisedAt: 5, sharing: true } }));
    expect(meeting.announcement).toMatchObject({ key: 'share.startedBy', params: { name: ANN.name } });
    const seq = meeting.announcement?.seq;
    // Nothing new (the hand stays up, the share goes on): nothing said.
    socket.deliver(JSON.stringify({ type: 'participant-updated', participant: { ...ANN, handRaisedAt: 5, sharing: true, audio: true } }));
    expect(meeting.announcement?.seq).toBe(seq);
  });

  it('pressing unmute when the host forbids it says why and stays muted', async () => {
    const { meeting, socket } = joined();
    const muzzled = { ...ME, role: 'participant', permissions: { ...ME.permissions, unmute: false } };
    socket.deliver(welcome.replace(JSON.stringify(ME), JSON.stringify(muzzled)));
    socket.deliver(JSON.stringify({ type: 'forced', what: 'mute', by: ANN.id }));
    await vi.waitFor(() => expect(meeting.micOn).toBe(false));
    await meeting.toggleMic();
    expect(meeting.micOn).toBe(false);
    expect(meeting.announcement?.key).toBe('call.unmuteNotAllowed');
  });

  it('a refused join goes back to the form with the reason', () => {
    const { meeting, socket } = joined();
    socket.deliver(JSON.stringify({ type: 'error', code: 'wrong_password', message: 'no' }));
    expect(meeting.phase).toBe('prejoin');
    expect(meeting.error).toBe('wrong_password');
    expect(socket.closedWith).toBe(1000);
  });

  it('waits in the waiting room before the welcome', () => {
    const { meeting, socket } = joined();
    socket.deliver(JSON.stringify({ type: 'waiting', reason: 'no-host' }));
    expect(meeting.phase).toBe('waiting');
    expect(meeting.waitingReason).toBe('no-host');
    socket.deliver(welcome);
    expect(meeting.phase).toBe('in-call');
  });

  it('removal ends the call, closes E2EE and withdraws the test hooks', () => {
    const { meeting, socket } = joined();
    socket.deliver(welcome);
    socket.deliver(JSON.stringify({ type: 'closed', reason: 'removed' }));
    expect(meeting.phase).toBe('ended');
    expect(meeting.endReason).toBe('removed');
    expect(e2ee.calls.at(-1)).toEqual(['close']);
    expect(win.__sealroom).toBeUndefined();
  });

  it('leave says goodbye to the room', () => {
    const { meeting, socket } = joined();
    socket.deliver(welcome);
    meeting.leave();
    expect(socket.json().at(-1)).toEqual({ type: 'leave' });
    expect(meeting.phase).toBe('ended');
    expect(meeting.endReason).toBe('left');
  });

  it('a dropped room socket reconnects as a new participant after a backoff', () => {
    vi.useFakeTimers();
    try {
      const { meeting, socket } = joined();
      socket.deliver(welcome);
      socket.drop(1006);
      expect(meeting.roomReconnecting).toBe(true);
      expect(win.__sealroom).toBeUndefined();
      vi.advanceTimersByTime(1000);
      expect(sockets).toHaveLength(2);
      sockets[1]!.open();
      sockets[1]!.deliver(welcome);
      expect(meeting.roomReconnecting).toBe(false);
      expect(meeting.phase).toBe('in-call');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('room reconnect', () => {
  const RESUME = 'R'.repeat(43);
  const resumable = JSON.stringify({ ...(JSON.parse(welcome) as object), resume: RESUME });

  it('keeps trying while the tab is open, however long the room stays away, then resumes the seat', () => {
    vi.useFakeTimers();
    const store = new Map<string, string>();
    vi.stubGlobal('sessionStorage', {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => store.set(k, v),
      removeItem: (k: string) => store.delete(k),
    });
    try {
      const { meeting, socket } = joined();
      socket.deliver(resumable);
      socket.drop(1006);
      // Twenty refused connections in a row (over four minutes): still reconnecting, never ended.
      for (let i = 1; i <= 20; i++) {
        vi.advanceTimersByTime(15_000);
        expect(sockets).toHaveLength(i + 1);
        sockets[i]!.drop(1006);
        expect(meeting.phase).toBe('in-call');
        expect(meeting.roomReconnecting).toBe(true);
      }
      vi.advanceTimersByTime(15_000);
      const back = sockets[21]!;
      back.open();
      // The seat's resume secret goes with the join: the room gives the same seat back if it still can.
      expect(back.json()[0]).toMatchObject({ type: 'join', name: 'Me', resume: RESUME });
      back.deliver(welcome);
      expect(meeting.roomReconnecting).toBe(false);
      expect(meeting.phase).toBe('in-call');
      expect(win.__sealroom?.selfId).toBe(ME.id);
      // A later drop starts the back-off from the beginning again.
      back.drop(1006);
      vi.advanceTimersByTime(1000);
      expect(sockets).toHaveLength(23);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reconnects at once when the browser comes back online', () => {
    vi.useFakeTimers();
    const events = new EventTarget();
    vi.stubGlobal('addEventListener', events.addEventListener.bind(events));
    vi.stubGlobal('removeEventListener', events.removeEventListener.bind(events));
    try {
      const { meeting, socket } = joined();
      socket.deliver(welcome);
      socket.drop(1006);
      for (let i = 1; i <= 4; i++) {
        vi.advanceTimersByTime(15_000);
        sockets[i]!.drop(1006);
      }
      expect(sockets).toHaveLength(5);
      events.dispatchEvent(new Event('online'));
      expect(sockets).toHaveLength(6);
      // The retry it replaced does not run as well.
      vi.advanceTimersByTime(15_000);
      expect(sockets).toHaveLength(6);
      sockets[5]!.open();
      sockets[5]!.deliver(welcome);
      expect(meeting.roomReconnecting).toBe(false);
      // Online again later, with nothing pending: nothing happens.
      events.dispatchEvent(new Event('online'));
      expect(sockets).toHaveLength(6);
    } finally {
      vi.useRealTimers();
    }
  });

  it('leaving while reconnecting stops the retries', () => {
    vi.useFakeTimers();
    try {
      const { meeting, socket } = joined();
      socket.deliver(welcome);
      socket.drop(1006);
      meeting.leave();
      vi.advanceTimersByTime(60_000);
      expect(sockets).toHaveLength(1);
      expect(meeting.roomReconnecting).toBe(false);
      expect(meeting.endReason).toBe('left');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a resume the room no longer honours is a new join: a locked meeting refuses it and the call ends with the reason', () => {
    vi.useFakeTimers();
    try {
      const { meeting, socket } = joined();
      socket.deliver(welcome);
      socket.drop(1006);
      vi.advanceTimersByTime(1000);
      sockets[1]!.open();
      sockets[1]!.deliver(JSON.stringify({ type: 'error', code: 'meeting_locked', message: 'the host has locked this meeting' }));
      expect(meeting.phase).toBe('ended');
      expect(meeting.error).toBe('meeting_locked');
      vi.advanceTimersByTime(60_000);
      expect(sockets).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
