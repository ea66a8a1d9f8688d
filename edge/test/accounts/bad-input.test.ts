import { describe, expect, it, vi } from 'vitest';
import { app } from '../../src/index.ts';
import { guardedRoutes } from '../../src/policy/guard.ts';
import { addUser, env, newOrg } from './helpers.ts';

// Every sign-in runs scrypt and several D1 round trips; under a full parallel run that needs more than 5 s.
vi.setConfig({ testTimeout: 30_000 });

const TABLES = ['orgs', 'users', 'sessions', 'password_history', 'recovery_codes', 'data_keys', 'api_keys', 'tokens', 'audit'];

async function snapshot(): Promise<string> {
  const parts: unknown[] = [];
  for (const t of TABLES)
    parts.push(
      await env.DB.prepare(`SELECT * FROM ${t} ORDER BY rowid`)
        .all()
        .then((r) => r.results),
    );
  return JSON.stringify(parts);
}

/** Each bad body and the refusal it gets: 400 for what the schema refuses, 413 for a body over the limit. */
const BAD_BODIES: Array<[string, string, number, string]> = [
  ['not JSON', '{"email": ', 400, 'bad_message'],
  ['an array', '[]', 400, 'bad_message'],
  ['an unknown field', '{"unexpected": true}', 400, 'bad_message'],
  [
    'wrong types',
    '{"email": 5, "password": [], "name": {}, "role": "god", "scopes": "all", "code": 123, "tier": "big", "label": null, "disabled": "yes", "next": 1, "current": 2}',
    400,
    'bad_message',
  ],
  ['too large', JSON.stringify({ name: 'x'.repeat(20_000) }), 413, 'too_large'],
];

describe('bad input on every route with a body: a clear 400 and no change', () => {
  it('covers each POST/PATCH/PUT route of the accounts API', async () => {
    const { owner } = await newOrg();
    const member = await addUser(owner, 'member');
    const key = await owner.ok('POST', '/api/account/keys', { label: 'k' }, 201);
    const routes = guardedRoutes(app.routes).filter(
      (r) => ['POST', 'PATCH', 'PUT'].includes(r.method) && /^\/api\/(auth|account|admin)/.test(r.path) && r.path !== '/api/auth/signout',
    );
    expect(routes.length).toBeGreaterThan(10);
    let checked = 0;
    for (const r of routes) {
      const path = r.path.replace(':id', r.path.includes('/keys/') ? key.id : member.id);
      // Routes without a body schema ignore the body; the rest must refuse each bad one.
      const probe = await owner.req(r.method, path, '{"unexpected": true}');
      if (probe.status !== 400) continue;
      for (const [label, body, status, code] of BAD_BODIES) {
        const before = await snapshot();
        const res = await owner.req(r.method, path, body);
        const data = (await res.json()) as { error?: { code: string; message: string } };
        expect([r.method, r.path, label, res.status, data.error?.code]).toEqual([r.method, r.path, label, status, code]);
        expect(data.error!.message.length).toBeGreaterThan(0);
        expect(await snapshot(), `${r.method} ${r.path} with ${label} changed state`).toBe(before);
        checked++;
      }
    }
    // signup, signin, mfa/verify, password, mfa/confirm, keys, keys/:id, tokens, org, policy, users, users/:id …
    expect(checked).toBeGreaterThanOrEqual(12 * BAD_BODIES.length);
  }, 60_000);

  it('query parameters are parsed too', async () => {
    const { owner } = await newOrg();
    for (const q of ['limit=abc', 'limit=999999', 'format=xml', 'from=-5', 'bogus=1'])
      expect(await owner.fails('GET', `/api/admin/audit?${q}`, undefined, 400)).toBe('bad_message');
    for (const q of ['from=abc', 'from=10&to=5']) expect(await owner.fails('GET', `/api/admin/usage?${q}`, undefined, 400)).toBe('bad_message');
    expect(await owner.fails('GET', '/api/admin/audit/verify?seq=1', undefined, 400)).toBe('bad_message');
  });

  it('unknown routes under the accounts prefixes are refused, not served unchecked', async () => {
    const { owner } = await newOrg();
    expect(await owner.fails('GET', '/api/admin/nothing-here', undefined, 404)).toBe('not_found');
  });
});
