/** Upload, resume, download, at-rest sealing, tampering and erasure, against real R2 and D1 in workerd. */
import type { PartList, RecordingList } from '@sealroom/protocol';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { storedLength } from '../../src/recordings/at-rest.ts';
import { addUser, call } from '../accounts/helpers.ts';
import { RECORDING_PART_SIZE, authHeaders, bytes, concat, create, cut, download, equal, openStream, owner, putPart, sealStream, uploaded } from './helpers.ts';

const MiB = 1024 * 1024;
/** 11 MiB of "container" in 1 MiB chunks: three parts, the last one short. */
const chunks = () => Array.from({ length: 11 }, (_, i) => bytes(MiB, i + 1));

describe('recording upload', { timeout: 60_000 }, () => {
  it('uploads parts in any order, completes, and downloads the exact client-sealed bytes', async () => {
    const { owner: a } = await owner();
    const rec = await create(a);
    expect(rec).toMatchObject({ status: 'uploading', partSize: RECORDING_PART_SIZE, size: 0, keyWrap: 'opaque-wrap_123' });
    const key = bytes(32, 7);
    const plain = chunks();
    const data = sealStream(rec.id, key, plain);
    const parts = cut(data);
    expect(parts.length).toBe(3);
    // Out of order on purpose: parts are independent, only completion needs all of them.
    for (const n of [3, 1, 2]) expect((await putPart(a, rec.id, n, parts[n - 1]!)).status).toBe(200);
    const done = await a.ok('POST', `/api/recordings/${rec.id}/complete`, { parts: 3, durationMs: 11_000 });
    expect(done).toMatchObject({ status: 'complete', size: data.length, durationMs: 11_000 });

    const got = await download(a, `/api/recordings/${rec.id}/content`);
    expect(got.status).toBe(200);
    expect(equal(got.body, data)).toBe(true);
    const opened = openStream(rec.id, key, got.body, 77_777);
    expect(opened.complete).toBe(true);
    expect(equal(concat(opened.chunks), concat(plain))).toBe(true);
  });

  it('stores only the at-rest layer: none of the client bytes appear in R2, and the size adds salt and tags', async () => {
    const { owner: a } = await owner();
    const { rec, data, parts } = await uploaded(a, [bytes(300_000, 5)]);
    const obj = await env.RECORDINGS.get(`recordings/${rec.id}`);
    const stored = new Uint8Array(await obj!.arrayBuffer());
    expect(stored.length).toBe(parts.reduce((n, p) => n + storedLength(p.length), 0));
    // A 64-byte window of the client stream would show up if any record were stored in clear.
    const probe = data.subarray(1000, 1064);
    const hay = Buffer.from(stored);
    expect(hay.indexOf(Buffer.from(probe))).toBe(-1);
  });

  it('resumes after a dropped connection: the broken part is not kept, the client asks and re-sends', async () => {
    const { owner: a } = await owner();
    const rec = await create(a);
    const key = bytes(32, 8);
    const data = sealStream(rec.id, key, chunks());
    const parts = cut(data);
    expect((await putPart(a, rec.id, 1, parts[0]!)).status).toBe(200);

    // Part 2's connection drops after 1 MiB: the body stream errors mid-way.
    const dropped = new ReadableStream<Uint8Array>({
      start(ctl) {
        ctl.enqueue(parts[1]!.subarray(0, MiB));
        ctl.error(new Error('connection reset'));
      },
    });
    const broken = await putPart(a, rec.id, 2, dropped, parts[1]!.length).catch(() => null);
    expect(broken === null || broken.status >= 400).toBe(true);
    // And one that simply ends early (a proxy cut it) is refused as well.
    const short = new ReadableStream<Uint8Array>({
      start(ctl) {
        ctl.enqueue(parts[1]!.subarray(0, 2 * MiB));
        ctl.close();
      },
    });
    const cutShort = await putPart(a, rec.id, 2, short, parts[1]!.length);
    expect(cutShort.status).toBe(400);
    expect(((await cutShort.json()) as any).error.code).toBe('bad_part');

    const state = await a.ok<PartList>('GET', `/api/recordings/${rec.id}/parts`);
    expect(state.parts).toEqual([{ partNumber: 1, size: RECORDING_PART_SIZE }]);
    expect(await a.fails('POST', `/api/recordings/${rec.id}/complete`, { parts: 3, durationMs: 1 }, 409)).toBe('parts_missing');

    // Resume: send what is missing, then complete.
    const have = new Set(state.parts.map((p) => p.partNumber));
    for (const [i, p] of parts.entries()) if (!have.has(i + 1)) expect((await putPart(a, rec.id, i + 1, p)).status).toBe(200);
    await a.ok('POST', `/api/recordings/${rec.id}/complete`, { parts: 3, durationMs: 1 });
    const got = await download(a, `/api/recordings/${rec.id}/content`);
    expect(equal(got.body, data)).toBe(true);
    expect(openStream(rec.id, key, got.body).complete).toBe(true);
  });

  it('a part sent twice replaces the first (a retry after a lost answer)', async () => {
    const { owner: a } = await owner();
    const rec = await create(a);
    const data = sealStream(rec.id, bytes(32), [bytes(1000)]);
    expect((await putPart(a, rec.id, 1, data)).status).toBe(200);
    expect((await putPart(a, rec.id, 1, data)).status).toBe(200);
    await a.ok('POST', `/api/recordings/${rec.id}/complete`, { parts: 1, durationMs: 1 });
    expect(equal((await download(a, `/api/recordings/${rec.id}/content`)).body, data)).toBe(true);
  });

  it('refuses parts of the wrong size, numbers out of range, a missing length, and parts after completion', async () => {
    const { owner: a } = await owner();
    const rec = await create(a);
    const bad = async (res: Response, status: number, code: string) => {
      expect(res.status).toBe(status);
      expect(((await res.json()) as any).error.code).toBe(code);
    };
    await bad(await putPart(a, rec.id, 1, bytes(RECORDING_PART_SIZE + 1)), 400, 'bad_part');
    await bad(await putPart(a, rec.id, 0, bytes(10)), 400, 'bad_message');
    await bad(await putPart(a, rec.id, 10_001, bytes(10)), 400, 'bad_part');
    await bad(await call(`/api/recordings/${rec.id}/parts/1`, { method: 'PUT', headers: authHeaders(a) }), 411, 'length_required');
    // Two short parts: only the last may be short, so completion refuses.
    expect((await putPart(a, rec.id, 1, bytes(10))).status).toBe(200);
    expect((await putPart(a, rec.id, 2, bytes(10))).status).toBe(200);
    expect(await a.fails('POST', `/api/recordings/${rec.id}/complete`, { parts: 2, durationMs: 1 }, 409)).toBe('parts_missing');
    expect(await a.fails('POST', `/api/recordings/${rec.id}/complete`, { parts: 'two' }, 400)).toBe('bad_message');
    expect(await a.fails('POST', `/api/recordings/${rec.id}/complete`, { parts: 1, durationMs: 1, extra: true }, 400)).toBe('bad_message');
    await a.ok('POST', `/api/recordings/${rec.id}/complete`, { parts: 1, durationMs: 1 }).catch(() => undefined);
    // parts 1 and 2 exist but completion asked for 1: refused, the count must match what arrived
    expect(await a.fails('POST', `/api/recordings/${rec.id}/complete`, { parts: 1, durationMs: 1 }, 409)).toBe('parts_missing');
  });

  it('refuses bodies that do not parse, and content of an unfinished upload', async () => {
    const { owner: a } = await owner();
    expect(await a.fails('POST', '/api/recordings', { title: '', mimeType: 'video/webm', keyWrap: 'x' }, 400)).toBe('bad_message');
    expect(await a.fails('POST', '/api/recordings', { title: 't', mimeType: 'not a mime', keyWrap: 'x' }, 400)).toBe('bad_message');
    expect(await a.fails('POST', '/api/recordings', { title: 't', mimeType: 'video/webm', keyWrap: 'x', ownerId: 'me' }, 400)).toBe('bad_message');
    expect(await a.fails('POST', '/api/recordings', 'not json', 400)).toBe('bad_message');
    const rec = await create(a);
    expect(await a.fails('GET', `/api/recordings/${rec.id}/content`, undefined, 409)).toBe('wrong_state');
  });

  it('lists with title, meeting, date, duration, size, and reports storage per user and per organization', async () => {
    const { owner: a } = await owner();
    const member = await addUser(a, 'member');
    const one = await uploaded(a, [bytes(2000)], 4000);
    await uploaded(member.agent, [bytes(3000)], 5000);
    const list = await a.ok<RecordingList>('GET', '/api/recordings');
    expect(list.recordings).toHaveLength(1);
    expect(list.recordings[0]).toMatchObject({
      id: one.rec.id,
      title: 'Weekly sync',
      meetingId: '1234567890',
      durationMs: 4000,
      size: one.data.length,
      status: 'complete',
    });
    expect(list.recordings[0]!.createdAt).toBeGreaterThan(Date.now() - 60_000);
    expect(list.usage.user.recordings).toBe(1);
    expect(list.usage.org.recordings).toBe(2);
    expect(list.usage.org.bytes).toBeGreaterThan(list.usage.user.bytes);
    expect(await a.ok('GET', '/api/recordings/usage')).toEqual(list.usage);
  });
});

