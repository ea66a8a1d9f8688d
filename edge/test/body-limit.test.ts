/**
 * Request bodies are bounded while read: a streamed body far over the limit is cancelled at the
 * limit (413 too_large), a declared content-length over it is refused before reading, and every
 * route that reads a body goes through the same reader.
 */
import { API_NONCE_HEADER, API_TIME_HEADER, signApiRequest, signRequest } from '@sealroom/protocol';
import { describe, expect, it, vi } from 'vitest';
import { JSON_BODY_LIMIT, readBytes } from '../src/http/body.ts';
import { BASE, call, env, newOrg } from './accounts/helpers.ts';

vi.setConfig({ testTimeout: 30_000 });

const CHUNK = 64 * 1024;
const NINETY_MB = 90 * 1024 * 1024;

/** A body of `total` bytes produced on demand, counting what the reader actually pulled. */
function countingStream(total: number, fill = 0x20) {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (seen.pulled >= total) return ctrl.close();
      const n = Math.min(CHUNK, total - seen.pulled);
      seen.pulled += n;
      ctrl.enqueue(new Uint8Array(n).fill(fill));
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { stream, seen };
}

async function errorOf(res: Response): Promise<[number, string]> {
  const body = (await res.json()) as { error: { code: string } };
  return [res.status, body.error.code];
}

describe('the bounded reader', () => {
  it('stops a 90 MB chunked body at the limit and cancels it', async () => {
    const { stream, seen } = countingStream(NINETY_MB);
    const res = await call('/api/meetings', { method: 'POST', body: stream, headers: { 'content-type': 'application/json' } });
    expect(await errorOf(res)).toEqual([413, 'too_large']);
    // What was pulled is the limit plus what was in flight, never the body.
    expect(seen.pulled).toBeLessThan(JSON_BODY_LIMIT + 4 * CHUNK);
  });

  it('refuses a declared content-length over the limit before reading the body', async () => {
    const { stream, seen } = countingStream(NINETY_MB);
    const req = new Request('http://x.test/', { method: 'POST', body: stream, headers: { 'content-length': String(NINETY_MB) } });
    await expect(readBytes(req, JSON_BODY_LIMIT)).rejects.toMatchObject({ status: 413, code: 'too_large' });
    expect(seen.pulled).toBeLessThanOrEqual(CHUNK);
  });

  it('finds a lying content-length by counting', async () => {
    const { stream } = countingStream(JSON_BODY_LIMIT * 4);
    const req = new Request('http://x.test/', { method: 'POST', body: stream, headers: { 'content-length': '10' } });
    await expect(readBytes(req, JSON_BODY_LIMIT)).rejects.toMatchObject({ status: 413, code: 'too_large' });
  });

  it('refuses a malformed content-length', async () => {
    const req = new Request('http://x.test/', { method: 'POST', body: '{}', headers: { 'content-length': '-5' } });
    await expect(readBytes(req, JSON_BODY_LIMIT)).rejects.toMatchObject({ status: 400, code: 'bad_message' });
  });

  it('reads a body of exactly the limit, and refuses one byte more', async () => {
    const padded = (n: number) => `{"topic":"at the limit"}${' '.repeat(n - 24)}`;
    expect(new TextEncoder().encode(padded(JSON_BODY_LIMIT)).byteLength).toBe(JSON_BODY_LIMIT);
    const ok = await call('/api/meetings', { method: 'POST', body: padded(JSON_BODY_LIMIT) });
    expect(ok.status).toBe(201);
    expect(await errorOf(await call('/api/meetings', { method: 'POST', body: padded(JSON_BODY_LIMIT + 1) }))).toEqual([413, 'too_large']);
  });

  it('counts bytes, not characters', async () => {
    // 6000 three-byte characters: 18 000 bytes, under the limit in characters.
    const body = JSON.stringify({ topic: '界'.repeat(6000) });
    expect(body.length).toBeLessThan(JSON_BODY_LIMIT);
    expect(await errorOf(await call('/api/meetings', { method: 'POST', body }))).toEqual([413, 'too_large']);
  });
});

describe('every body-reading route uses it', () => {
  it('sign-in (public)', async () => {
    const { stream, seen } = countingStream(NINETY_MB);
    expect(await errorOf(await call('/api/auth/signin', { method: 'POST', body: stream }))).toEqual([413, 'too_large']);
    expect(seen.pulled).toBeLessThan(JSON_BODY_LIMIT + 4 * CHUNK);
  });

  it('signed origin heartbeats', async () => {
    const { stream, seen } = countingStream(NINETY_MB);
    const headers = await signRequest(env.SEALROOM_SHARED_SECRET, 'POST', '/internal/origins/heartbeat', '');
    expect(await errorOf(await call('/internal/origins/heartbeat', { method: 'POST', body: stream, headers }))).toEqual([413, 'too_large']);
    expect(seen.pulled).toBeLessThan(JSON_BODY_LIMIT + 4 * CHUNK);
  });

  it('the KMS rotation route', async () => {
    const { stream, seen } = countingStream(NINETY_MB);
    expect(await errorOf(await call('/internal/kms/rotate', { method: 'POST', body: stream }))).toEqual([413, 'too_large']);
    expect(seen.pulled).toBeLessThan(JSON_BODY_LIMIT + 4 * CHUNK);
  });

  it('API-key signature checks, which read the body they verify', async () => {
    const { owner } = await newOrg();
    const { id, secret } = await owner.ok('POST', '/api/account/keys', { label: 'ci' }, 201);
    const headers = await signApiRequest(id, secret, 'POST', `${BASE}/api/meetings`, '');
    expect(headers[API_TIME_HEADER]).toBeTruthy();
    expect(headers[API_NONCE_HEADER]).toBeTruthy();
    const { stream, seen } = countingStream(NINETY_MB);
    expect(await errorOf(await call('/api/meetings', { method: 'POST', body: stream, headers }))).toEqual([413, 'too_large']);
    // The signature reader's limit is a recording part (5 MiB): bounded, far under the body.
    expect(seen.pulled).toBeLessThan(6 * 1024 * 1024);
  });
});
