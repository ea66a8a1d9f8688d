import { DEFAULT_SETTINGS, type MeetingSettings } from '@sealroom/protocol';
import { describe, expect, it } from 'vitest';
import { RESUME_GRACE_MS } from './identity.ts';
import {
  type Conn,
  type DecideContext,
  type DepartedRecord,
  type Effect,
  type MemberRecord,
  NO_BREAKOUT,
  type RoomData,
  type WaitingRecord,
  away,
  decide,
  departure,
  expireAway,
  participantOf,
  roomState,
} from './machine.ts';

const pk = 'A'.repeat(43);
const perms = { share: true, chat: true, unmute: true, rename: true, record: true };
function member(id: string, role: MemberRecord['role'] = 'participant', over: Partial<MemberRecord> = {}): MemberRecord {
  return {
    id,
    index: id.length,
    name: id,
    role,
    publicKey: pk,
    audio: false,
    video: false,
    sharing: false,
    recording: false,
    handRaisedAt: null,
    permissions: perms,
    breakout: null,
    clientId: `client-${id}-0000000`,
    ip: '10.0.0.1',
    joinedAt: 1,
    resumeHash: `resume-${id}`,
    userId: null,
    restricted: [],
    ...over,
  };
}
function room(members: MemberRecord[], over: Partial<Omit<RoomData, 'settings'>> & { settings?: Partial<MeetingSettings> } = {}): RoomData {
  return {
    meetingId: '123456789',
    topic: '',
    locked: false,
    spotlight: null,
    ended: false,
    waiting: new Map<string, WaitingRecord>(),
    banned: new Map(),
    departed: new Map(),
    denied: [],
    files: new Map(),
    breakout: NO_BREAKOUT,
    ...over,
    settings: { ...DEFAULT_SETTINGS, ...over.settings },
    members: new Map(members.map((m) => [m.id, m])),
  };
}
const ctx = (over: Partial<DecideContext> = {}): DecideContext => ({
  now: 1000,
  newParticipantId: () => 'newcomer-0001',
  nextSenderIndex: () => 7,
  hostKeyValid: false,
  password: 'none',
  allow: () => true,
  maxParticipants: 1000,
  allowAnonymous: true,
  signedIn: false,
  userId: null,
  resumeHash: null,
  newResume: () => ({ secret: 'S'.repeat(43), hash: 'fresh-resume-hash' }),
  maxFileBytes: 100 * 1024 * 1024,
  ...over,
});
const as = (m: MemberRecord): Conn => ({ status: 'member', id: m.id, ip: m.ip });
const fresh: Conn = { status: 'new', ip: '10.0.0.9' };
const join = { type: 'join', name: 'Newcomer', publicKey: pk } as const;
const kinds = (fx: Effect[]) => fx.map((e) => e.kind);
const origin = (fx: Effect[]) => fx.flatMap((e) => (e.kind === 'origin' ? [e.control] : []));
const replyCode = (fx: Effect[]) => fx.flatMap((e) => (e.kind === 'reply' && e.msg.type === 'error' ? [e.msg.code] : []))[0];

const host = member('hosty-0001', 'host');
const alice = member('alice-0001');
const bob = member('bobby-0001');

