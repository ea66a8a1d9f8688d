import { describe, expect, it } from 'vitest';
import { lookUpEarly, lookUpMeeting } from './meeting-lookup.ts';
import { HEAD_START_KEY } from './meeting-path.ts';

const details = (id: string) => ({ id, topic: '', hasPassword: false, startAt: null, durationMinutes: 60, timeZone: 'UTC', recurrence: null, ended: false });

/** A fetch that answers each meeting path with its details and counts the calls. */
function counter() {
  const urls: string[] = [];
  const fetcher = (async (url: string) => {
    urls.push(url);
    return new Response(JSON.stringify(details(url.split('/').at(-1)!)), { status: 200 });
  }) as typeof fetch;
  return { urls, fetcher };
}

describe('meeting lookup', () => {
  it('hands the early answer to the page once, then asks the network again', async () => {
    const { urls, fetcher } = counter();
    lookUpEarly('123456789', fetcher);
    expect(urls).toEqual(['/api/meetings/123456789']);
    await expect(lookUpMeeting('123456789', fetcher)).resolves.toMatchObject({ id: '123456789' });
    expect(urls).toHaveLength(1);
    await lookUpMeeting('123456789', fetcher);
    expect(urls).toHaveLength(2);
  });

  it('never hands one meeting the answer for another', async () => {
    const { urls, fetcher } = counter();
    lookUpEarly('123456789', fetcher);
    await expect(lookUpMeeting('987654321', fetcher)).resolves.toMatchObject({ id: '987654321' });
    expect(urls).toEqual(['/api/meetings/123456789', '/api/meetings/987654321']);
  });

  it('reports an early failure to the page that takes it, not before', async () => {
    const fetcher = (async () => new Response(JSON.stringify({ error: { code: 'meeting_not_found', message: 'no' } }), { status: 404 })) as typeof fetch;
    lookUpEarly('123456789', fetcher);
    await new Promise((r) => setTimeout(r, 0));
    await expect(lookUpMeeting('123456789', fetcher)).rejects.toMatchObject({ code: 'meeting_not_found' });
  });

  it("takes the page head's request for the same meeting instead of asking again, once", async () => {
    const { urls, fetcher } = counter();
    const g = globalThis as unknown as Record<string, unknown>;
    g[HEAD_START_KEY] = { path: '/api/meetings/123456789', answer: Promise.resolve(new Response(JSON.stringify(details('123456789')))) };
    lookUpEarly('123456789', fetcher);
    await expect(lookUpMeeting('123456789', fetcher)).resolves.toMatchObject({ id: '123456789' });
    expect(urls).toEqual([]);
    expect(g[HEAD_START_KEY]).toBeUndefined();
    // Another meeting than the head asked for goes to the network.
    g[HEAD_START_KEY] = { path: '/api/meetings/123456789', answer: Promise.resolve(new Response('{}')) };
    lookUpEarly('987654321', fetcher);
    await expect(lookUpMeeting('987654321', fetcher)).resolves.toMatchObject({ id: '987654321' });
    expect(urls).toEqual(['/api/meetings/987654321']);
  });

  it("parses the head's answer like any other: a bad one is refused", async () => {
    const g = globalThis as unknown as Record<string, unknown>;
    g[HEAD_START_KEY] = { path: '/api/meetings/123456789', answer: Promise.resolve(new Response(JSON.stringify({ id: '<script>' }))) };
    lookUpEarly('123456789', counter().fetcher);
    await expect(lookUpMeeting('123456789')).rejects.toBeTruthy();
  });
});
