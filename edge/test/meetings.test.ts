import { describe, expect, it } from 'vitest';
import { call, newMeeting } from './helpers.ts';

describe('POST /api/meetings', () => {
  it('creates a meeting with a 9–11 digit id and a host key', async () => {
    const res = await call('/api/meetings', { method: 'POST', body: JSON.stringify({ topic: 'Board' }) });
    expect(res.status).toBe(201);
    const body = await res.json<{ id: string; hostKey: string; url: string }>();
    expect(body.id).toMatch(/^[1-9][0-9]{8,10}$/);
    expect(body.hostKey.length).toBeGreaterThanOrEqual(40);
    expect(body.url).toBe(`/m/${body.id}`);
    const got = await call(`/api/meetings/${body.id}`);
    expect(await got.json()).toEqual({
      id: body.id,
      topic: 'Board',
      hasPassword: false,
      startAt: null,
      durationMinutes: 60,
      timeZone: 'UTC',
      recurrence: null,
      ended: false,
    });
  });

  it('never stores the host key in clear', async () => {
    const { env } = await import('cloudflare:workers');
    const { id, hostKey } = await newMeeting();
    const row = await env.DB.prepare('SELECT * FROM meetings WHERE id = ?').bind(id).first<Record<string, unknown>>();
    expect(JSON.stringify(row)).not.toContain(hostKey);
  });

  it.each([
    ['not JSON', '{'],
    ['unknown field', JSON.stringify({ topic: 'x', admin: true })],
    ['topic too long', JSON.stringify({ topic: 'x'.repeat(201) })],
    ['wrong type', JSON.stringify({ topic: 42 })],
  ])('refuses a bad body (%s) with a clear error and creates nothing', async (_, body) => {
    const { env } = await import('cloudflare:workers');
    const before = await env.DB.prepare('SELECT count(*) AS n FROM meetings').first<{ n: number }>();
    const res = await call('/api/meetings', { method: 'POST', body });
    expect(res.status).toBe(400);
    const json = await res.json<{ error: { code: string; message: string } }>();
    expect(json.error.code).toBe('bad_message');
    expect(json.error.message.length).toBeGreaterThan(0);
    const after = await env.DB.prepare('SELECT count(*) AS n FROM meetings').first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });
});

describe('GET /api/meetings/:id', () => {
  it.each(['123456789', '12345', 'abc', '1'.repeat(12)])('answers 404 meeting_not_found for %s', async (id) => {
    const res = await call(`/api/meetings/${id}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'meeting_not_found', message: 'no such meeting' } });
  });

  it('refuses a WebSocket to an unknown meeting', async () => {
    const res = await call('/api/meetings/987654321/ws', { headers: { upgrade: 'websocket' } });
    expect(res.status).toBe(404);
  });

  it('answers unknown API routes with a JSON 404', async () => {
    const res = await call('/api/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no such route' } });
  });
});
