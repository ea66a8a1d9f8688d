import { describe, expect, it, vi } from 'vitest';
import { SealedUnavailable, openField, rewrapAll, sealField, shredUser } from '../../src/kms/envelope.ts';
import { KmsError, LocalKms } from '../../src/kms/kms.ts';
import { toB64url } from '@sealroom/crypto/bytes';
import { signRequest } from '@sealroom/protocol';
import { call, env } from './helpers.ts';

// Every sign-in runs scrypt and several D1 round trips; under a full parallel run that needs more than 5 s.
vi.setConfig({ testTimeout: 30_000 });

const key = () => toB64url(crypto.getRandomValues(new Uint8Array(32)));
const owner = { orgId: 'org-kms-test', userId: 'user-kms-test' };

describe('envelope encryption', () => {
  it('seals with a per-record data key and opens again', async () => {
    const kms = await LocalKms.create(key());
    const a = await sealField(env.DB, kms, owner, 'phone', '+86 10 1234 5678');
    const b = await sealField(env.DB, kms, owner, 'phone', '+86 10 1234 5678');
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
    expect(await openField(env.DB, kms, owner, 'phone', a)).toBe('+86 10 1234 5678');
  });

  it('binds a sealed value to its purpose and refuses a flipped byte', async () => {
    const kms = await LocalKms.create(key());
    const s = await sealField(env.DB, kms, owner, 'totp', 'JBSWY3DPEHPK3PXP');
    await expect(openField(env.DB, kms, owner, 'phone', s)).rejects.toThrow(SealedUnavailable);
    const [v, id, body] = s.split('.');
    const flipped = body!.slice(0, 20) + (body![20] === 'A' ? 'B' : 'A') + body!.slice(21);
    await expect(openField(env.DB, kms, owner, 'totp', `${v}.${id}.${flipped}`)).rejects.toThrow(SealedUnavailable);
  });

  it('rotates the master key by rewrapping data keys only; sealed values are untouched', async () => {
    const oldKey = key();
    const newKey = key();
    const kms1 = await LocalKms.create(oldKey);
    const sealed = await sealField(env.DB, kms1, owner, 'phone', 'before rotation');
    const kms2 = await LocalKms.create(newKey, [oldKey]);
    // The new key reads old wraps while both are configured.
    expect(await openField(env.DB, kms2, owner, 'phone', sealed)).toBe('before rotation');
    const r = await rewrapAll(env.DB, kms2);
    expect(r.rewrapped).toBeGreaterThanOrEqual(1);
    const row = await env.DB.prepare('SELECT kek_id FROM data_keys WHERE id = ?').bind(sealed.split('.')[1]).first<{ kek_id: string }>();
    expect(row!.kek_id).toBe(kms2.currentKeyId);
    // Same sealed string, now opened with only the new master key.
    const onlyNew = await LocalKms.create(newKey);
    expect(await openField(env.DB, onlyNew, owner, 'phone', sealed)).toBe('before rotation');
    await expect(openField(env.DB, kms1, owner, 'phone', sealed)).rejects.toThrow(KmsError);
  });

  it('crypto-shreds: deleting the data keys makes every copy unreadable', async () => {
    const kms = await LocalKms.create(key());
    const who = { orgId: 'org-shred', userId: 'user-shred' };
    const s = await sealField(env.DB, kms, who, 'phone', 'erase me');
    const copy = String(s);
    expect(await shredUser(env.DB, who.userId)).toBe(1);
    await expect(openField(env.DB, kms, who, 'phone', copy)).rejects.toThrow(SealedUnavailable);
  });

  it('refuses a master key of the wrong size', async () => {
    await expect(LocalKms.create(toB64url(new Uint8Array(16)))).rejects.toThrow(KmsError);
  });

  it('POST /internal/kms/rotate needs the internal signature', async () => {
    expect((await call('/internal/kms/rotate', { method: 'POST', body: '' })).status).toBe(401);
    const headers = await signRequest(env.SEALROOM_SHARED_SECRET, 'POST', '/internal/kms/rotate', '');
    const res = await call('/internal/kms/rotate', { method: 'POST', body: '', headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ failed: expect.any(Number), rewrapped: expect.any(Number) });
  });
});
