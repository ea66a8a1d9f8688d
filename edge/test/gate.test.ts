/** The join gate through the real Worker and Room DO: each refusal with its reason code. */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { TestClient, call, joined, knock, newMeeting } from './helpers.ts';

const host = (m: { id: string; hostKey: string }) => joined(m.id, 'Host', 1, { hostKey: m.hostKey });

/**
 * scrypt (N=2^14) takes ~0.2 s in wrangler dev but ~4 s inside the vitest pool's module runner,
 * so tests that hash passwords get a longer budget; the parameters stay the production ones.
 */
const SCRYPT_TEST_MS = 90_000;

describe('join gate', () => {
  it(
    'refuses a wrong password, admits the right one, and never stores it in clear',
    async () => {
      const m = await newMeeting({ password: 'correct horse' });
      const row = await env.DB.prepare('SELECT password_hash FROM meetings WHERE id = ?').bind(m.id).first<{ password_hash: string }>();
      expect(row?.password_hash).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$/);
      expect(row?.password_hash).not.toContain('correct horse');
      const wrong = await knock(m.id, 'Eve', 2, { password: 'wrong' });
      expect((await wrong.next('error', 30_000)).code).toBe('wrong_password');
      const none = await knock(m.id, 'Eve', 2);
      expect((await none.next('error', 30_000)).code).toBe('wrong_password');
      const right = await joined(m.id, 'Al', 3, { password: 'correct horse' });
      expect(right.welcome.self.role).toBe('participant');
      // The host key holder needs no password.
      expect((await host(m)).welcome.self.role).toBe('host');
    },
    SCRYPT_TEST_MS,
  );

  it(
    'after 5 wrong passwords in a minute refuses even the right one, with a retry-after',
    async () => {
      const m = await newMeeting({ password: 'pw-123' });
      for (let i = 0; i < 5; i++) {
        const c = await knock(m.id, 'Eve', 2, { password: `guess-${i}` });
        expect((await c.next('error', 30_000)).code).toBe('wrong_password');
      }
      const c = await knock(m.id, 'Eve', 2, { password: 'pw-123' });
      const e = await c.next('error', 30_000);
      expect(e.code).toBe('rate_limited');
      expect(e.retryAfter).toBeGreaterThan(0);
      expect(e.retryAfter).toBeLessThanOrEqual(60);
    },
    SCRYPT_TEST_MS,
  );

  it('refuses everyone but host-key holders while locked, and admits again when unlocked', async () => {
    const m = await newMeeting();
    const h = await host(m);
    h.c.send({ type: 'host', command: { action: 'lock', locked: true } });
    expect((await h.c.next('room-state')).state.locked).toBe(true);
    const late = await knock(m.id, 'Late', 2);
    const e = await late.next('error');
    expect(e).toMatchObject({ code: 'meeting_locked', message: 'the host has locked this meeting' });
    h.c.send({ type: 'host', command: { action: 'lock', locked: false } });
    await h.c.next('room-state');
    await joined(m.id, 'Late', 2);
  });

  it('holds joiners in the waiting room; hosts see the queue live and admit, admit all, or deny', async () => {
    const m = await newMeeting({ settings: { waitingRoom: true } });
    const h = await host(m);
    const a = await knock(m.id, 'Ann', 2);
    expect(await a.next('waiting')).toEqual({ type: 'waiting', reason: 'waiting-room' });
    const q1 = await h.c.next('waiting-list');
    expect(q1.waiting.map((w) => w.name)).toEqual(['Ann']);
    const b = await knock(m.id, 'Ben', 3);
    const c = await knock(m.id, 'Cat', 4);
    await b.next('waiting');
    await c.next('waiting');
    await h.c.drain(200);
    h.c.send({ type: 'host', command: { action: 'admit', target: q1.waiting[0]!.id } });
    const welcomeA = await a.next('welcome');
    expect(welcomeA.self.name).toBe('Ann');
    const q2 = await h.c.next('waiting-list');
    expect(q2.waiting.map((w) => w.name)).toEqual(['Ben', 'Cat']);
    h.c.send({ type: 'host', command: { action: 'deny', target: q2.waiting[1]!.id } });
    expect(await c.next('closed')).toEqual({ type: 'closed', reason: 'denied' });
    h.c.send({ type: 'host', command: { action: 'admit-all' } });
    expect((await b.next('welcome')).self.name).toBe('Ben');
  });

  it('a waiting participant can do nothing but wait', async () => {
    const m = await newMeeting({ settings: { waitingRoom: true } });
    await host(m);
    const a = await knock(m.id, 'Ann', 2);
    await a.next('waiting');
    a.send({ type: 'chat', to: null, envelope: 'A'.repeat(40) });
    expect((await a.next('error')).code).toBe('not_joined');
  });

  it('with join-before-host off, participants wait until a host arrives', async () => {
    const m = await newMeeting({ settings: { joinBeforeHost: false } });
    const a = await knock(m.id, 'Early', 2);
    expect(await a.next('waiting')).toEqual({ type: 'waiting', reason: 'no-host' });
    await host(m);
    expect((await a.next('welcome')).self.name).toBe('Early');
  });

  it('refuses an ended meeting at the door', async () => {
    const m = await newMeeting();
    const h = await host(m);
    h.c.send({ type: 'host', command: { action: 'end' } });
    await h.c.next('closed');
    const res = await call(`/api/meetings/${m.id}/ws`, { headers: { upgrade: 'websocket' } });
    expect(res.status).toBe(410);
    expect(await res.json()).toEqual({ error: { code: 'meeting_ended', message: 'this meeting has ended' } });
  });

  it(
    'writes refusals to the audit trail',
    async () => {
      const m = await newMeeting({ password: 'pw' });
      const c = await knock(m.id, 'Eve', 2, { password: 'nope' });
      await c.next('error', 30_000);
      const rows = await env.DB.prepare('SELECT action, result, ip FROM audit WHERE meeting_id = ?').bind(m.id).all();
      expect(rows.results).toEqual([{ action: 'join', result: 'wrong_password', ip: '127.0.0.1' }]);
    },
    SCRYPT_TEST_MS,
  );

  it('drops a waiter from the queue when they hang up', async () => {
    const m = await newMeeting({ settings: { waitingRoom: true } });
    const h = await host(m);
    const a: TestClient = await knock(m.id, 'Ann', 2);
    await a.next('waiting');
    expect((await h.c.next('waiting-list')).waiting).toHaveLength(1);
    a.ws.close(1000, 'bye');
    expect((await h.c.next('waiting-list')).waiting).toEqual([]);
  });
});
