import { describe, expect, it, vi } from 'vitest';
import { openField, SealedUnavailable } from '../../src/kms/envelope.ts';
import { kmsFromEnv } from '../../src/kms/kms.ts';
import { Agent, GOOD_PASSWORD, env, newOrg, uniqueEmail } from './helpers.ts';

// Every sign-in runs scrypt and several D1 round trips; under a full parallel run that needs more than 5 s.
vi.setConfig({ testTimeout: 30_000 });

describe('export and erasure', () => {
  it('exports all of a user’s data as one JSON archive, contact details opened', async () => {
    const { owner } = await newOrg();
    const email = uniqueEmail('m');
    const created = await owner.ok('POST', '/api/admin/users', { email, name: 'Mia', role: 'member', password: GOOD_PASSWORD, phone: '+86 21 5555 0100' }, 201);
    const mia = new Agent();
    await mia.ok('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD });
    await mia.ok('POST', '/api/account/keys', { label: 'mine' }, 201);
    const res = await mia.req('GET', '/api/account/export');
    expect(res.headers.get('content-disposition')).toContain('attachment');
    const archive = (await res.json()) as any;
    expect(archive.format).toBe('sealroom-user-export/1');
    expect(archive.user).toMatchObject({ id: created.id, email, phone: '+86 21 5555 0100' });
    expect(archive.apiKeys).toHaveLength(1);
    expect(archive.audit.some((e: any) => e.action === 'auth.signin')).toBe(true);
    expect(JSON.stringify(archive)).not.toMatch(/scrypt\$|ev[0-9]+\./);
    const byAdmin = await owner.ok('GET', `/api/admin/users/${created.id}/export`);
    expect(byAdmin.user.id).toBe(created.id);
  });

  it('erasing a user shreds the data keys so a saved copy of a sealed field cannot be opened', async () => {
    const { owner } = await newOrg();
    const email = uniqueEmail('e');
    const created = await owner.ok('POST', '/api/admin/users', { email, name: 'Eve', role: 'member', password: GOOD_PASSWORD, phone: '+1 555 0100' }, 201);
    const copy = (await env.DB.prepare('SELECT phone_sealed FROM users WHERE id = ?').bind(created.id).first<{ phone_sealed: string }>())!.phone_sealed;
    const kms = (await kmsFromEnv(env))!;
    expect(await openField(env.DB, kms, { userId: created.id }, 'phone', copy)).toBe('+1 555 0100');
    const r = await owner.ok('DELETE', `/api/admin/users/${created.id}`);
    expect(r.shredded).toBe(1);
    await expect(openField(env.DB, kms, { userId: created.id }, 'phone', copy)).rejects.toThrow(SealedUnavailable);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM users WHERE id = ?').bind(created.id).first('n')).toBe(0);
    expect(await new Agent().fails('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD }, 401)).toBe('bad_credentials');
  });

  it('the last owner cannot erase themselves; deleting the organization erases everyone', async () => {
    const { owner, orgId } = await newOrg();
    expect(await owner.fails('DELETE', '/api/account', undefined, 409)).toBe('last_owner');
    await owner.ok('POST', '/api/account/mfa/enroll');
    const r = await owner.ok('DELETE', '/api/admin/org');
    expect(r.users).toBe(1);
    expect(r.shredded).toBe(1);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM users WHERE org_id = ?').bind(orgId).first('n')).toBe(0);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM data_keys WHERE org_id = ?').bind(orgId).first('n')).toBe(0);
  });

  it('a member may erase their own account', async () => {
    const { owner } = await newOrg();
    const email = uniqueEmail('self');
    await owner.ok('POST', '/api/admin/users', { email, name: 'Sam', role: 'member', password: GOOD_PASSWORD }, 201);
    const sam = new Agent();
    await sam.ok('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD });
    expect((await sam.req('DELETE', '/api/account')).status).toBe(204);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM users WHERE email = ?').bind(email).first('n')).toBe(0);
  });
});
