/**
 * At-rest ciphertext is bound to its owner: someone who can write D1 but holds no master key cannot
 * make one user's sealed field or recording readable as another's by moving it between rows.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { SealedUnavailable, openField } from '../src/kms/envelope.ts';
import { kmsFromEnv } from '../src/kms/kms.ts';
import { GOOD_PASSWORD, newOrg, uniqueEmail } from './accounts/helpers.ts';
import { bytes, download, equal, uploaded } from './recordings/helpers.ts';

// Sign-ups run scrypt, slow in this pool.
vi.setConfig({ testTimeout: 30_000 });

const phoneOf = async (id: string) =>
  (await env.DB.prepare('SELECT phone_sealed FROM users WHERE id = ?').bind(id).first<{ phone_sealed: string }>())!.phone_sealed;

describe('owner binding at rest', () => {
  it('a sealed field swapped between two users’ rows opens for neither', async () => {
    const { owner } = await newOrg('Owner binding');
    const mk = (name: string, phone: string) =>
      owner.ok('POST', '/api/admin/users', { email: uniqueEmail(name), name, role: 'member', password: GOOD_PASSWORD, phone }, 201);
    const ann = await mk('ann', '+86 10 1111 1111');
    const bob = await mk('bob', '+1 555 0199');
    const kms = (await kmsFromEnv(env))!;
    const annSealed = await phoneOf(ann.id);
    const bobSealed = await phoneOf(bob.id);
    expect(await openField(env.DB, kms, { userId: ann.id }, 'phone', annSealed)).toBe('+86 10 1111 1111');

    await env.DB.batch([
      env.DB.prepare('UPDATE users SET phone_sealed = ? WHERE id = ?').bind(bobSealed, ann.id),
      env.DB.prepare('UPDATE users SET phone_sealed = ? WHERE id = ?').bind(annSealed, bob.id),
    ]);
    // Each row's value, opened for that row's owner, fails: the owner is in both AADs.
    await expect(openField(env.DB, kms, { userId: ann.id }, 'phone', await phoneOf(ann.id))).rejects.toThrow(SealedUnavailable);
    await expect(openField(env.DB, kms, { userId: bob.id }, 'phone', await phoneOf(bob.id))).rejects.toThrow(SealedUnavailable);
    // Through the product: the export shows no phone rather than the other user's.
    expect((await owner.ok('GET', `/api/admin/users/${ann.id}/export`)).user.phone).toBeNull();
    expect((await owner.ok('GET', `/api/admin/users/${bob.id}/export`)).user.phone).toBeNull();

    // Moving the data key rows' owner columns along does not help: the columns are not the binding.
    const keyId = (s: string) => s.split('.')[1]!;
    await env.DB.batch([
      env.DB.prepare('UPDATE data_keys SET user_id = ? WHERE id = ?').bind(bob.id, keyId(annSealed)),
      env.DB.prepare('UPDATE data_keys SET user_id = ? WHERE id = ?').bind(ann.id, keyId(bobSealed)),
    ]);
    await expect(openField(env.DB, kms, { userId: bob.id }, 'phone', annSealed)).rejects.toThrow(SealedUnavailable);
    expect((await owner.ok('GET', `/api/admin/users/${bob.id}/export`)).user.phone).toBeNull();
    // The values still open for their true owners: nothing was destroyed, only refused.
    expect(await openField(env.DB, kms, { userId: ann.id }, 'phone', annSealed)).toBe('+86 10 1111 1111');
  });

  it('a recording whose row is given to another user does not open for them (nor for anyone)', async () => {
    const a = await newOrg('Recorder A');
    const b = await newOrg('Recorder B');
    const ra = await uploaded(a.owner, [bytes(5000, 1)]);
    const rb = await uploaded(b.owner, [bytes(7000, 2)]);
    expect(equal((await download(a.owner, `/api/recordings/${ra.rec.id}/content`)).body, ra.data)).toBe(true);

    // Swap the owners of the two rows: each user now "owns" the other's object and data key.
    await env.DB.batch([
      env.DB.prepare('UPDATE recordings SET owner_id = ?, org_id = ? WHERE id = ?').bind(b.info.user.id, b.orgId, ra.rec.id),
      env.DB.prepare('UPDATE recordings SET owner_id = ?, org_id = ? WHERE id = ?').bind(a.info.user.id, a.orgId, rb.rec.id),
    ]);
    expect(await download(b.owner, `/api/recordings/${ra.rec.id}/content`)).toMatchObject({ status: 410, code: 'sealed_unavailable' });
    expect(await download(a.owner, `/api/recordings/${rb.rec.id}/content`)).toMatchObject({ status: 410, code: 'sealed_unavailable' });

    // Moved back, both open again.
    await env.DB.batch([
      env.DB.prepare('UPDATE recordings SET owner_id = ?, org_id = ? WHERE id = ?').bind(a.info.user.id, a.orgId, ra.rec.id),
      env.DB.prepare('UPDATE recordings SET owner_id = ?, org_id = ? WHERE id = ?').bind(b.info.user.id, b.orgId, rb.rec.id),
    ]);
    expect(equal((await download(b.owner, `/api/recordings/${rb.rec.id}/content`)).body, rb.data)).toBe(true);
  });
});
