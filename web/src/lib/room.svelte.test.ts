import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS, type Participant } from '@sealroom/protocol';
import { KEEPALIVE_MS, RoomConnection, SILENT_CLOSE, Roster, roomSocketUrl, ticketRefreshDelay, type RoomHandlers, type Welcome } from './room.svelte.ts';
import { FakeSocket } from './testing/fake-socket.ts';

const NO_BREAKOUT = { rooms: [], assignments: {}, open: false, allowChoose: false, closingAt: null };
const key = (c: string) => c.repeat(43);
const person = (id: string, index: number, over: Partial<Participant> = {}): Participant => ({
  id,
  index,
  name: `Person ${index}`,
  role: 'participant',
  publicKey: key(String.fromCharCode(65 + index)),
  audio: true,
  video: true,
  sharing: false,
  recording: false,
  handRaisedAt: null,
  permissions: { share: true, chat: true, unmute: true, rename: true, record: true },
  breakout: null,
  ...over,
});
const ROOM_STATE = { locked: false, settings: DEFAULT_SETTINGS, spotlight: null, hostPresent: true, breakout: NO_BREAKOUT };
const welcomeMsg = (participants: Participant[]): Welcome => ({
  type: 'welcome',
  meetingId: '123456789',
  topic: 'Standup',
  self: ME,
  participants,
  state: ROOM_STATE,
  waiting: [],
  origin: null,
});
const ME = person('self-0001', 0, { role: 'host' });
const ANN = person('ann-00001', 1);
const BOB = person('bob-00002', 2);
const grant = (expiresAt: number) => ({ url: 'ws://127.0.0.1:4443/ws', ticket: 'tkt', expiresAt });
const welcome = (others: Participant[], origin: ReturnType<typeof grant> | null = grant(Math.floor(Date.now() / 1000) + 300)) =>
  JSON.stringify({ ...welcomeMsg(others), origin });

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('Roster', () => {
  it('keeps others in joining order, without self, and updates media state', () => {
    const r = new Roster();
    r.welcome(welcomeMsg([ME, ANN]));
    expect(r.others.map((p) => p.id)).toEqual([ANN.id]);
    expect(r.joined(BOB)).toBe(true);
    expect(r.joined(ME)).toBe(false);
    expect(r.all.map((p) => p.id)).toEqual([ME.id, ANN.id, BOB.id]);
    r.mediaState(ANN.id, false, true);
    expect(r.get(ANN.id)).toMatchObject({ audio: false, video: true });
    expect(r.left(ANN.id)?.name).toBe(ANN.name);
    expect(r.left(ANN.id)).toBeUndefined();
    expect(r.others.map((p) => p.id)).toEqual([BOB.id]);
  });

  it('a repeated join replaces rather than duplicates', () => {
    const r = new Roster();
    r.welcome(welcomeMsg([ANN]));
    r.joined({ ...ANN, name: 'Ann again' });
    expect(r.others).toHaveLength(1);
    expect(r.others[0]?.name).toBe('Ann again');
  });
});

describe('Roster (meeting model)', () => {
  it('applies updates to self and others, and orders raised hands', () => {
    const r = new Roster();
    r.welcome(welcomeMsg([ANN, BOB]));
    expect(r.updated({ ...BOB, handRaisedAt: 10 })?.handRaisedAt).toBeNull();
    r.updated({ ...ME, handRaisedAt: 20 });
    r.updated({ ...ANN, handRaisedAt: 5 });
    expect(r.hands.map((p) => p.id)).toEqual([ANN.id, BOB.id, ME.id]);
    expect(r.updated(person('zzz-99999', 9))).toBeUndefined();
    expect(r.self?.handRaisedAt).toBe(20);
  });

  it('keeps room state and the waiting queue', () => {
    const r = new Roster();
    r.welcome(welcomeMsg([]));
    expect(r.topic).toBe('Standup');
    r.roomState({ ...ROOM_STATE, locked: true });
    r.waitingList([{ id: 'wait-0001', name: 'Wendy', since: 1 }]);
    expect(r.state?.locked).toBe(true);
    expect(r.waiting.map((w) => w.name)).toEqual(['Wendy']);
  });
});