describe('join gate', () => {
  it('admits with a fresh id and sender index and announces to the others', () => {
    const fx = decide(room([host]), fresh, join, ctx());
    expect(kinds(fx)).toEqual(['put-member', 'bind', 'welcome', 'broadcast']);
    expect(fx[0]).toMatchObject({ member: { id: 'newcomer-0001', index: 7, role: 'participant', name: 'Newcomer' } });
  });

  it.each([
    ['ended', room([host], { ended: true }), ctx(), 'meeting_ended'],
    ['locked', room([host], { locked: true }), ctx(), 'meeting_locked'],
    ['wrong password', room([host]), ctx({ password: 'wrong' }), 'wrong_password'],
    ['rate limited', room([host]), ctx({ password: { retryAfter: 42 } }), 'rate_limited'],
    ['invalid host key', room([host]), ctx(), 'forbidden'],
  ] as const)('refuses when %s, audits it, and changes nothing', (what, r, c, code) => {
    const fx = decide(r, fresh, { ...join, ...(what === 'invalid host key' ? { hostKey: 'nope' } : {}) }, c);
    expect(replyCode(fx)).toBe(code);
    expect(kinds(fx)).toEqual(['audit', 'reply']);
  });

  it('refuses a joiner beyond the tier’s participant limit, hosts included in the count', () => {
    const fx = decide(room([host, alice]), fresh, join, ctx({ maxParticipants: 2 }));
    expect(replyCode(fx)).toBe('meeting_full');
    expect(kinds(decide(room([host]), fresh, join, ctx({ maxParticipants: 2 })))).toContain('welcome');
  });

  it('refuses a joiner without an account when the owner’s organization requires sign-in', () => {
    expect(replyCode(decide(room([host]), fresh, join, ctx({ allowAnonymous: false })))).toBe('forbidden');
    expect(kinds(decide(room([host]), fresh, join, ctx({ allowAnonymous: false, signedIn: true })))).toContain('welcome');
  });

  it('gives the retry-after of a rate-limited password', () => {
    const fx = decide(room([host]), fresh, join, ctx({ password: { retryAfter: 42 } }));
    expect(fx[1]).toMatchObject({ msg: { code: 'rate_limited', retryAfter: 42 } });
  });

  it('lets a valid host key through a lock and makes its holder host, or co-host when a host is present', () => {
    expect(decide(room([], { locked: true }), fresh, { ...join, hostKey: 'k' }, ctx({ hostKeyValid: true }))[0]).toMatchObject({ member: { role: 'host' } });
    expect(decide(room([host]), fresh, { ...join, hostKey: 'k' }, ctx({ hostKeyValid: true }))[0]).toMatchObject({ member: { role: 'cohost' } });
  });

  it('refuses someone the host removed, by their client id', () => {
    const r = room([host], { banned: new Map([['gone-000001', { id: 'gone-000001', clientId: 'client-gone-00000000', name: 'x', at: 1 }]]) });
    expect(replyCode(decide(r, fresh, { ...join, clientId: 'client-gone-00000000' }, ctx()))).toBe('removed');
  });

  it('holds joiners in the waiting room and tells hosts', () => {
    const fx = decide(room([host], { settings: { waitingRoom: true } }), fresh, join, ctx());
    expect(kinds(fx)).toEqual(['put-waiting', 'bind', 'reply', 'waiting-list']);
    expect(fx[2]).toMatchObject({ msg: { type: 'waiting', reason: 'waiting-room' } });
  });

  it('holds joiners until a host arrives when join-before-host is off, then lets them in', () => {
    const r = room([], { settings: { joinBeforeHost: false } });
    const fx = decide(r, fresh, join, ctx());
    expect(fx[2]).toMatchObject({ msg: { type: 'waiting', reason: 'no-host' } });
    const w: WaitingRecord = {
      id: 'waiter-0001',
      name: 'W',
      since: 1,
      publicKey: pk,
      clientId: null,
      userId: null,
      resumeHash: null,
      ip: '',
      reason: 'no-host',
    };
    const r2 = room([], { settings: { joinBeforeHost: false }, waiting: new Map([[w.id, w]]) });
    const hostFx = decide(r2, fresh, { ...join, hostKey: 'k' }, ctx({ hostKeyValid: true, newParticipantId: () => 'thehost-0001' }));
    expect(hostFx).toContainEqual({ kind: 'del-waiting', id: 'waiter-0001' });
    expect(hostFx).toContainEqual(expect.objectContaining({ kind: 'welcome', id: 'waiter-0001', resumed: false }));
  });

  it('mutes on entry on the origin too when participants may not unmute', () => {
    const fx = decide(room([host], { settings: { allowUnmute: false } }), fresh, join, ctx());
    expect(origin(fx)).toContainEqual({ action: 'pauseSource', meetingId: '123456789', participantId: 'newcomer-0001', source: 'audio' });
  });
});

