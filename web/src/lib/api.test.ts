import { describe, expect, it } from 'vitest';
import { ApiError, createMeeting, deleteMeeting, getMeeting, getMeetingDetails, updateMeeting } from './api.ts';

const reply = (status: number, body: unknown) => (async () => new Response(JSON.stringify(body), { status })) as typeof fetch;

describe('api', () => {
  it('creates a meeting and checks the answer', async () => {
    let sent: RequestInit | undefined;
    const fetcher = (async (_url: string, init?: RequestInit) => {
      sent = init;
      return new Response(JSON.stringify({ id: '123456789', hostKey: 'hk', url: '/m/123456789' }), { status: 201 });
    }) as typeof fetch;
    await expect(createMeeting({ topic: 'Standup' }, fetcher)).resolves.toEqual({ id: '123456789', hostKey: 'hk', url: '/m/123456789' });
    expect(sent?.method).toBe('POST');
    expect(JSON.parse(String(sent?.body))).toEqual({ topic: 'Standup' });
  });

  it('maps an error body to its code', async () => {
    const err = await getMeeting('123456789', reply(404, { error: { code: 'meeting_not_found', message: 'no' } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'meeting_not_found', status: 404 });
  });

  it('refuses a malformed success and a bodyless failure', async () => {
    await expect(getMeeting('123456789', reply(200, { id: 'nope' }))).rejects.toMatchObject({ code: 'bad_message' });
    await expect(getMeeting('123456789', reply(502, 'gateway'))).rejects.toMatchObject({ code: 'internal', status: 502 });
  });

  it('reads meeting info', async () => {
    await expect(
      getMeeting(
        '123456789',
        reply(200, { id: '123456789', topic: '', hasPassword: true, startAt: null, durationMinutes: 60, timeZone: 'UTC', recurrence: null, ended: false }),
      ),
    ).resolves.toMatchObject({ hasPassword: true });
  });

  it('sends the host key on host-only calls', async () => {
    const seen: [string, RequestInit | undefined][] = [];
    const details = {
      id: '123456789',
      topic: 'T',
      hasPassword: false,
      startAt: null,
      durationMinutes: 60,
      timeZone: 'UTC',
      recurrence: null,
      ended: false,
      settings: {
        waitingRoom: true,
        joinBeforeHost: true,
        muteOnEntry: false,
        allowUnmute: true,
        allowShare: true,
        allowChat: true,
        allowRename: true,
        multiShare: false,
      },
      alternativeHosts: [],
    };
    const fetcher = (async (url: string, init?: RequestInit) => {
      seen.push([url, init]);
      return init?.method === 'DELETE' ? new Response(null, { status: 204 }) : new Response(JSON.stringify(details), { status: 200 });
    }) as typeof fetch;
    await getMeetingDetails('123456789', 'hk', fetcher);
    await updateMeeting('123456789', 'hk', { topic: 'T' }, fetcher);
    await deleteMeeting('123456789', 'hk', fetcher);
    expect(seen.map(([u, i]) => [u, i?.method, (i?.headers as Record<string, string>).authorization])).toEqual([
      ['/api/meetings/123456789/details', 'GET', 'HostKey hk'],
      ['/api/meetings/123456789', 'PATCH', 'HostKey hk'],
      ['/api/meetings/123456789', 'DELETE', 'HostKey hk'],
    ]);
    await expect(deleteMeeting('123456789', 'bad', reply(403, {}))).rejects.toMatchObject({ code: 'forbidden' });
  });
});
