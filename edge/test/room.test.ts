import { TICKET_AUDIENCE, TICKET_ISSUER, TicketClaims, deriveInternalKey } from '@sealroom/protocol';
import { evictDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { jwtVerify } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { turnPassword } from '../src/origins/turn.ts';
import { TestClient, fakePublicKey, heartbeat, joined, newMeeting } from './helpers.ts';

// D1 is shared by the tests of a file: start each from no registered origin.
beforeEach(async () => {
  await env.DB.exec('DELETE FROM origins');
});

describe('Room: admission and roster', () => {
  it('welcomes a joiner with the roster and tells the others', async () => {
    await heartbeat();
    const m = await newMeeting();
    const a = await joined(m.id, 'Alice', 1, m.hostKey);
    expect(a.welcome.self.role).toBe('host');
    expect(a.welcome.participants).toEqual([]);
    const b = await joined(m.id, 'Bob', 2);
    expect(b.welcome.self.role).toBe('participant');
    expect(b.welcome.participants.map((p) => p.name)).toEqual(['Alice']);
    expect(b.welcome.self.index).not.toBe(a.welcome.self.index);
    const seen = await a.c.next('participant-joined');
    expect(seen.participant).toEqual(b.welcome.self);
  });

  it('hands out an origin ticket the origin can verify, bound to meeting and participant', async () => {
    await heartbeat();
    const m = await newMeeting();
    const { welcome } = await joined(m.id, 'Alice', 1);
    expect(welcome.origin?.url).toBe('ws://127.0.0.1:4443/ws?o=origin-a');
    const key = await deriveInternalKey(env.SEALROOM_SHARED_SECRET, 'ticket');
    const { payload } = await jwtVerify(welcome.origin!.ticket, key, { audience: TICKET_AUDIENCE, issuer: TICKET_ISSUER });
    const claims = TicketClaims.parse(payload);
    expect(claims).toMatchObject({ mid: m.id, sub: welcome.self.id, role: 'participant' });
    expect(claims.exp * 1000).toBe(welcome.origin!.expiresAt);
  });

  it('gives each participant TURN credentials of its own, valid for the TURN REST scheme and expiring', async () => {
    await heartbeat();
    const m = await newMeeting();
    const [a, b] = await Promise.all([joined(m.id, 'Alice', 1), joined(m.id, 'Bob', 2)]);
    for (const { welcome } of [a, b]) {
      const [turn] = welcome.origin!.iceServers!;
      expect(turn!.urls).toEqual(['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp']);
      const [expiry, who] = turn!.username!.split(':');
      expect(who).toBe(welcome.self.id);
      expect(Number(expiry)).toBeGreaterThan(Date.now() / 1000);
      expect(turn!.credential).toBe(turnPassword(env.TURN_SECRET!, turn!.username!));
      expect(welcome.origin!.iceTransportPolicy).toBeUndefined();
    }
    expect(a.welcome.origin!.iceServers![0]!.username).not.toBe(b.welcome.origin!.iceServers![0]!.username);
  });

  it("puts a meeting's media on an origin in its first joiner's region, and everyone after on the same one", async () => {
    await heartbeat('origin-weur', { region: 'weur' });
    await heartbeat('origin-apac', { region: 'apac', consumers: 200 });
    const m = await newMeeting();
    const first = await TestClient.connect(m.id, { 'x-sealroom-region': 'apac' });
    first.send({ type: 'join', name: 'Mei', publicKey: fakePublicKey(1), hostKey: m.hostKey });
    expect((await first.next('welcome')).origin!.url).toContain('o=origin-apac');
    const { welcome } = await joined(m.id, 'Bob', 2);
    expect(welcome.origin!.url).toContain('o=origin-apac');
    // A meeting whose first joiner is nowhere in particular goes to the least loaded.
    const other = await newMeeting();
    expect((await joined(other.id, 'Ann', 3, other.hostKey)).welcome.origin!.url).toContain('o=origin-weur');
  });

  it('tells sockets that have not joined where the media will go, the same origin their joins then name, and admits none of them', async () => {
    await heartbeat('origin-weur', { region: 'weur' });
    await heartbeat('origin-apac', { region: 'apac', consumers: 200 });
    const m = await newMeeting();
    // Three pre-join forms at once, from different regions: the meeting is placed once.
    const early = await Promise.all(['apac', 'weur', null].map((region) => TestClient.connect(m.id, region ? { 'x-sealroom-region': region } : {})));
    for (const c of early) c.send({ type: 'prepare' });
    const urls = (await Promise.all(early.map((c) => c.next('prepared')))).map((p) => p.origin);
    expect(new Set(urls).size).toBe(1);
    expect(urls[0]).toMatch(/^ws:\/\/127\.0\.0\.1:4443\/ws\?o=origin-(apac|weur)$/);
    // Preparing admitted nobody: the first to join is alone, and the rest are not in its roster.
    const host = await joined(m.id, 'Host', 9, m.hostKey);
    expect(host.welcome.participants).toEqual([]);
    expect(host.welcome.origin!.url).toBe(urls[0]);
    early[0]!.send({ type: 'join', name: 'Mei', publicKey: fakePublicKey(1) });
    expect((await early[0]!.next('welcome')).origin!.url).toBe(urls[0]);
    expect((await host.c.next('participant-joined')).participant.name).toBe('Mei');
    expect(await host.c.drain()).toEqual([]);
    // Only before the join.
    early[0]!.send({ type: 'prepare' });
    expect((await early[0]!.next('error')).code).toBe('already_joined');
  });

  it('answers a prepare with no origin when none is alive', async () => {
    const m = await newMeeting();
    const c = await TestClient.connect(m.id);
    c.send({ type: 'prepare' });
    expect((await c.next('prepared')).origin).toBeNull();
  });

  it('admits without an origin grant when no origin is alive', async () => {
    const m = await newMeeting();
    const { welcome } = await joined(m.id, 'Alice', 1);
    expect(welcome.origin).toBeNull();
  });

  it('refuses a wrong host key and admits nobody', async () => {
    const m = await newMeeting();
    const a = await joined(m.id, 'Alice', 1);
    const mallory = await TestClient.connect(m.id);
    mallory.send({ type: 'join', name: 'Mallory', publicKey: fakePublicKey(9), hostKey: 'x'.repeat(43) });
    expect((await mallory.next('error')).code).toBe('forbidden');
    expect(await a.c.drain()).toEqual([]);
  });

  it('announces a leave, and a dropped connection as away (its seat is held), to the others', async () => {
    const m = await newMeeting();
    const a = await joined(m.id, 'Alice', 1);
    const b = await joined(m.id, 'Bob', 2);
    const c = await joined(m.id, 'Carol', 3);
    b.c.send({ type: 'leave' });
    expect(await a.c.next('participant-left')).toEqual({ type: 'participant-left', id: b.welcome.self.id, reason: 'left' });
    c.c.ws.close(1000, 'bye');
    expect(await a.c.next('participant-away')).toEqual({ type: 'participant-away', id: c.welcome.self.id });
  });

  it('keeps the roster across eviction from memory (hibernation)', async () => {
    const m = await newMeeting();
    const a = await joined(m.id, 'Alice', 1);
    const stub = env.ROOM.get(env.ROOM.idFromName(m.id));
    await evictDurableObject(stub);
    const b = await joined(m.id, 'Bob', 2);
    expect(b.welcome.participants.map((p) => p.id)).toEqual([a.welcome.self.id]);
    // Sender indexes survive too, so no KID is ever reused.
    expect(b.welcome.self.index).toBeGreaterThan(a.welcome.self.index);
    expect((await a.c.next('participant-joined')).participant.id).toBe(b.welcome.self.id);
  });
});

describe('Room: key relay', () => {
  it('relays a sealed key blob to its recipient only', async () => {
    const m = await newMeeting();
    const a = await joined(m.id, 'Alice', 1);
    const b = await joined(m.id, 'Bob', 2);
    const c = await joined(m.id, 'Carol', 3);
    await a.c.drain();
    await b.c.drain();
    a.c.send({ type: 'key-blobs', epoch: 7, blobs: [{ to: b.welcome.self.id, blob: 'sealed-for-bob_AAAAAAAA' }] });
    expect(await b.c.next('key-blob')).toEqual({ type: 'key-blob', from: a.welcome.self.id, epoch: 7, blob: 'sealed-for-bob_AAAAAAAA' });
    expect(await c.c.drain()).toEqual([]);
    expect(await a.c.drain()).toEqual([]);
  });

  it('says which recipients are not in the meeting', async () => {
    const m = await newMeeting();
    const a = await joined(m.id, 'Alice', 1);
    a.c.send({ type: 'key-blobs', epoch: 1, blobs: [{ to: 'nobody-here-123', blob: 'AAAAAAAAAAAAAAAA' }] });
    const e = await a.c.next('error');
    expect(e.code).toBe('not_found');
    expect(e.message).toContain('nobody-here-123');
  });
});

describe('Room: hostile input', () => {
  const bad: Array<[string, unknown]> = [
    ['not JSON', '{"type":'],
    ['unknown type', { type: 'make-me-host' }],
    ['extra field', { type: 'media-state', audio: true, video: true, role: 'host' }],
    ['wrong type', { type: 'media-state', audio: 'yes', video: true }],
    ['oversized', 'x'.repeat(300_000)],
    ['key blob not base64url', { type: 'key-blobs', epoch: 1, blobs: [{ to: 'abcdefgh', blob: '<script>' }] }],
    ['negative epoch', { type: 'key-blobs', epoch: -1, blobs: [{ to: 'abcdefgh', blob: 'AAAAAAAAAAAAAAAA' }] }],
  ];

  it.each(bad)('answers %s with an error code and changes nothing', async (_, payload) => {
    const m = await newMeeting();
    const a = await joined(m.id, 'Alice', 1);
    const b = await joined(m.id, 'Bob', 2);
    await a.c.drain();
    b.c.send(payload);
    const e = await b.c.next('error');
    expect(['bad_message', 'unknown_type']).toContain(e.code);
    expect(await a.c.drain()).toEqual([]);
    const c = await joined(m.id, 'Carol', 3);
    expect(c.welcome.participants.map((p) => p.name).sort()).toEqual(['Alice', 'Bob']);
    expect(c.welcome.participants.every((p) => p.role !== 'host')).toBe(true);
  });

  it('refuses messages before join, and a second join', async () => {
    const m = await newMeeting();
    const c = await TestClient.connect(m.id);
    c.send({ type: 'media-state', audio: true, video: true });
    expect((await c.next('error')).code).toBe('not_joined');
    c.send({ type: 'join', name: 'Al', publicKey: fakePublicKey(1) });
    await c.next('welcome');
    c.send({ type: 'join', name: 'Al again', publicKey: fakePublicKey(2) });
    expect((await c.next('error')).code).toBe('already_joined');
  });
});