describe('host controls', () => {
  it('mute pauses the producer on the origin and tells the participant', () => {
    const fx = decide(room([host, alice]), as(host), { type: 'host', command: { action: 'mute', target: alice.id } }, ctx());
    expect(origin(fx)).toEqual([{ action: 'pauseSource', meetingId: '123456789', participantId: alice.id, source: 'audio' }]);
    expect(fx).toContainEqual({ kind: 'send', to: alice.id, msg: { type: 'forced', what: 'mute', by: host.id } });
    expect(fx.at(-1)).toMatchObject({ kind: 'audit', action: 'mute', result: 'ok', actor: host.id });
  });

  it('mute-all without the right to unmute: a participant cannot unmute, and the origin keeps them paused', () => {
    const r = room([host, alice, bob]);
    const fx = decide(r, as(host), { type: 'host', command: { action: 'mute-all', allowUnmute: false } }, ctx());
    expect(origin(fx).map((c) => 'participantId' in c && c.participantId)).toEqual([alice.id, bob.id]);
    expect(fx).toContainEqual({ kind: 'broadcast', to: 'members', except: null, msg: { type: 'muted-all', by: host.id, allowUnmute: false } });
    // That one frame is all anyone is sent: no per-participant notice, no separate room-state.
    expect(fx.filter((e) => e.kind === 'send' || e.kind === 'broadcast')).toHaveLength(1);
    expect(fx).toContainEqual({ kind: 'room', patch: { settings: { ...r.settings, allowUnmute: false } } });
    const mutedAlice = fx.flatMap((e) => (e.kind === 'put-member' && e.member.id === alice.id ? [e.member] : [])).at(-1)!;
    expect(mutedAlice.permissions.unmute).toBe(false);
    const tryUnmute = decide(room([host, mutedAlice]), as(mutedAlice), { type: 'media-state', audio: true, video: false }, ctx());
    expect(replyCode(tryUnmute)).toBe('forbidden');
    expect(origin(tryUnmute)).toEqual([]);
  });

  it('ask-unmute grants the right and asks; it never unmutes', () => {
    const muted = { ...alice, permissions: { ...perms, unmute: false } };
    const fx = decide(room([host, muted]), as(host), { type: 'host', command: { action: 'ask-unmute', target: alice.id } }, ctx());
    expect(fx).toContainEqual({ kind: 'send', to: alice.id, msg: { type: 'ask-unmute', from: host.id } });
    expect(origin(fx)).toEqual([]);
    expect(fx.find((e) => e.kind === 'put-member')).toMatchObject({ member: { audio: false, permissions: { unmute: true } } });
  });

  it('remove bans, closes, announces, and drops the participant at the origin', () => {
    const fx = decide(room([host, alice]), as(host), { type: 'host', command: { action: 'remove', target: alice.id } }, ctx());
    expect(kinds(fx)).toEqual(['ban', 'send', 'del-member', 'broadcast', 'origin', 'close', 'audit']);
    expect(origin(fx)).toEqual([{ action: 'closeParticipant', meetingId: '123456789', participantId: alice.id }]);
  });

  it('a co-host cannot act on the host, and cannot end the meeting', () => {
    const co = member('cohos-0001', 'cohost');
    expect(replyCode(decide(room([host, co]), as(co), { type: 'host', command: { action: 'mute', target: host.id } }, ctx()))).toBe('forbidden');
    expect(replyCode(decide(room([host, co]), as(co), { type: 'host', command: { action: 'end' } }, ctx()))).toBe('forbidden');
    expect(kinds(decide(room([host, co, alice]), as(co), { type: 'host', command: { action: 'mute', target: alice.id } }, ctx()))).toContain('origin');
  });

  it('hand-over makes the target host and the old host co-host', () => {
    const fx = decide(room([host, alice]), as(host), { type: 'host', command: { action: 'hand-over', target: alice.id } }, ctx());
    const roles = Object.fromEntries(fx.flatMap((e) => (e.kind === 'put-member' ? [[e.member.id, e.member.role]] : [])));
    expect(roles).toEqual({ [host.id]: 'cohost', [alice.id]: 'host' });
  });

  it('revoking share stops a current share on the origin', () => {
    const sharing = { ...alice, sharing: true };
    const fx = decide(
      room([host, sharing]),
      as(host),
      { type: 'host', command: { action: 'set-permission', target: alice.id, permission: 'share', allowed: false } },
      ctx(),
    );
    expect(origin(fx)).toEqual([{ action: 'pauseSource', meetingId: '123456789', participantId: alice.id, source: 'screen' }]);
  });

  it('one sharer at a time unless the host allows several', () => {
    const sharing = { ...alice, sharing: true };
    expect(replyCode(decide(room([host, sharing, bob]), as(bob), { type: 'share', on: true }, ctx()))).toBe('forbidden');
    expect(replyCode(decide(room([host, sharing, bob], { settings: { multiShare: true } }), as(bob), { type: 'share', on: true }, ctx()))).toBeUndefined();
  });
});

