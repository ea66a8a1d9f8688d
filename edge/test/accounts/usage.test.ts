import { describe, expect, it, vi } from 'vitest';
import { recordJoin, recordLeave, summarize } from '../../src/admin/usage.ts';
import { newMeeting } from '../helpers.ts';
import { env, newOrg } from './helpers.ts';

vi.setConfig({ testTimeout: 30_000 });

const DAY = 86_400_000;
const D0 = Date.UTC(2026, 10, 2);
const min = (m: number) => m * 60_000;

describe('usage summary (pure)', () => {
  it('counts meetings, participant-minutes and peak concurrency per UTC day', () => {
    const stays = [
      { meeting_id: 'a', joined_at: D0 + min(60), left_at: D0 + min(120) },
      { meeting_id: 'a', joined_at: D0 + min(90), left_at: D0 + min(100) },
      { meeting_id: 'b', joined_at: D0 + min(120), left_at: D0 + min(130) }, // starts as the first leaves: no overlap
      { meeting_id: 'c', joined_at: D0 + DAY - min(30), left_at: D0 + DAY + min(30) }, // crosses midnight
    ];
    expect(summarize(stays, D0, D0 + 2 * DAY, D0 + 3 * DAY)).toEqual([
      { day: '2026-11-02', meetings: 3, participantMinutes: 60 + 10 + 10 + 30, peakConcurrent: 2 },
      { day: '2026-11-03', meetings: 1, participantMinutes: 30, peakConcurrent: 1 },
    ]);
  });

  it('counts a stay still open up to now', () => {
    expect(summarize([{ meeting_id: 'a', joined_at: D0, left_at: null }], D0, D0 + DAY, D0 + min(45))[0]).toMatchObject({
      participantMinutes: 45,
      peakConcurrent: 1,
    });
  });
});

describe('GET /api/admin/usage', () => {
  it('reports the organization’s own meetings only', async () => {
    const { owner, info } = await newOrg();
    const mine = await newMeeting();
    await env.DB.prepare('UPDATE meetings SET owner_id = ? WHERE id = ?').bind(info.user.id, mine.id).run();
    const other = await newMeeting();
    const t = Date.now() - min(30);
    await recordJoin(env.DB, mine.id, 'p1', t);
    await recordJoin(env.DB, mine.id, 'p2', t + min(5));
    await recordLeave(env.DB, mine.id, 'p2', t + min(15));
    await recordJoin(env.DB, other.id, 'x', t);
    const r = await owner.ok('GET', `/api/admin/usage?from=${t - DAY}&to=${Date.now() + 1000}`);
    const total = r.days.reduce((n: number, d: any) => n + d.participantMinutes, 0);
    expect(total).toBeGreaterThanOrEqual(39);
    expect(total).toBeLessThanOrEqual(41);
    expect(Math.max(...r.days.map((d: any) => d.peakConcurrent))).toBe(2);
    expect(r.days.reduce((n: number, d: any) => Math.max(n, d.meetings), 0)).toBe(1);
  });
});
