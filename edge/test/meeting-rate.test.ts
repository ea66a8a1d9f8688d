/**
 * Meeting creation is rate-limited: anonymous callers per address (an IPv6 /64 is one address),
 * signed-in callers per user. Counting is one atomic D1 upsert, so concurrent bursts are admitted
 * exactly up to the budget.
 */
import { describe, expect, it, vi } from 'vitest';
import { parseLimit } from '../src/policy/rate-limit.ts';
import { call, env, newOrg } from './accounts/helpers.ts';

vi.setConfig({ testTimeout: 60_000 });

/** The defaults (no MEETING_CREATE_LIMIT / MEETING_CREATE_USER_LIMIT binding in the test pool). */
const ANON_BUDGET = 10;
const USER_BUDGET = 100;

const create = (headers: Record<string, string>) => call('/api/meetings', { method: 'POST', headers, body: '{}' });

async function burst(n: number, headers: Record<string, string>) {
  const results = await Promise.all(Array.from({ length: n }, () => create(headers)));
  const created = results.filter((r) => r.status === 201);
  const refused = results.filter((r) => r.status === 429);
  return { results, created, refused };
}

describe('anonymous meeting creation', () => {
  it('admits exactly the budget out of 50 concurrent creations from one address', async () => {
    const ip = '203.0.113.50';
    const before = (await env.DB.prepare('SELECT count(*) AS n FROM meetings').first<{ n: number }>())!.n;
    const { results, created, refused } = await burst(50, { 'cf-connecting-ip': ip });
    expect(created.length).toBe(ANON_BUDGET);
    expect(refused.length).toBe(50 - ANON_BUDGET);
    expect(created.length + refused.length).toBe(results.length);
    const after = (await env.DB.prepare('SELECT count(*) AS n FROM meetings').first<{ n: number }>())!.n;
    expect(after - before).toBe(ANON_BUDGET);
    for (const r of refused) {
      const retry = Number(r.headers.get('retry-after'));
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(600);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    }
    // Another address is not affected.
    expect((await create({ 'cf-connecting-ip': '203.0.113.51' })).status).toBe(201);
  });

  it('counts an IPv6 /64 as one address', async () => {
    const { created } = await burst(ANON_BUDGET, { 'cf-connecting-ip': '2001:db8:77:1::1' });
    expect(created.length).toBe(ANON_BUDGET);
    expect((await create({ 'cf-connecting-ip': '2001:db8:77:1:ffff:ffff:ffff:fffe' })).status).toBe(429);
    expect((await create({ 'cf-connecting-ip': '2001:db8:77:2::1' })).status).toBe(201);
  });

  it('reopens once the window has passed', async () => {
    const ip = '203.0.113.60';
    await burst(ANON_BUDGET, { 'cf-connecting-ip': ip });
    expect((await create({ 'cf-connecting-ip': ip })).status).toBe(429);
    await env.DB.prepare('UPDATE rate_limits SET window_start = window_start - 600000 WHERE key = ?').bind(`meeting-create-addr:${ip}`).run();
    expect((await create({ 'cf-connecting-ip': ip })).status).toBe(201);
  });
});

describe('signed-in meeting creation', () => {
  it('is limited per user, not by the address the user shares', async () => {
    const { owner } = await newOrg('Busy Co');
    const ip = '198.51.100.70';
    owner.ip = ip;
    await burst(ANON_BUDGET + 2, { 'cf-connecting-ip': ip });
    expect((await create({ 'cf-connecting-ip': ip })).status).toBe(429);
    // The same address, signed in: the user's own budget.
    const mine = await owner.ok<{ id: string }>('POST', '/api/meetings', {}, 201);
    const row = await env.DB.prepare('SELECT owner_id FROM meetings WHERE id = ?').bind(mine.id).first<{ owner_id: string | null }>();
    expect(row!.owner_id).not.toBeNull();
    // A token scoped to something else is no one here: it spends the address's budget, and is refused.
    const { token: unrelated } = await owner.ok<{ token: string }>('POST', '/api/account/tokens', { scopes: ['recording:read'] }, 201);
    expect((await create({ 'cf-connecting-ip': ip, authorization: `Bearer ${unrelated}` })).status).toBe(429);
  });

  it('admits exactly the per-user budget out of a concurrent burst', async () => {
    const { owner } = await newOrg('Scheduler Co');
    const { token } = await owner.ok<{ token: string }>('POST', '/api/account/tokens', { scopes: ['meeting:create'] }, 201);
    const { created, refused } = await burst(USER_BUDGET + 20, { 'cf-connecting-ip': '198.51.100.71', authorization: `Bearer ${token}` });
    expect(created.length).toBe(USER_BUDGET);
    expect(refused.length).toBe(20);
  });
});

describe('limit bindings', () => {
  const fallback = { count: 10, windowMs: 600_000 };
  it.each([
    ['3/60', { count: 3, windowMs: 60_000 }],
    [' 25/3600 ', { count: 25, windowMs: 3_600_000 }],
    [undefined, fallback],
    ['', fallback],
    ['0/60', fallback],
    ['10/0', fallback],
    ['10 per minute', fallback],
    ['5/100000', fallback],
  ] as const)('%j → %j', (raw, want) => {
    expect(parseLimit(raw, fallback, 'TEST_LIMIT')).toEqual(want);
  });
});