describe('chat, hands, reactions', () => {
  it('relays chat to one participant only, sealed as it came', () => {
    const fx = decide(room([host, alice, bob]), as(alice), { type: 'chat', to: bob.id, envelope: 'E'.repeat(40) }, ctx());
    expect(fx).toEqual([{ kind: 'send', to: bob.id, msg: { type: 'chat', id: 1000, from: alice.id, to: bob.id, at: 1000, envelope: 'E'.repeat(40) } }]);
  });

  it('refuses chat when the host turned it off, or when sent too fast', () => {
    const muted = { ...alice, permissions: { ...perms, chat: false } };
    expect(replyCode(decide(room([host, muted]), as(muted), { type: 'chat', to: null, envelope: 'E'.repeat(40) }, ctx()))).toBe('forbidden');
    expect(replyCode(decide(room([host, alice]), as(alice), { type: 'chat', to: null, envelope: 'E'.repeat(40) }, ctx({ allow: () => false })))).toBe(
      'rate_limited',
    );
  });

  it('keeps the time a hand went up, so hosts see hands in order', () => {
    const fx = decide(room([alice]), as(alice), { type: 'hand', raised: true }, ctx({ now: 555 }));
    expect(fx[0]).toMatchObject({ member: { handRaisedAt: 555 } });
    const up = { ...alice, handRaisedAt: 100 };
    expect(decide(room([up]), as(up), { type: 'hand', raised: true }, ctx({ now: 999 }))[0]).toMatchObject({ member: { handRaisedAt: 100 } });
  });
});

describe('departure', () => {
  it('passes the host role to the longest-serving co-host', () => {
    const c1 = member('cohos-0001', 'cohost', { joinedAt: 5 });
    const c2 = member('cohos-0002', 'cohost', { joinedAt: 3 });
    const fx = departure(room([host, c1, c2]), host, 'left', 1000);
    expect(fx).toContainEqual(expect.objectContaining({ kind: 'put-member', member: expect.objectContaining({ id: c2.id, role: 'host' }) }));
  });
});

describe('coalescing one action’s updates', async () => {
  const { coalesce } = await import('./machine.ts');
  it('folds many participant-updated broadcasts into one frame where the first was', () => {
    const a2 = { ...alice, audio: false };
    const fx: Effect[] = [
      { kind: 'put-member', member: alice },
      { kind: 'broadcast', to: 'members', except: null, msg: { type: 'participant-updated', participant: { ...alice, clientId: undefined } as never } },
      { kind: 'send', to: alice.id, msg: { type: 'forced', what: 'mute', by: host.id } },
      { kind: 'broadcast', to: 'members', except: null, msg: { type: 'participant-updated', participant: bob as never } },
      { kind: 'broadcast', to: 'members', except: null, msg: { type: 'participant-updated', participant: a2 as never } },
    ];
    const out = coalesce(fx);
    expect(out.map((e) => e.kind)).toEqual(['put-member', 'broadcast', 'send']);
    expect(out[1]).toMatchObject({ msg: { type: 'participants-updated', participants: [a2, bob] } });
  });

  it('leaves a single update alone', () => {
    const fx: Effect[] = [{ kind: 'broadcast', to: 'members', except: null, msg: { type: 'participant-updated', participant: alice as never } }];
    expect(coalesce(fx)).toBe(fx);
  });
});