describe('helpers', () => {
  it('builds the room socket URL from the page location', () => {
    expect(roomSocketUrl({ protocol: 'https:', host: 'meet.example' }, '123456789')).toBe('wss://meet.example/api/meetings/123456789/ws');
    expect(roomSocketUrl({ protocol: 'http:', host: '127.0.0.1:8787' }, '123456789')).toBe('ws://127.0.0.1:8787/api/meetings/123456789/ws');
  });

  it('refreshes tickets a minute early, reading seconds or milliseconds', () => {
    const now = 1_800_000_000_000;
    expect(ticketRefreshDelay(now / 1000 + 300, now)).toBe(240_000);
    expect(ticketRefreshDelay(now + 300_000, now)).toBe(240_000);
    expect(ticketRefreshDelay(now / 1000 + 30, now)).toBe(0);
  });
});

function handlers(): RoomHandlers & { calls: [string, ...unknown[]][] } {
  const calls: [string, ...unknown[]][] = [];
  const rec =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push([name, ...args]);
    };
  return {
    calls,
    welcome: rec('welcome'),
    participantJoined: rec('participantJoined'),
    participantUpdated: rec('participantUpdated'),
    participantLeft: rec('participantLeft'),
    participantBack: rec('participantBack'),
    keyBlob: rec('keyBlob'),
    ticket: rec('ticket'),
    waiting: rec('waiting'),
    ended: rec('ended'),
    event: rec('event'),
    error: rec('error'),
    closed: rec('closed'),
  };
}

