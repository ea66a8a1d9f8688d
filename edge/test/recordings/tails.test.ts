/**
 * Tails: a browser that dies while filling a part still leaves what it sealed of it. The edge
 * keeps tail segments sealed at rest, drops them once their part arrives whole, and salvage turns
 * the contiguous tail into the recording's last part (real R2 and D1 in workerd).
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { kmsOf } from '../../src/accounts/context.ts';
import { salvage } from '../../src/recordings/objects.ts';
import { getRecording } from '../../src/recordings/store.ts';
import { call } from '../accounts/helpers.ts';
import { RECORDING_PART_SIZE, authHeaders, bytes, create, download, equal, openStream, owner, putPart, sealStream } from './helpers.ts';

const MiB = 1024 * 1024;

function putTail(a: Parameters<typeof authHeaders>[0], id: string, n: number, offset: number, body: Uint8Array): Promise<Response> {
  return call(`/api/recordings/${id}/tail/${n}/${offset}`, {
    method: 'PUT',
    headers: authHeaders(a, { 'content-length': String(body.length) }),
    body: body.slice(),
  });
}

const tailKeys = async (id: string) => (await env.RECORDINGS.list({ prefix: `recordings/${id}/tail/` })).objects.map((o) => o.key);

describe('tails of the part being filled', { timeout: 60_000 }, () => {
  it('a crashed browser’s tail becomes the last part: the recording plays up to the last tail', async () => {
    const { owner: a } = await owner();
    const rec = await create(a);
    const key = bytes(32, 5);
    const chunks = Array.from({ length: 8 }, (_, i) => bytes(MiB, i + 30));
    const data = sealStream(rec.id, key, chunks);
    const P = RECORDING_PART_SIZE;
    expect((await putPart(a, rec.id, 1, data.subarray(0, P))).status).toBe(200);
    // Part 2 was being filled: two tails arrived, a third (after a gap) is of no use.
    const t1 = data.subarray(P, P + MiB + 100);
    const t2 = data.subarray(P + MiB + 100, P + 2 * MiB + 300);
    expect((await putTail(a, rec.id, 2, 0, t1)).status).toBe(200);
    expect(await (await putTail(a, rec.id, 2, t1.length, t2)).json()).toEqual({ partNumber: 2, offset: t1.length, size: t2.length });
    expect((await putTail(a, rec.id, 2, 3 * MiB, data.subarray(P + 3 * MiB, P + 3 * MiB + 10))).status).toBe(200);
    // Sealed at rest: the client's bytes do not appear in the stored tail.
    const stored = new Uint8Array(await (await env.RECORDINGS.get((await tailKeys(rec.id))[0]!))!.arrayBuffer());
    expect(Buffer.from(stored).indexOf(Buffer.from(t1.subarray(500, 564)))).toBe(-1);

    const row = (await getRecording(env.DB, rec.id))!;
    expect(await salvage({ db: env.DB, bucket: env.RECORDINGS, kms: await kmsOf(env) }, row)).toBe('completed');
    const got = await download(a, `/api/recordings/${rec.id}/content`);
    expect(got.status).toBe(200);
    expect(equal(got.body, data.subarray(0, P + t1.length + t2.length))).toBe(true);
    const opened = openStream(rec.id, key, got.body);
    expect(opened.complete).toBe(false);
    expect(opened.chunks.length).toBe(7); // seven whole sealed 1 MiB chunks lie within 7 MiB + 400 bytes
    expect(await tailKeys(rec.id)).toEqual([]);
  });

  it('tails of a part go once the part arrives whole, and all go on completion and deletion', async () => {
    const { owner: a } = await owner();
    const rec = await create(a);
    const data = sealStream(
      rec.id,
      bytes(32, 6),
      Array.from({ length: 6 }, (_, i) => bytes(MiB, i + 40)),
    );
    const P = RECORDING_PART_SIZE;
    expect((await putTail(a, rec.id, 1, 0, data.subarray(0, 1000))).status).toBe(200);
    expect((await putTail(a, rec.id, 2, 0, data.subarray(P, P + 1000))).status).toBe(200);
    expect(await tailKeys(rec.id)).toHaveLength(2);
    expect((await putPart(a, rec.id, 1, data.subarray(0, P))).status).toBe(200);
    expect(await tailKeys(rec.id)).toEqual([`recordings/${rec.id}/tail/2/0000000000`]);
    const other = await create(a);
    expect((await putTail(a, other.id, 1, 0, data.subarray(0, 1000))).status).toBe(200);
    expect((await call(`/api/recordings/${other.id}`, { method: 'DELETE', headers: authHeaders(a) })).status).toBe(204);
    expect(await tailKeys(other.id)).toEqual([]);
    expect((await putPart(a, rec.id, 2, data.subarray(P))).status).toBe(200);
    await a.ok('POST', `/api/recordings/${rec.id}/complete`, { parts: 2, durationMs: 6000 });
    expect(await tailKeys(rec.id)).toEqual([]);
  });

  it('refuses tails out of bounds, after completion, without a length, and from someone else', async () => {
    const { owner: a } = await owner();
    const { owner: b } = await owner();
    const rec = await create(a);
    const P = RECORDING_PART_SIZE;
    expect((await putTail(a, rec.id, 1, P - 10, bytes(11))).status).toBe(400);
    expect((await putTail(a, rec.id, 0, 0, bytes(11))).status).toBe(400);
    expect((await putTail(b, rec.id, 1, 0, bytes(11))).status).toBe(404);
    const noLength = await call(`/api/recordings/${rec.id}/tail/1/0`, {
      method: 'PUT',
      headers: authHeaders(a),
      body: new ReadableStream({ start: (c) => (c.enqueue(bytes(5)), c.close()) }),
      duplex: 'half',
    } as RequestInit);
    expect(noLength.status).toBe(411);
    expect((await putPart(a, rec.id, 1, bytes(1000))).status).toBe(200);
    await a.ok('POST', `/api/recordings/${rec.id}/complete`, { parts: 1, durationMs: 10 });
    expect((await putTail(a, rec.id, 2, 0, bytes(11))).status).toBe(409);
    expect(await tailKeys(rec.id)).toEqual([]);
  });
});
