/** Share links: a server-side id that expires and can be revoked; the key stays in the link's fragment. */
import type { ShareView, SharedRecording } from '@sealroom/protocol';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call } from '../accounts/helpers.ts';
import { authHeaders, bytes, create, download, equal, openStream, owner, uploaded } from './helpers.ts';

describe('share links', { timeout: 30_000 }, () => {
  it('serves the sealed bytes and metadata to anyone holding a live link, until it is revoked', async () => {
    const { owner: a } = await owner();
    const { rec, key, data } = await uploaded(a, [bytes(4000)], 2500);
    const share = await a.ok<ShareView>('POST', `/api/recordings/${rec.id}/shares`, { expiresInSeconds: 3600 }, 201);
    expect(share.expiresAt - share.createdAt).toBe(3_600_000);

    const meta = (await (await call(`/api/recordings/shared/${share.id}`)).json()) as SharedRecording;
    expect(meta).toMatchObject({ title: 'Weekly sync', recordingId: rec.id, size: data.length, durationMs: 2500, mimeType: 'video/webm;codecs=vp8,opus' });
    const got = await download(null, `/api/recordings/shared/${share.id}/content`);
    expect(equal(got.body, data)).toBe(true);
    // The share id alone gives sealed bytes; the key from the fragment opens them.
    expect(openStream(meta.recordingId, key, got.body).complete).toBe(true);

    expect((await a.ok<{ shares: ShareView[] }>('GET', `/api/recordings/${rec.id}/shares`)).shares.map((s) => s.id)).toEqual([share.id]);
    const revoke = await call(`/api/recordings/${rec.id}/shares/${share.id}`, { method: 'DELETE', headers: authHeaders(a) });
    expect(revoke.status).toBe(204);
    expect(await download(null, `/api/recordings/shared/${share.id}/content`)).toMatchObject({ status: 410, code: 'share_gone' });
    expect((await call(`/api/recordings/shared/${share.id}`)).status).toBe(410);
    expect(await a.fails('DELETE', `/api/recordings/${rec.id}/shares/${share.id}`, undefined, 404)).toBe('not_found');
  });

  it('expires, dies with its recording, and is refused for unknown ids, other owners and unfinished uploads', async () => {
    const { owner: a } = await owner();
    const { rec } = await uploaded(a, [bytes(100)]);
    const share = await a.ok<ShareView>('POST', `/api/recordings/${rec.id}/shares`, { expiresInSeconds: 60 }, 201);
    await env.DB.prepare('UPDATE recording_shares SET expires_at = ? WHERE id = ?')
      .bind(Date.now() - 1, share.id)
      .run();
    expect(await download(null, `/api/recordings/shared/${share.id}/content`)).toMatchObject({ status: 410, code: 'share_gone' });

    const live = await a.ok<ShareView>('POST', `/api/recordings/${rec.id}/shares`, { expiresInSeconds: 60 }, 201);
    expect((await call(`/api/recordings/${rec.id}`, { method: 'DELETE', headers: authHeaders(a) })).status).toBe(204);
    expect((await call(`/api/recordings/shared/${live.id}`)).status).toBe(404);

    expect((await call('/api/recordings/shared/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
    expect((await call('/api/recordings/shared/short')).status).toBe(400);
    const other = (await owner()).owner;
    const { rec: mine } = await uploaded(a, [bytes(100)]);
    expect(await other.fails('POST', `/api/recordings/${mine.id}/shares`, { expiresInSeconds: 60 }, 404)).toBe('not_found');
    expect(await a.fails('POST', `/api/recordings/${mine.id}/shares`, { expiresInSeconds: 10 }, 400)).toBe('bad_message');
    expect(await a.fails('POST', `/api/recordings/${mine.id}/shares`, { expiresInSeconds: 31 * 24 * 3600 }, 400)).toBe('bad_message');
    const pending = await create(a);
    expect(await a.fails('POST', `/api/recordings/${pending.id}/shares`, { expiresInSeconds: 60 }, 409)).toBe('wrong_state');
  });
});