describe('recording is announced', () => {
  const noRecord = { ...perms, record: false };
  const updatedOf = (fx: Effect[]) => fx.flatMap((e) => (e.kind === 'broadcast' && e.msg.type === 'participant-updated' ? [e.msg.participant] : []));

  it('a new participant may not record until the host allows it; hosts may', () => {
    const fx = decide(room([host]), fresh, join, ctx());
    expect(fx[0]).toMatchObject({ member: { recording: false, permissions: { record: false } } });
    const hostFx = decide(room([]), fresh, { ...join, hostKey: 'k' }, ctx({ hostKeyValid: true }));
    expect(hostFx[0]).toMatchObject({ member: { role: 'host', permissions: { record: true } } });
  });

  it('refuses a participant without the right and changes nothing', () => {
    const a = member('alice-0001', 'participant', { permissions: noRecord });
    const fx = decide(room([host, a]), as(a), { type: 'record', on: true }, ctx());
    expect(replyCode(fx)).toBe('forbidden');
    expect(kinds(fx)).toEqual(['reply']);
  });

  it('start and stop go into the member record and out to everyone, with an audit line', () => {
    const fx = decide(room([host, alice]), as(alice), { type: 'record', on: true }, ctx());
    expect(fx[0]).toEqual({ kind: 'put-member', member: { ...alice, recording: true } });
    expect(updatedOf(fx)).toEqual([expect.objectContaining({ id: alice.id, recording: true })]);
    expect(fx.find((e) => e.kind === 'broadcast')).toMatchObject({ to: 'members', except: null });
    expect(fx.find((e) => e.kind === 'audit')).toMatchObject({ action: 'record-start', actor: alice.id, result: 'ok' });
    const on = { ...alice, recording: true };
    const off = decide(room([host, on]), as(on), { type: 'record', on: false }, ctx());
    expect(updatedOf(off)).toEqual([expect.objectContaining({ id: alice.id, recording: false })]);
    // Saying it twice changes nothing and tells nobody.
    expect(decide(room([host, on]), as(on), { type: 'record', on: true }, ctx())).toEqual([]);
  });

  it('stopping is always allowed; toggling is rate-limited', () => {
    const on = member('alice-0001', 'participant', { permissions: noRecord, recording: true });
    expect(updatedOf(decide(room([host, on]), as(on), { type: 'record', on: false }, ctx()))[0]).toMatchObject({ recording: false });
    expect(replyCode(decide(room([host, alice]), as(alice), { type: 'record', on: true }, ctx({ allow: () => false })))).toBe('rate_limited');
  });

  it('the host grants the right; taking it away stops the recording and tells the recorder', () => {
    const a = member('alice-0001', 'participant', { permissions: noRecord });
    const grant = decide(
      room([host, a]),
      as(host),
      { type: 'host', command: { action: 'set-permission', target: a.id, permission: 'record', allowed: true } },
      ctx(),
    );
    expect(updatedOf(grant)[0]).toMatchObject({ id: a.id, permissions: { record: true } });
    const on = { ...a, permissions: perms, recording: true };
    const revoke = decide(
      room([host, on]),
      as(host),
      { type: 'host', command: { action: 'set-permission', target: a.id, permission: 'record', allowed: false } },
      ctx(),
    );
    expect(updatedOf(revoke)[0]).toMatchObject({ id: a.id, recording: false, permissions: { record: false } });
    expect(revoke).toContainEqual({ kind: 'send', to: a.id, msg: { type: 'forced', what: 'stop-recording', by: host.id } });
    // Only hosts grant it.
    expect(
      replyCode(
        decide(
          room([host, alice, a]),
          as(alice),
          { type: 'host', command: { action: 'set-permission', target: a.id, permission: 'record', allowed: true } },
          ctx(),
        ),
      ),
    ).toBe('forbidden');
  });

  it('a recorder who leaves takes the indicator with them', () => {
    const on = { ...alice, recording: true };
    const fx = departure(room([host, on]), on, 'disconnected', 1000);
    expect(fx[0]).toEqual({ kind: 'del-member', id: alice.id });
    expect(fx).toContainEqual(expect.objectContaining({ msg: { type: 'participant-left', id: alice.id, reason: 'disconnected' } }));
  });
});

