import { describe, expect, it } from 'vitest';
import { UserList } from '@sealroom/protocol';
import { AdminApi } from '../admin/api.ts';
import { RecordingsApi, RecordingsApiError } from '../recordings/api.ts';
import { ApiError, apiErrorOf } from './api-error.ts';
import { getMeeting } from './api.ts';

const reply = (status: number, body: unknown) => (async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status })) as typeof fetch;

describe('the one API error type', () => {
  it('carries the status, code and message of an error body', () => {
    const e = apiErrorOf(403, { error: { code: 'forbidden', message: 'no' } });
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.status, e.code, e.message]).toEqual(['ApiError', 403, 'forbidden', 'no']);
  });

  it('gives a body of any other shape a code from the status, never the body itself', () => {
    expect(apiErrorOf(404, null)).toMatchObject({ status: 404, code: 'not_found', message: 'HTTP 404' });
    expect(apiErrorOf(502, '<html>bad gateway</html>')).toMatchObject({ status: 502, code: 'internal', message: 'HTTP 502' });
    expect(apiErrorOf(500, { error: { code: 'x'.repeat(65), message: 'long code' } })).toMatchObject({ code: 'internal' });
    expect(apiErrorOf(500, { error: { code: 'internal', message: 'y'.repeat(501) } })).toMatchObject({ code: 'internal', message: 'HTTP 500' });
  });

  it('is what all three clients throw: meetings, accounts, recordings', async () => {
    const body = { error: { code: 'forbidden', message: 'no' } };
    const meetings = await getMeeting('123456789', reply(403, body)).catch((e: unknown) => e);
    const accounts = await new AdminApi(reply(403, body)).call(UserList, 'GET', '/api/admin/users').catch((e: unknown) => e);
    const recordings = await new RecordingsApi({ csrf: 't', fetch: reply(403, body) }).list().catch((e: unknown) => e);
    for (const e of [meetings, accounts, recordings]) {
      expect(e).toBeInstanceOf(ApiError);
      expect(e).toMatchObject({ status: 403, code: 'forbidden' });
    }
    expect(RecordingsApiError).toBe(ApiError);
    // A proxy's HTML page instead of our JSON is still an ApiError with the status.
    const html = await new AdminApi(reply(502, '<html>bad gateway</html>')).call(UserList, 'GET', '/api/admin/users').catch((e: unknown) => e);
    expect(html).toMatchObject({ name: 'ApiError', status: 502, code: 'internal' });
  });
});
