import { API_NONCE_HEADER, API_TIME_HEADER, signApiRequest } from '@sealroom/protocol';
import { describe, expect, it, vi } from 'vitest';
import { BASE, call, env, newOrg, addUser } from './helpers.ts';

// Every sign-in runs scrypt and several D1 round trips; under a full parallel run that needs more than 5 s.
vi.setConfig({ testTimeout: 30_000 });

async function signed(keyId: string, secret: string, method: string, path: string, body = '', opts: { now?: number; nonce?: string } = {}) {
  const headers = await signApiRequest(keyId, secret, method, `${BASE}${path}`, body, opts);
  return { headers, send: () => call(path, { method, headers, body: method === 'GET' ? undefined : body }) };
}

async function code(res: Response) {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe('API keys with signed requests', () => {
  it('shows the secret once, stores it sealed, and accepts a signed request', async () => {
    const { owner } = await newOrg();
    const { id, secret } = await owner.ok('POST', '/api/account/keys', { label: 'ci' }, 201);
    expect(id).toMatch(/^srk_/);
    const listed = await owner.ok('GET', '/api/account/keys');
    expect(JSON.stringify(listed)).not.toContain(secret);
    const row = await env.DB.prepare('SELECT secret_sealed FROM api_keys WHERE id = ?').bind(id).first<{ secret_sealed: string }>();
    expect(row!.secret_sealed).toMatch(/^ev2\./);
    const res = await (await signed(id, secret, 'GET', '/api/account?x=1&a=2')).send();
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).via).toBe('apikey');
    const created = await (await signed(id, secret, 'POST', '/api/meetings', JSON.stringify({ topic: 'from a key' }))).send();
    expect(created.status).toBe(201);
  });

  it('refuses a replayed nonce, a stale or future timestamp, a changed body and a wrong secret', async () => {
    const { owner } = await newOrg();
    const { id, secret } = await owner.ok('POST', '/api/account/keys', { label: 'ci' }, 201);
    const once = await signed(id, secret, 'GET', '/api/account');
    expect((await once.send()).status).toBe(200);
    const replay = await once.send();
    expect([replay.status, await code(replay)]).toEqual([401, 'replayed']);
    const stale = await (await signed(id, secret, 'GET', '/api/account', '', { now: Date.now() - 6 * 60_000 })).send();
    expect([stale.status, await code(stale)]).toEqual([401, 'stale_request']);
    const future = await (await signed(id, secret, 'GET', '/api/account', '', { now: Date.now() + 6 * 60_000 })).send();
    expect(await code(future)).toBe('stale_request');
    const s = await signed(id, secret, 'POST', '/api/meetings', '{"topic":"a"}');
    const tampered = await call('/api/meetings', { method: 'POST', headers: s.headers, body: '{"topic":"b"}' });
    expect([tampered.status, await code(tampered)]).toEqual([401, 'bad_signature']);
    const wrong = await (await signed(id, 'x'.repeat(43), 'GET', '/api/account')).send();
    expect(await code(wrong)).toBe('bad_signature');
    const noNonce = await call('/api/account', { headers: { ...once.headers, [API_NONCE_HEADER]: '' } });
    expect(await code(noNonce)).toBe('bad_signature');
    const badTime = await call('/api/account', { headers: { ...once.headers, [API_TIME_HEADER]: 'yesterday' } });
    expect(await code(badTime)).toBe('bad_signature');
  });

  it('disables, rotates and deletes keys', async () => {
    const { owner } = await newOrg();
    const { id, secret } = await owner.ok('POST', '/api/account/keys', { label: 'ci' }, 201);
    await owner.ok('PATCH', `/api/account/keys/${id}`, { disabled: true });
    expect(await code(await (await signed(id, secret, 'GET', '/api/account')).send())).toBe('key_disabled');
    await owner.ok('PATCH', `/api/account/keys/${id}`, { disabled: false });
    const rotated = await owner.ok('POST', `/api/account/keys/${id}/rotate`);
    expect(rotated.secret).not.toBe(secret);
    expect(await code(await (await signed(id, secret, 'GET', '/api/account')).send())).toBe('bad_signature');
    expect((await (await signed(id, rotated.secret, 'GET', '/api/account')).send()).status).toBe(200);
    expect((await owner.req('DELETE', `/api/account/keys/${id}`)).status).toBe(204);
    expect(await code(await (await signed(id, rotated.secret, 'GET', '/api/account')).send())).toBe('bad_signature');
  });

  it('a key cannot mint keys or touch another user’s keys; it is not a second factor', async () => {
    const { owner } = await newOrg();
    const { id, secret } = await owner.ok('POST', '/api/account/keys', { label: 'ci' }, 201);
    const mint = await (await signed(id, secret, 'POST', '/api/account/keys', JSON.stringify({ label: 'more' }))).send();
    expect([mint.status, await code(mint)]).toEqual([403, 'forbidden']);
    const other = await addUser(owner, 'member');
    expect(await other.agent.fails('DELETE', `/api/account/keys/${id}`, undefined, 404)).toBe('not_found');
    const me = await (await signed(id, secret, 'GET', '/api/account')).send();
    expect(((await me.json()) as any).mfa).toBe(false);
  });
});

describe('short-lived scoped tokens', () => {
  it('default to one hour and allow only their scopes', async () => {
    const { owner } = await newOrg();
    const before = Date.now();
    const { token, expiresAt } = await owner.ok('POST', '/api/account/tokens', { scopes: ['meeting:create', 'self:read'] }, 201);
    expect(expiresAt - before).toBeGreaterThanOrEqual(3600_000 - 1000);
    expect(expiresAt - before).toBeLessThanOrEqual(3600_000 + 5000);
    const auth = { authorization: `Bearer ${token}` };
    expect((await call('/api/meetings', { method: 'POST', headers: auth, body: '{}' })).status).toBe(201);
    expect((await call('/api/account', { headers: auth })).status).toBe(200);
    const denied = await call('/api/admin/users', { headers: auth });
    expect([denied.status, await code(denied)]).toEqual([403, 'scope_exceeded']);
    const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM tokens WHERE id_hash = ?').bind(token).first<{ n: number }>();
    expect(row!.n).toBe(0);
  });

  it('cannot be wider than the caller, and a token can only narrow further', async () => {
    const { owner } = await newOrg();
    const m = await addUser(owner, 'member');
    expect(await m.agent.fails('POST', '/api/account/tokens', { scopes: ['user:manage'] }, 403)).toBe('scope_exceeded');
    const { token } = await owner.ok('POST', '/api/account/tokens', { scopes: ['token:create', 'self:read'] }, 201);
    const res = await call('/api/account/tokens', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ scopes: ['user:manage'] }),
    });
    expect([res.status, await code(res)]).toEqual([403, 'scope_exceeded']);
    const ok = await call('/api/account/tokens', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ scopes: ['self:read'], ttlSeconds: 60 }),
    });
    expect(ok.status).toBe(201);
  });

  it('expires', async () => {
    const { owner } = await newOrg();
    const { token } = await owner.ok('POST', '/api/account/tokens', { scopes: ['self:read'], ttlSeconds: 60 }, 201);
    await env.DB.prepare('UPDATE tokens SET expires_at = ? WHERE user_id = (SELECT user_id FROM tokens ORDER BY created_at DESC LIMIT 1)')
      .bind(Date.now() - 1)
      .run();
    const res = await call('/api/account', { headers: { authorization: `Bearer ${token}` } });
    expect([res.status, await code(res)]).toEqual([401, 'token_expired']);
  });
});