describe('file relay (files.ts): strictly in order, resumable after a refusal', () => {
  const carol = member('carol-0001');
  const transfer = (next: number) => ({ id: 'file-0005', from: alice.id, to: null, chunks: 5, accepted: new Set([bob.id]), next });
  const withFile = (next: number) => room([host, alice, bob, carol], { files: new Map([['file-0005', transfer(next)]]) });
  const chunk = (index: number) => ({ type: 'file-chunk', id: 'file-0005', index, data: 'c'.repeat(32) }) as const;
  const counting = (ok: boolean) => {
    const taken: string[] = [];
    return { taken, c: ctx({ allow: (_id, bucket) => (taken.push(bucket), ok) }) };
  };

  it('a rate-limited chunk names the transfer and the chunk to resend, relays nothing and changes nothing', () => {
    const { taken, c } = counting(false);
    const fx = decide(withFile(2), as(alice), chunk(2), c);
    expect(fx).toEqual([
      { kind: 'reply', msg: { type: 'error', code: 'rate_limited', message: expect.any(String), retryAfter: 1, file: { id: 'file-0005', next: 2 } } },
    ]);
    expect(taken).toEqual(['file-chunk']);
  });

  it('a chunk behind a refused one is refused too, without using the rate budget', () => {
    const { taken, c } = counting(true);
    for (const index of [3, 1]) {
      const fx = decide(withFile(2), as(alice), chunk(index), c);
      expect(fx).toEqual([{ kind: 'reply', msg: { type: 'error', code: 'bad_message', message: 'expected chunk 2', file: { id: 'file-0005', next: 2 } } }]);
    }
    expect(taken).toEqual([]);
  });

  it('the expected chunk moves the stream on and reaches those who accepted; the last one ends the transfer', () => {
    const fx = decide(withFile(2), as(alice), chunk(2), ctx());
    expect(fx).toEqual([
      { kind: 'put-file', file: transfer(3) },
      { kind: 'send', to: bob.id, msg: { ...chunk(2), from: alice.id } },
    ]);
    expect(kinds(decide(withFile(4), as(alice), chunk(4), ctx()))).toEqual(['put-file', 'send', 'del-file']);
  });

  it('an accept once chunks flow is refused (its stream would lack a start); a decline still goes through', () => {
    const fx = decide(withFile(1), as(carol), { type: 'file-answer', id: 'file-0005', from: alice.id, accept: true }, ctx());
    expect(fx).toEqual([{ kind: 'reply', msg: { type: 'error', code: 'not_found', message: 'that transfer has already started', file: { id: 'file-0005' } } }]);
    expect(kinds(decide(withFile(0), as(carol), { type: 'file-answer', id: 'file-0005', from: alice.id, accept: true }, ctx()))).toEqual(['put-file', 'send']);
    expect(kinds(decide(withFile(1), as(carol), { type: 'file-answer', id: 'file-0005', from: alice.id, accept: false }, ctx()))).toEqual(['put-file', 'send']);
  });
});

describe('seats and identities (identity.ts)', () => {
  const dropped = (over: Partial<DepartedRecord> = {}): DepartedRecord => ({
    id: 'alice-0001',
    resumeHash: 'resume-alice',
    userId: null,
    clientId: 'client-alice-0001',
    role: 'cohost',
    permissions: { ...perms, chat: false },
    restricted: ['chat'],
    breakout: null,
    handRaisedAt: 500,
    leftAt: 1000,
    reason: 'disconnected',
    ...over,
  });
  const withDeparted = (d: DepartedRecord, over: Partial<Omit<RoomData, 'settings'>> = {}) => room([host], { departed: new Map([[d.id, d]]), ...over });

  it('resumes a dropped seat within the grace window, past the lock, as the same participant', () => {
    const fx = decide(withDeparted(dropped(), { locked: true }), fresh, join, ctx({ now: 1000 + RESUME_GRACE_MS - 1, resumeHash: 'resume-alice' }));
    expect(fx).toContainEqual({ kind: 'del-departed', id: 'alice-0001' });
    expect(fx).toContainEqual(
      expect.objectContaining({
        kind: 'put-member',
        member: expect.objectContaining({ id: 'alice-0001', role: 'cohost', handRaisedAt: 500, resumeHash: 'fresh-resume-hash' }),
      }),
    );
    expect(fx).toContainEqual(expect.objectContaining({ kind: 'welcome', id: 'alice-0001', resumed: true }));
  });

  it('after the grace window the secret is a fresh join: the lock holds, the restriction still follows', () => {
    const late = ctx({ now: 1000 + RESUME_GRACE_MS, resumeHash: 'resume-alice' });
    expect(replyCode(decide(withDeparted(dropped(), { locked: true }), fresh, join, late))).toBe('meeting_locked');
    const fx = decide(withDeparted(dropped()), fresh, join, late);
    expect(fx[0]).toMatchObject({
      kind: 'put-member',
      member: { id: 'newcomer-0001', role: 'participant', permissions: { chat: false, unmute: true }, restricted: ['chat'] },
    });
  });

  it('a seat that left on purpose is not resumed, and a removed identity is refused by any handle', () => {
    expect(kinds(decide(withDeparted(dropped({ reason: 'left' })), fresh, join, ctx({ resumeHash: 'resume-alice' })))).not.toContain('del-departed');
    const banned = room([host], {
      banned: new Map([['gone-000001', { id: 'gone-000001', resumeHash: 'resume-gone', userId: 'user-gone', clientId: null, name: 'x', at: 1 }]]),
    });
    expect(replyCode(decide(banned, fresh, join, ctx({ resumeHash: 'resume-gone' })))).toBe('removed');
    expect(replyCode(decide(banned, fresh, join, ctx({ userId: 'user-gone' })))).toBe('removed');
    expect(kinds(decide(banned, fresh, join, ctx({ userId: 'someone-else' })))).toContain('welcome');
  });

  it('a device key can only take away: it carries a restriction but never a role', () => {
    const fx = decide(withDeparted(dropped({ resumeHash: 'other' })), fresh, { ...join, clientId: 'client-alice-0001' }, ctx());
    expect(fx[0]).toMatchObject({ kind: 'put-member', member: { role: 'participant', permissions: { chat: false } } });
  });
});