describe('RoomConnection', () => {
  function setup() {
    const socket = new FakeSocket(false);
    const h = handlers();
    const room = new RoomConnection(h, () => socket);
    room.connect('ws://x/api/meetings/123456789/ws', { name: 'Me', publicKey: ME.publicKey, hostKey: 'secret' });
    socket.open();
    return { socket, h, room };
  }

  it('joins at once on a socket opened ahead, and on one still opening when it opens', () => {
    const made: string[] = [];
    const open = new FakeSocket(true);
    const room = new RoomConnection(handlers(), (u) => (made.push(u), new FakeSocket(false)));
    room.connect('ws://x/api/meetings/123456789/ws', { name: 'Me', publicKey: ME.publicKey }, open);
    expect(open.json()).toEqual([{ type: 'join', name: 'Me', publicKey: ME.publicKey }]);
    expect(made).toEqual([]);
    open.deliver(welcome([ANN]));
    expect(room.status).toBe('joined');

    const opening = new FakeSocket(false);
    const later = new RoomConnection(handlers(), () => new FakeSocket(false));
    later.connect('ws://x/api/meetings/123456789/ws', { name: 'Me', publicKey: ME.publicKey }, opening);
    expect(opening.json()).toEqual([]);
    opening.open();
    expect(opening.json()).toEqual([{ type: 'join', name: 'Me', publicKey: ME.publicKey }]);
  });

  it('sends join on open and becomes joined on welcome', () => {
    const { socket, h, room } = setup();
    expect(socket.json()).toEqual([{ type: 'join', name: 'Me', publicKey: ME.publicKey, hostKey: 'secret' }]);
    expect(room.status).toBe('connecting');
    socket.deliver(welcome([ANN]));
    expect(room.status).toBe('joined');
    expect(room.roster.self?.id).toBe(ME.id);
    expect(room.grant?.ticket).toBe('tkt');
    expect(h.calls.map((c) => c[0])).toEqual(['welcome']);
  });

  it('relays joins, leaves, key blobs and media state', () => {
    const { socket, h, room } = setup();
    socket.deliver(welcome([ANN]));
    socket.deliver(JSON.stringify({ type: 'participant-joined', participant: BOB }));
    socket.deliver(JSON.stringify({ type: 'key-blob', from: BOB.id, epoch: 3, blob: 'A'.repeat(80) }));
    socket.deliver(JSON.stringify({ type: 'media-state', id: BOB.id, audio: false, video: false }));
    socket.deliver(JSON.stringify({ type: 'participant-left', id: ANN.id, reason: 'left' }));
    expect(h.calls.slice(1)).toEqual([
      ['participantJoined', BOB],
      ['keyBlob', BOB.id, 3, 'A'.repeat(80)],
      ['participantLeft', ANN, ANN.id, 'left'],
    ]);
    expect(room.roster.others).toEqual([{ ...BOB, audio: false, video: false }]);
  });

  it('keeps an away participant in place, marked away, and brings it back with its new keys: no leave, no join', () => {
    const { socket, h, room } = setup();
    socket.deliver(welcome([ANN, { ...BOB, away: true }]));
    expect(room.roster.get(BOB.id)?.away).toBe(true);
    socket.deliver(JSON.stringify({ type: 'participant-away', id: ANN.id }));
    expect(room.roster.others.map((p) => [p.id, p.away])).toEqual([
      [ANN.id, true],
      [BOB.id, true],
    ]);
    const annBack = { ...ANN, index: 7, publicKey: key('Z') };
    socket.deliver(JSON.stringify({ type: 'participant-back', participant: annBack }));
    expect(room.roster.others).toEqual([annBack, { ...BOB, away: true }]);
    expect(h.calls.slice(1)).toEqual([
      ['participantUpdated', { ...ANN, away: true }, { ...ANN, away: undefined }],
      ['participantBack', annBack, { ...ANN, away: true }],
    ]);
    // Unknown ids change nothing; a malformed away is dropped.
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    socket.deliver(JSON.stringify({ type: 'participant-away', id: 'nobody-0001' }));
    socket.deliver(JSON.stringify({ type: 'participant-away' }));
    socket.deliver(JSON.stringify({ type: 'participant-back', participant: { ...BOB, away: false } }));
    expect(h.calls).toHaveLength(3);
    expect(room.roster.others).toHaveLength(2);
  });

  it('ignores pong and drops what does not parse, changing nothing', () => {
    const { socket, h, room } = setup();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    socket.deliver('pong');
    socket.deliver('{"type":"welcome"}');
    socket.deliver(JSON.stringify({ type: 'participant-joined', participant: { ...BOB, publicKey: 'short' } }));
    socket.deliver(JSON.stringify({ type: 'surprise' }));
    socket.deliver(new ArrayBuffer(4));
    expect(h.calls).toEqual([]);
    expect(room.status).toBe('connecting');
    expect(warn).toHaveBeenCalledTimes(4);
  });

  it('an error before welcome is fatal; after welcome it is not', () => {
    const a = setup();
    a.socket.deliver(JSON.stringify({ type: 'error', code: 'wrong_password', message: 'no' }));
    expect(a.room.status).toBe('failed');
    expect(a.h.calls).toEqual([['error', 'wrong_password', 'no', true, { type: 'error', code: 'wrong_password', message: 'no' }]]);

    const b = setup();
    b.socket.deliver(welcome([]));
    b.socket.deliver(JSON.stringify({ type: 'error', code: 'forbidden', message: 'no' }));
    expect(b.room.status).toBe('joined');
    expect(b.h.calls[1]).toEqual(['error', 'forbidden', 'no', false, { type: 'error', code: 'forbidden', message: 'no' }]);
    // A refused file chunk says which transfer and where to resume; that reaches the handler.
    const refusal = { type: 'error', code: 'rate_limited', message: 'slow down', retryAfter: 1, file: { id: 'file-0001', next: 7 } };
    b.socket.deliver(JSON.stringify(refusal));
    expect(b.h.calls[2]).toEqual(['error', 'rate_limited', 'slow down', false, refusal]);
  });

  it('pings every 20 s and asks for a ticket a minute before expiry', () => {
    vi.useFakeTimers();
    vi.setSystemTime(1_800_000_000_000);
    const { socket, h } = setup();
    socket.deliver(welcome([], grant(1_800_000_000 + 300)));
    vi.advanceTimersByTime(KEEPALIVE_MS);
    expect(socket.sent.filter((s) => s === 'ping')).toHaveLength(1);
    // The room answers every ping.
    for (let t = KEEPALIVE_MS; t < 240_000; t += KEEPALIVE_MS) {
      socket.deliver('pong');
      vi.advanceTimersByTime(KEEPALIVE_MS);
    }
    expect(socket.json().at(-1)).toEqual({ type: 'ticket' });
    socket.deliver(JSON.stringify({ type: 'ticket', origin: grant(1_800_000_000 + 600) }));
    expect(h.calls.at(-1)?.[0]).toBe('ticket');
    expect(h.calls.some((c) => c[0] === 'closed')).toBe(false);
  });

  it('gives a socket up when a ping goes unanswered for a whole keepalive period, and reports it closed', () => {
    vi.useFakeTimers();
    try {
      const { socket, h, room } = setup();
      socket.deliver(welcome([]));
      vi.advanceTimersByTime(KEEPALIVE_MS);
      socket.deliver('pong');
      vi.advanceTimersByTime(KEEPALIVE_MS);
      expect(socket.sent.filter((s) => s === 'ping')).toHaveLength(2);
      expect(h.calls.some((c) => c[0] === 'closed')).toBe(false);
      // The link died without a reset: no pong, no close event, ever.
      vi.advanceTimersByTime(KEEPALIVE_MS);
      expect(h.calls.filter((c) => c[0] === 'closed')).toEqual([['closed', SILENT_CLOSE, true]]);
      expect(socket.closedWith).toBe(SILENT_CLOSE);
      expect(room.status).toBe('closed');
      // Nothing more from the dead socket: no pings, no second report if it does close later.
      socket.drop(1006);
      vi.advanceTimersByTime(3 * KEEPALIVE_MS);
      expect(socket.sent.filter((s) => s === 'ping')).toHaveLength(2);
      expect(h.calls.filter((c) => c[0] === 'closed')).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('any frame from the room counts as an answer, not only a pong', () => {
    vi.useFakeTimers();
    try {
      const { socket, h } = setup();
      socket.deliver(welcome([]));
      for (let i = 0; i < 5; i++) {
        vi.advanceTimersByTime(KEEPALIVE_MS);
        socket.deliver(JSON.stringify({ type: 'media-state', id: 'ann-00001', audio: true, video: false }));
      }
      expect(h.calls.some((c) => c[0] === 'closed')).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('leave() says goodbye, closes, and reports no close', () => {
    const { socket, h, room } = setup();
    socket.deliver(welcome([]));
    room.leave();
    room.leave();
    expect(socket.json().at(-1)).toEqual({ type: 'leave' });
    expect(socket.closedWith).toBe(1000);
    expect(room.status).toBe('closed');
    expect(h.calls.map((c) => c[0])).toEqual(['welcome']);
  });

  it('waits in the waiting room, then is welcomed', () => {
    const { socket, h, room } = setup();
    socket.deliver(JSON.stringify({ type: 'waiting', reason: 'waiting-room' }));
    expect(room.status).toBe('waiting');
    socket.deliver(welcome([]));
    expect(room.status).toBe('joined');
    expect(h.calls.map((c) => c[0])).toEqual(['waiting', 'welcome']);
  });

  it('a closed message ends the session without a close callback', () => {
    const { socket, h, room } = setup();
    socket.deliver(welcome([]));
    socket.deliver(JSON.stringify({ type: 'closed', reason: 'removed' }));
    socket.drop(1000);
    expect(room.status).toBe('closed');
    expect(h.calls.slice(1)).toEqual([['ended', 'removed']]);
  });

  it('hands chat, reactions and host requests on unchanged', () => {
    const { socket, h } = setup();
    socket.deliver(welcome([ANN]));
    const chat = { type: 'chat', id: 1, from: ANN.id, to: null, at: 5, envelope: 'B'.repeat(40) };
    const forced = { type: 'forced', what: 'mute', by: ANN.id };
    socket.deliver(JSON.stringify(chat));
    socket.deliver(JSON.stringify(forced));
    expect(h.calls.slice(1)).toEqual([
      ['event', chat],
      ['event', forced],
    ]);
  });

  it("muted-all mutes every participant, sets the unmute default, and is the muted participant's forced notice", () => {
    const { socket, h, room } = setup();
    const host = person('host-0009', 9, { role: 'host' });
    socket.deliver(JSON.stringify({ ...welcomeMsg([host, BOB]), self: ANN, origin: null }));
    socket.deliver(JSON.stringify({ type: 'muted-all', by: host.id, allowUnmute: false }));
    expect(room.roster.self).toMatchObject({ id: ANN.id, audio: false, permissions: { unmute: false } });
    expect(room.roster.get(BOB.id)).toMatchObject({ audio: false, permissions: { unmute: false } });
    expect(room.roster.get(host.id)).toMatchObject({ audio: true, permissions: { unmute: true } });
    expect(room.roster.state?.settings.allowUnmute).toBe(false);
    expect(h.calls.filter((c) => c[0] === 'event')).toEqual([['event', { type: 'forced', what: 'mute', by: host.id }]]);
  });

  it('muted-all tells a host nothing to obey', () => {
    const { socket, h, room } = setup();
    socket.deliver(welcome([ANN]));
    socket.deliver(JSON.stringify({ type: 'muted-all', by: ME.id, allowUnmute: true }));
    expect(room.roster.get(ANN.id)).toMatchObject({ audio: false });
    expect(room.roster.self?.audio).toBe(true);
    expect(h.calls.filter((c) => c[0] === 'event')).toEqual([]);
  });

  it('reports an unexpected close with whether it had joined', () => {
    const { socket, h } = setup();
    socket.deliver(welcome([]));
    socket.drop(1006);
    expect(h.calls.at(-1)).toEqual(['closed', 1006, true]);
  });
});