describe('recording access', { timeout: 30_000 }, () => {
  it('refuses anonymous callers, other users, and cookie writes without the CSRF token', async () => {
    const { owner: a } = await owner();
    const { rec } = await uploaded(a, [bytes(100)]);
    const stranger = (await owner()).owner;
    expect((await call('/api/recordings')).status).toBe(401);
    expect((await call(`/api/recordings/${rec.id}/content`)).status).toBe(401);
    expect(await stranger.fails('GET', `/api/recordings/${rec.id}`, undefined, 404)).toBe('not_found');
    expect(await stranger.fails('GET', `/api/recordings/${rec.id}/content`, undefined, 404)).toBe('not_found');
    expect(await stranger.fails('DELETE', `/api/recordings/${rec.id}`, undefined, 404)).toBe('not_found');
    const noCsrf = await call(`/api/recordings/${rec.id}`, { method: 'DELETE', headers: { cookie: a.cookie } });
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as any).error.code).toBe('csrf');
    const crossSite = await call(`/api/recordings/${rec.id}`, { method: 'DELETE', headers: { ...authHeaders(a), origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect((await a.ok('GET', `/api/recordings/${rec.id}`)).status).toBe('complete');
  });
});

describe('tampering and erasure', { timeout: 30_000 }, () => {
  it('an object altered at rest is refused with a clear error, not served', async () => {
    const { owner: a } = await owner();
    const { rec } = await uploaded(a, [bytes(200_000)]);
    const key = `recordings/${rec.id}`;
    const stored = new Uint8Array(await (await env.RECORDINGS.get(key))!.arrayBuffer());
    stored[40]! ^= 1;
    await env.RECORDINGS.put(key, stored);
    const got = await download(a, `/api/recordings/${rec.id}/content`);
    expect(got).toMatchObject({ status: 422, code: 'sealed_unavailable' });
    // Cut short: the length no longer matches what was completed.
    await env.RECORDINGS.put(key, stored.subarray(0, stored.length - 1));
    expect(await download(a, `/api/recordings/${rec.id}/content`)).toMatchObject({ status: 422, code: 'sealed_unavailable' });
  });

  it('a record altered deep in the object breaks the stream instead of passing altered bytes on', async () => {
    const { owner: a } = await owner();
    const { rec } = await uploaded(a, [bytes(600_000)]);
    const key = `recordings/${rec.id}`;
    const stored = new Uint8Array(await (await env.RECORDINGS.get(key))!.arrayBuffer());
    stored[stored.length - 100]! ^= 1;
    await env.RECORDINGS.put(key, stored);
    const res = await call(`/api/recordings/${rec.id}/content`, { headers: authHeaders(a) });
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
  });

  it('delete erases the object and its wrapped key: a restored copy of object and rows no longer opens', async () => {
    const { owner: a } = await owner();
    const { rec } = await uploaded(a, [bytes(100_000)]);
    const key = `recordings/${rec.id}`;
    // What an attacker (or a backup) kept: the object, the recording rows, everything but the data key that delete shreds.
    const objCopy = new Uint8Array(await (await env.RECORDINGS.get(key))!.arrayBuffer());
    const rowCopy = await env.DB.prepare('SELECT * FROM recordings WHERE id = ?').bind(rec.id).first<Record<string, unknown>>();
    const partCopy = (await env.DB.prepare('SELECT * FROM recording_parts WHERE recording_id = ?').bind(rec.id).all<Record<string, unknown>>()).results;
    const dataKeyId = rowCopy!.data_key_id as string;
    expect(await env.DB.prepare('SELECT id FROM data_keys WHERE id = ?').bind(dataKeyId).first()).not.toBeNull();

    const res = await call(`/api/recordings/${rec.id}`, { method: 'DELETE', headers: authHeaders(a) });
    expect(res.status).toBe(204);
    expect(await env.RECORDINGS.get(key)).toBeNull();
    expect(await env.DB.prepare('SELECT id FROM data_keys WHERE id = ?').bind(dataKeyId).first()).toBeNull();
    expect(await env.DB.prepare('SELECT id FROM recordings WHERE id = ?').bind(rec.id).first()).toBeNull();
    expect(await a.fails('GET', `/api/recordings/${rec.id}/content`, undefined, 404)).toBe('not_found');

    // Put the leftovers back: without the data key the copy is noise.
    const insert = (table: string, row: Record<string, unknown>) =>
      env.DB.prepare(
        `INSERT INTO ${table} (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row)
          .map(() => '?')
          .join(', ')})`,
      )
        .bind(...Object.values(row))
        .run();
    await insert('recordings', rowCopy!);
    for (const p of partCopy) await insert('recording_parts', p);
    await env.RECORDINGS.put(key, objCopy);
    expect(await download(a, `/api/recordings/${rec.id}/content`)).toMatchObject({ status: 410, code: 'sealed_unavailable' });
  });

  it('deleting an unfinished upload aborts it', async () => {
    const { owner: a } = await owner();
    const rec = await create(a);
    expect((await putPart(a, rec.id, 1, bytes(RECORDING_PART_SIZE))).status).toBe(200);
    expect((await call(`/api/recordings/${rec.id}`, { method: 'DELETE', headers: authHeaders(a) })).status).toBe(204);
    const list = await a.ok<RecordingList>('GET', '/api/recordings');
    expect(list.recordings).toHaveLength(0);
    expect(list.usage.user.bytes).toBe(0);
  });
});