describe('a dropped connection holds the seat (away)', () => {
  const messages = (fx: Effect[]) => fx.flatMap((e) => (e.kind === 'broadcast' ? [e.msg] : []));
  const heldAlice = { ...alice, role: 'cohost' as const, handRaisedAt: 500, breakout: null, awaySince: 1000 };

  it('keeps the member, tells the others it is away, and wakes the room when the hold runs out', () => {
    const fx = away(room([host, alice]), alice, 1000);
    expect(fx).toContainEqual({ kind: 'put-member', member: { ...alice, awaySince: 1000 } });
    expect(fx).toContainEqual({ kind: 'broadcast', to: 'members', except: alice.id, msg: { type: 'participant-away', id: alice.id } });
    expect(fx).toContainEqual({ kind: 'schedule', at: 1000 + RESUME_GRACE_MS });
    expect(kinds(fx)).not.toContain('del-member');
    expect(kinds(fx)).not.toContain('put-departed');
    expect(messages(fx).map((m) => m.type)).not.toContain('participant-left');
    // Its media and its place in the key group are left alone.
    expect(origin(fx)).toEqual([]);
    expect(participantOf({ ...alice, awaySince: 1000 })).toMatchObject({ id: alice.id, away: true });
    expect(participantOf(alice)).not.toHaveProperty('away');
    expect(away(room([host, { ...alice, awaySince: 1000 }]), { ...alice, awaySince: 1000 }, 2000)).toEqual([]);
  });

  it('an away seat still counts toward the meeting’s size', () => {
    const fx = decide(room([host, { ...alice, awaySince: 1000 }]), fresh, join, ctx({ maxParticipants: 2 }));
    expect(replyCode(fx)).toBe('meeting_full');
  });

  it('a resume within the window comes back as the same seat: back, not left and joined', () => {
    const r = room([host, heldAlice], { locked: true });
    const fx = decide(r, fresh, join, ctx({ now: 1000 + RESUME_GRACE_MS - 1, resumeHash: heldAlice.resumeHash }));
    expect(fx).toContainEqual(expect.objectContaining({ kind: 'welcome', id: alice.id, resumed: true }));
    const back = messages(fx).find((m) => m.type === 'participant-back');
    expect(back).toMatchObject({ participant: { id: alice.id, role: 'cohost', handRaisedAt: 500, index: 7 } });
    expect(back).not.toHaveProperty('participant.away');
    expect(messages(fx).map((m) => m.type)).not.toContain('participant-joined');
    expect(messages(fx).map((m) => m.type)).not.toContain('participant-left');
    const seat = fx.findLast((e) => e.kind === 'put-member');
    expect(seat).toMatchObject({ member: { id: alice.id, resumeHash: 'fresh-resume-hash' } });
    expect(seat?.kind === 'put-member' && seat.member.awaySince).toBeFalsy();
  });

  it('once the window has passed, the secret no longer resumes the held seat', () => {
    const fx = decide(room([host, heldAlice]), fresh, join, ctx({ now: 1000 + RESUME_GRACE_MS, resumeHash: heldAlice.resumeHash }));
    expect(fx).toContainEqual(expect.objectContaining({ kind: 'welcome', id: 'newcomer-0001', resumed: false }));
  });

  it('the hold runs out: the seat departs as a dropped seat does, and cannot be resumed', () => {
    const r = room([host, heldAlice]);
    expect(expireAway(r, 1000 + RESUME_GRACE_MS - 1)).toEqual([]);
    const fx = expireAway(r, 1000 + RESUME_GRACE_MS + 5);
    expect(fx).toContainEqual({ kind: 'del-member', id: alice.id });
    expect(fx).toContainEqual({ kind: 'broadcast', to: 'members', except: alice.id, msg: { type: 'participant-left', id: alice.id, reason: 'disconnected' } });
    expect(origin(fx)).toContainEqual({ action: 'closeParticipant', meetingId: '123456789', participantId: alice.id });
    const record = fx.find((e) => e.kind === 'put-departed');
    // Its grace counted from the drop, so the departed record is already past it; restrictions stay.
    expect(record).toMatchObject({ record: { id: alice.id, leftAt: 1000, reason: 'disconnected' } });
    const departed = room([host], { departed: new Map([[alice.id, (record as Extract<Effect, { kind: 'put-departed' }>).record]]) });
    const again = decide(departed, fresh, join, ctx({ now: 1000 + RESUME_GRACE_MS + 5, resumeHash: heldAlice.resumeHash }));
    expect(again).toContainEqual(expect.objectContaining({ kind: 'welcome', id: 'newcomer-0001', resumed: false }));
  });

  it('a host can remove an away member: banned, announced, nothing to close but the seat', () => {
    const r = room([host, heldAlice]);
    const fx = decide(r, as(host), { type: 'host', command: { action: 'remove', target: alice.id } }, ctx());
    expect(fx).toContainEqual(expect.objectContaining({ kind: 'ban', ban: expect.objectContaining({ id: alice.id, resumeHash: heldAlice.resumeHash }) }));
    expect(fx).toContainEqual({ kind: 'broadcast', to: 'members', except: alice.id, msg: { type: 'participant-left', id: alice.id, reason: 'removed' } });
    expect(fx).toContainEqual({ kind: 'del-member', id: alice.id });
    const banned = room([host], {
      banned: new Map([[alice.id, { id: alice.id, resumeHash: heldAlice.resumeHash, userId: null, clientId: heldAlice.clientId, name: 'a', at: 1 }]]),
    });
    expect(replyCode(decide(banned, fresh, join, ctx({ resumeHash: heldAlice.resumeHash })))).toBe('removed');
  });

  it('an away host hands the meeting to a co-host who is here, and comes back as co-host', () => {
    const c1 = member('cohos-0001', 'cohost', { joinedAt: 5 });
    const c2 = member('cohos-0002', 'cohost', { joinedAt: 3, awaySince: 900 });
    const fx = away(room([host, c1, c2]), host, 1000);
    expect(fx).toContainEqual(expect.objectContaining({ kind: 'put-member', member: expect.objectContaining({ id: c1.id, role: 'host' }) }));
    expect(fx).toContainEqual(
      expect.objectContaining({ kind: 'put-member', member: expect.objectContaining({ id: host.id, role: 'cohost', awaySince: 1000 }) }),
    );
  });

  it('an away host with no co-host is not present: joiners wait for a host until it is back', () => {
    const heldHost = { ...host, awaySince: 1000 };
    const r = room([heldHost, alice], { settings: { joinBeforeHost: false } });
    expect(roomState(r).hostPresent).toBe(false);
    const knock = decide(r, fresh, join, ctx());
    expect(knock).toContainEqual({ kind: 'reply', msg: { type: 'waiting', reason: 'no-host' } });
    const waiter: WaitingRecord = {
      id: 'waiter-0001',
      name: 'W',
      since: 1,
      publicKey: pk,
      clientId: null,
      userId: null,
      resumeHash: null,
      ip: '',
      reason: 'no-host',
    };
    const withWaiter = room([heldHost, alice], { settings: { joinBeforeHost: false }, waiting: new Map([[waiter.id, waiter]]) });
    const back = decide(withWaiter, fresh, join, ctx({ now: 2000, resumeHash: host.resumeHash }));
    expect(back).toContainEqual(expect.objectContaining({ kind: 'welcome', id: host.id, resumed: true }));
    expect(back).toContainEqual(expect.objectContaining({ kind: 'welcome', id: 'waiter-0001', resumed: false }));
  });

  it('the host’s seat ending while another host is here promotes nobody', () => {
    const heldHost = { ...host, awaySince: 1000 };
    const newHost = member('hosty-0002', 'host');
    const c1 = member('cohos-0001', 'cohost');
    const fx = expireAway(room([heldHost, newHost, c1]), 1000 + RESUME_GRACE_MS);
    expect(fx).not.toContainEqual(expect.objectContaining({ kind: 'put-member', member: expect.objectContaining({ id: c1.id, role: 'host' }) }));
  });
});
