/**
 * Byte ranges of a recording's content, against real R2 and D1 in workerd: any range of the
 * client-sealed stream comes back exact (within a record, across records and parts, suffixes,
 * open ends), read from only the stored records that hold it.
 */
import type { ShareView } from '@sealroom/protocol';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { RECORD_SIZE, planRange, storedLength } from '../../src/recordings/at-rest.ts';
import { parseRange } from '../../src/recordings/range.ts';
import { call } from '../accounts/helpers.ts';
import { RECORDING_PART_SIZE, authHeaders, bytes, equal, owner, uploaded } from './helpers.ts';

const MiB = 1024 * 1024;

describe('parseRange', () => {
  it.each([
    [undefined, null],
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=90-', { start: 90, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['bytes=95-1000', { start: 95, end: 99 }],
    ['bytes=100-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=9-3', 'unsatisfiable'],
    // Not one simple range: ignored, the whole body is sent (RFC 9110 §14.2).
    ['bytes=0-1,5-6', null],
    ['items=0-1', null],
    ['bytes=-', null],
    ['bytes=x-1', null],
  ])('%s', (header, want) => {
    expect(parseRange(header, 100)).toEqual(want);
  });
});

describe('planRange', () => {
  it('maps client bytes to the stored records that hold them', () => {
    const sizes = [RECORDING_PART_SIZE, RECORDING_PART_SIZE, 1000];
    const p = planRange(sizes, RECORDING_PART_SIZE + RECORD_SIZE + 5, RECORDING_PART_SIZE + RECORD_SIZE + 5);
    expect(p.from).toEqual({ part: 1, record: 1 });
    expect(p.to).toEqual({ part: 1, record: 2 });
    expect(p.saltOffset).toBe(storedLength(RECORDING_PART_SIZE));
    expect(p.storedOffset).toBe(storedLength(RECORDING_PART_SIZE) + 16 + RECORD_SIZE + 16);
    expect(p.storedLength).toBe(RECORD_SIZE + 16);
    expect(p.skip).toBe(5);
  });
});

describe('recording content by range', { timeout: 60_000 }, () => {
  it('serves any single range exactly, with 206 and Content-Range; refuses one outside with 416', async () => {
    const { owner: a } = await owner();
    // 11 MiB of container in 1 MiB chunks: three parts, the last short.
    const { rec, data } = await uploaded(
      a,
      Array.from({ length: 11 }, (_, i) => bytes(MiB, i + 1)),
    );
    const size = data.length;
    const P = RECORDING_PART_SIZE;
    const cases: [string, number, number][] = [
      ['bytes=0-25', 0, 25],
      ['bytes=100-200', 100, 200],
      [`bytes=${RECORD_SIZE - 10}-${RECORD_SIZE + 10}`, RECORD_SIZE - 10, RECORD_SIZE + 10],
      [`bytes=${P - 10}-${P + 10}`, P - 10, P + 10],
      [`bytes=${P - 3}-${2 * P + 3}`, P - 3, 2 * P + 3],
      [`bytes=${2 * P + 12_345}-`, 2 * P + 12_345, size - 1],
      ['bytes=-100', size - 100, size - 1],
      [`bytes=${size - 1}-${size + 50}`, size - 1, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await call(`/api/recordings/${rec.id}/content`, { headers: authHeaders(a, { range }) });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/${size}`);
      expect(res.headers.get('content-length'), range).toBe(String(end - start + 1));
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      const body = new Uint8Array(await res.arrayBuffer());
      expect(equal(body, data.subarray(start, end + 1)), range).toBe(true);
    }
    const whole = await call(`/api/recordings/${rec.id}/content`, { headers: authHeaders(a) });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(equal(new Uint8Array(await whole.arrayBuffer()), data)).toBe(true);

    const outside = await call(`/api/recordings/${rec.id}/content`, { headers: authHeaders(a, { range: `bytes=${size}-` }) });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe(`bytes */${size}`);
    expect(((await outside.json()) as { error: { code: string } }).error.code).toBe('range_not_satisfiable');
  });

  it('reads only the records a range needs: damage elsewhere does not stop it, damage inside it does', async () => {
    const { owner: a } = await owner();
    const { rec, data } = await uploaded(a, [bytes(400_000, 3)]);
    const key = `recordings/${rec.id}`;
    const stored = new Uint8Array(await (await env.RECORDINGS.get(key))!.arrayBuffer());
    // Damage record 0 (just after the part's salt).
    stored[40]! ^= 1;
    await env.RECORDINGS.put(key, stored);
    const far = 3 * RECORD_SIZE + 7;
    const ok = await call(`/api/recordings/${rec.id}/content`, { headers: authHeaders(a, { range: `bytes=${far}-${far + 999}` }) });
    expect(ok.status).toBe(206);
    expect(equal(new Uint8Array(await ok.arrayBuffer()), data.subarray(far, far + 1000))).toBe(true);
    const bad = await call(`/api/recordings/${rec.id}/content`, { headers: authHeaders(a, { range: 'bytes=10-20' }) });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('sealed_unavailable');
  });

  it('a share link serves ranges too; someone else cannot range-read the owner’s recording', async () => {
    const { owner: a } = await owner();
    const { owner: b } = await owner();
    const { rec, data } = await uploaded(a, [bytes(200_000, 4)]);
    const share = await a.ok<ShareView>('POST', `/api/recordings/${rec.id}/shares`, { expiresInSeconds: 3600 }, 201);
    const res = await call(`/api/recordings/shared/${share.id}/content`, { headers: { range: 'bytes=-1000' } });
    expect(res.status).toBe(206);
    expect(equal(new Uint8Array(await res.arrayBuffer()), data.subarray(data.length - 1000))).toBe(true);
    const other = await call(`/api/recordings/${rec.id}/content`, { headers: authHeaders(b, { range: 'bytes=0-10' }) });
    expect(other.status).toBe(404);
  });
});
