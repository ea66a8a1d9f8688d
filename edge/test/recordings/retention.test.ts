/** Retention and abandoned uploads: the scheduled sweep erases what is past its time and audits each erasure. */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';
import { ABANDONED_AFTER_MS, sweepRecordings } from '../../src/recordings/retention.ts';
import { addUser, auditRows } from '../accounts/helpers.ts';
import { RECORDING_PART_SIZE, bytes, create, download, openStream, owner, putPart, sealStream, uploaded } from './helpers.ts';

const DAY = 86_400_000;
const age = (id: string, ms: number) =>
  env.DB.prepare('UPDATE recordings SET created_at = created_at - ?, updated_at = updated_at - ? WHERE id = ?').bind(ms, ms, id).run();

describe('retention', { timeout: 60_000 }, () => {
  it('is an org setting only owners and admins change', async () => {
    const { owner: a } = await owner();
    const m = await addUser(a, 'member');
    expect(await a.ok('GET', '/api/recordings/retention')).toEqual({ days: null });
    expect(await m.agent.fails('PUT', '/api/recordings/retention', { days: 7 }, 403)).toBe('forbidden');
    expect(await a.fails('PUT', '/api/recordings/retention', { days: 0 }, 400)).toBe('bad_message');
    expect(await a.ok('PUT', '/api/recordings/retention', { days: 7 })).toEqual({ days: 7 });
    expect(await m.agent.ok('GET', '/api/recordings/retention')).toEqual({ days: 7 });
  });

  it('the sweep erases recordings past retention, keeps younger ones and other orgs, and audits each deletion', async () => {
    const { owner: a, orgId } = await owner();
    await a.ok('PUT', '/api/recordings/retention', { days: 30 });
    const old = await uploaded(a, [bytes(1000)]);
    const young = await uploaded(a, [bytes(1000)]);
    await age(old.rec.id, 31 * DAY);
    const other = await owner();
    const elsewhere = await uploaded(other.owner, [bytes(1000)]);
    await age(elsewhere.rec.id, 400 * DAY); // no retention set there: kept

    const dataKey = (await env.DB.prepare('SELECT data_key_id FROM recordings WHERE id = ?').bind(old.rec.id).first<{ data_key_id: string }>())!.data_key_id;
    const r = await sweepRecordings(env);
    expect(r.expired).toBeGreaterThanOrEqual(1);
    expect(r.failed).toBe(0);
    expect(await env.RECORDINGS.get(`recordings/${old.rec.id}`)).toBeNull();
    expect(await env.DB.prepare('SELECT id FROM data_keys WHERE id = ?').bind(dataKey).first()).toBeNull();
    expect(await a.fails('GET', `/api/recordings/${old.rec.id}`, undefined, 404)).toBe('not_found');
    expect((await download(a, `/api/recordings/${young.rec.id}/content`)).status).toBe(200);
    expect((await download(other.owner, `/api/recordings/${elsewhere.rec.id}/content`)).status).toBe(200);

    const rows = await auditRows(orgId);
    const entry = rows.find((e) => e.action === 'recording.expire' && e.target === old.rec.id);
    expect(entry).toMatchObject({ actor: 'system:retention', result: 'ok' });
    expect(entry!.detail).toContain('kept 30 days');
    const verify = await a.ok<{ ok: boolean }>('GET', '/api/admin/audit/verify');
    expect(verify.ok).toBe(true);
  });

  it('an abandoned upload is completed with the parts that arrived and plays up to there; an empty one is erased', async () => {
    const { owner: a, orgId } = await owner();
    const rec = await create(a);
    const key = bytes(32, 3);
    const chunks = Array.from({ length: 6 }, (_, i) => bytes(1024 * 1024, i + 10));
    const data = sealStream(rec.id, key, chunks);
    // The browser sent the first part, then crashed.
    expect((await putPart(a, rec.id, 1, data.subarray(0, RECORDING_PART_SIZE))).status).toBe(200);
    const empty = await create(a);
    await age(rec.id, ABANDONED_AFTER_MS + 1000);
    await age(empty.id, ABANDONED_AFTER_MS + 1000);

    // Through the Worker's own scheduled() handler, as the cron trigger calls it.
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ cron: '17 * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);

    const got = await download(a, `/api/recordings/${rec.id}/content`);
    expect(got.status).toBe(200);
    expect(got.body.length).toBe(RECORDING_PART_SIZE);
    const opened = openStream(rec.id, key, got.body);
    expect(opened.complete).toBe(false);
    expect(opened.chunks.length).toBe(4); // four whole 1 MiB chunks fit in the first 5 MiB
    expect(await a.fails('GET', `/api/recordings/${empty.id}`, undefined, 404)).toBe('not_found');
    const actions = (await auditRows(orgId)).map((e) => `${e.action}:${e.target}`);
    expect(actions).toContain(`recording.salvage:${rec.id}`);
    expect(actions).toContain(`recording.expire:${empty.id}`);
  });
});
