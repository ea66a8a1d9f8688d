import { describe, expect, it, vi } from 'vitest';
import { Agent, GOOD_PASSWORD, addUser, auditRows, env, newOrg, uniqueEmail } from './helpers.ts';
import { afterFailure, FREE_FAILURES } from '../../src/accounts/lockout.ts';
import { checkPasswordShape, passwordExpired } from '../../src/accounts/password-policy.ts';
import { DEFAULT_SECURITY_POLICY } from '@sealroom/protocol';
import legacyVectors from '../vectors/password-hashes.json';

// Every sign-in runs scrypt and several D1 round trips; under a full parallel run that needs more than 5 s.
vi.setConfig({ testTimeout: 30_000 });

describe('sign-up and sign-in', () => {
  it('creates an org with its owner and sets a Secure, HttpOnly, SameSite=Strict host cookie', async () => {
    const { owner, info } = await newOrg();
    expect(info.user.role).toBe('owner');
    expect(info.org.tier).toBe(100);
    expect(owner.lastSetCookie).toMatch(/^__Host-sealroom_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; Secure; HttpOnly; SameSite=Strict$/);
    const me = await owner.ok('GET', '/api/account');
    expect(me.user.email).toBe(info.user.email);
  });

  it('stores only a scrypt hash of the password and a SHA-256 of the session id', async () => {
    const { owner, email } = await newOrg();
    const row = await env.DB.prepare('SELECT password_hash FROM users WHERE email = ?').bind(email).first<{ password_hash: string }>();
    expect(row!.password_hash).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    const sid = owner.cookie.split('=')[1]!;
    const hit = await env.DB.prepare('SELECT COUNT(*) AS n FROM sessions WHERE id_hash = ?').bind(sid).first<{ n: number }>();
    expect(hit!.n).toBe(0);
  });

  it('signs in with a hash stored before the PHC form, then replaces it with a PHC hash', async () => {
    const { email } = await newOrg();
    // The legacy form, written as the account code wrote it before (edge/test/vectors/password-hashes.json).
    const { password, stored } = legacyVectors.legacy[0]!;
    await env.DB.prepare('UPDATE users SET password_hash = ? WHERE email = ?').bind(stored, email).run();
    await new Agent().ok('POST', '/api/auth/signin', { email, password });
    const row = await env.DB.prepare('SELECT password_hash FROM users WHERE email = ?').bind(email).first<{ password_hash: string }>();
    expect(row!.password_hash).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    await new Agent().ok('POST', '/api/auth/signin', { email, password });
  });

  it('rotates the session id at every sign-in and ends the old one', async () => {
    const { email } = await newOrg();
    const a = new Agent();
    await a.ok('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD });
    const first = a.cookie;
    await a.ok('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD });
    expect(a.cookie).not.toBe(first);
    const stale = new Agent();
    stale.cookie = first;
    expect(await stale.fails('GET', '/api/account', undefined, 401)).toBe('unauthenticated');
  });

  it('answers a wrong password and an unknown email the same way, and audits both', async () => {
    const { email, orgId } = await newOrg();
    const a = new Agent('203.0.113.50');
    expect(await a.fails('POST', '/api/auth/signin', { email, password: 'wrong-password-1' }, 401)).toBe('bad_credentials');
    expect(await a.fails('POST', '/api/auth/signin', { email: uniqueEmail('nobody'), password: 'wrong-password-1' }, 401)).toBe('bad_credentials');
    const rows = await auditRows(orgId);
    expect(rows.some((r) => r.action === 'auth.signin' && r.result === 'bad_credentials' && r.ip === '203.0.113.50')).toBe(true);
  });

  it('locks an account progressively and refuses even the right password while locked', async () => {
    const { email } = await newOrg();
    const a = new Agent('203.0.113.51');
    for (let i = 0; i < FREE_FAILURES; i++)
      expect(await a.fails('POST', '/api/auth/signin', { email, password: `wrong-${i}-xxxxxxx` }, 401)).toBe('bad_credentials');
    expect(await a.fails('POST', '/api/auth/signin', { email, password: 'wrong-last-xxxxxx' }, 401)).toBe('bad_credentials');
    const res = await a.req('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as any).error.code).toBe('account_locked');
  });

  it('signs in again while holding a live cookie but no CSRF token (a reloaded page)', async () => {
    const { owner, email } = await newOrg();
    const reloaded = new Agent();
    reloaded.cookie = owner.cookie;
    const info = await reloaded.ok('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD });
    expect(info.user.email).toBe(email);
    expect(reloaded.cookie).not.toBe(owner.cookie);
    // The old session was ended by the rotation.
    expect(await owner.fails('GET', '/api/account', undefined, 401)).toBe('unauthenticated');
  });

  it('signs out: the session is gone', async () => {
    const { owner } = await newOrg();
    const cookie = owner.cookie;
    expect((await owner.req('POST', '/api/auth/signout')).status).toBe(204);
    const old = new Agent();
    old.cookie = cookie;
    expect(await old.fails('GET', '/api/auth/session', undefined, 401)).toBe('unauthenticated');
  });
});

describe('lockout schedule', () => {
  it.each([
    [1, 0],
    [4, 0],
    [5, 60_000],
    [6, 120_000],
    [7, 240_000],
    [20, 24 * 3_600_000],
  ])('failure %i locks for %i ms', (n, ms) => {
    let s = { failedCount: 0, lockedUntil: 0 };
    for (let i = 0; i < n; i++) s = afterFailure(s, 1000);
    expect(s.lockedUntil === 0 ? 0 : s.lockedUntil - 1000).toBe(ms);
  });
});

describe('password policy', () => {
  const policy = { minLength: 12, minClasses: 3, maxAgeDays: 90, historyCount: 3 };
  it.each([
    ['short', 'Ab1!', ['too_short']],
    ['one class', 'aaaaaaaaaaaaaaaa', ['too_few_classes']],
    ['two classes', 'aaaaaaaaaaaa1111', ['too_few_classes']],
    ['three classes', 'aaaaaaaaaaaa111B', []],
    ['contains email', 'Olivia-olivia-9', ['contains_email']],
    ['emoji count once', '😀😀😀😀😀😀😀😀😀😀Aa1', []],
  ] as const)('%s', (_name, pw, expected) => {
    expect(checkPasswordShape(pw, policy, 'olivia@example.test')).toEqual(expected);
  });

  it('expires after maxAgeDays, never when 0', () => {
    expect(passwordExpired(0, policy, 91 * 86_400_000)).toBe(true);
    expect(passwordExpired(0, policy, 89 * 86_400_000)).toBe(false);
    expect(passwordExpired(0, { ...policy, maxAgeDays: 0 }, 10_000 * 86_400_000)).toBe(false);
  });

  it('is enforced on sign-up and on change, including no reuse of the last N', async () => {
    const a = new Agent();
    expect(await a.fails('POST', '/api/auth/signup', { orgName: 'X', name: 'X', email: uniqueEmail(), password: 'short' }, 400)).toBe('password_policy');
    const { owner } = await newOrg();
    await owner.ok('PATCH', '/api/admin/policy', { password: { historyCount: 2, minLength: 10 } });
    const second = 'Second-pass-77';
    await owner.ok('POST', '/api/account/password', { current: GOOD_PASSWORD, next: second });
    expect(await owner.fails('POST', '/api/account/password', { current: second, next: GOOD_PASSWORD }, 400)).toBe('password_policy');
    expect(await owner.fails('POST', '/api/account/password', { current: second, next: 'tooshort1' }, 400)).toBe('password_policy');
    expect(await owner.fails('POST', '/api/account/password', { current: 'not-the-password', next: 'Third-pass-000' }, 401)).toBe('bad_credentials');
    await owner.ok('POST', '/api/account/password', { current: second, next: 'Third-pass-000' });
    expect(DEFAULT_SECURITY_POLICY.password.historyCount).toBeGreaterThan(0);
  });

  it('an expired password allows only changing it', async () => {
    const { owner, email } = await newOrg();
    await owner.ok('PATCH', '/api/admin/policy', { password: { maxAgeDays: 30 } });
    await env.DB.prepare('UPDATE users SET password_changed_at = ? WHERE email = ?')
      .bind(Date.now() - 31 * 86_400_000, email)
      .run();
    const a = new Agent();
    const info = await a.ok('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD });
    expect(info.passwordExpired).toBe(true);
    expect(await a.fails('GET', '/api/admin/users', undefined, 403)).toBe('password_expired');
    await a.ok('POST', '/api/account/password', { current: GOOD_PASSWORD, next: 'Fresh-password-1' });
    await a.ok('GET', '/api/admin/users');
  });
});

describe('CSRF', () => {
  it('refuses a state change without the session CSRF token', async () => {
    const { owner } = await newOrg();
    await owner.ok('POST', '/api/admin/users', { email: uniqueEmail(), name: 'N', role: 'member', password: GOOD_PASSWORD }, 201);
    const bare = new Agent();
    bare.cookie = owner.cookie;
    expect(await bare.fails('POST', '/api/admin/users', { email: uniqueEmail(), name: 'N', role: 'member', password: GOOD_PASSWORD }, 403)).toBe('csrf');
  });

  it('refuses a cross-origin state change even with the token', async () => {
    const { owner } = await newOrg();
    const res = await owner.req('PATCH', '/api/admin/org', { name: 'Evil' }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error.code).toBe('csrf');
    const res2 = await owner.req('PATCH', '/api/admin/org', { name: 'Evil' }, { 'sec-fetch-site': 'cross-site' });
    expect(res2.status).toBe(403);
  });

  it('refuses a cross-origin sign-in (login CSRF)', async () => {
    const { email } = await newOrg();
    const a = new Agent();
    const res = await a.req('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
  });

  it('keeps anonymous meeting creation working, and a cookie without the token carries no authority there', async () => {
    const anon = new Agent();
    expect((await anon.req('POST', '/api/meetings', {})).status).toBe(201);
    const { owner } = await newOrg();
    const bare = new Agent();
    bare.cookie = owner.cookie;
    expect((await bare.req('POST', '/api/meetings', {})).status).toBe(201);
  });
});

describe('privilege change', () => {
  it('ends the sessions of a user whose role changes', async () => {
    const { owner } = await newOrg();
    const m = await addUser(owner, 'member');
    await m.agent.ok('GET', '/api/account');
    await owner.ok('PATCH', `/api/admin/users/${m.id}`, { role: 'admin' });
    expect(await m.agent.fails('GET', '/api/account', undefined, 401)).toBe('unauthenticated');
    const again = new Agent();
    const info = await again.ok('POST', '/api/auth/signin', { email: m.email, password: GOOD_PASSWORD });
    expect(info.user.role).toBe('admin');
  });
});
