/**
 * Usage reports from `usage_sessions` (one row per participant stay): meetings held,
 * participant-minutes and peak concurrent participants, per UTC day.
 *
 * The Room records stays through `recordJoin` / `recordLeave` (to be wired by the Room's owner).
 */
const DAY = 86_400_000;

export async function recordJoin(db: D1Database, meetingId: string, participant: string, now = Date.now()): Promise<void> {
  await db
    .prepare(
      `INSERT INTO usage_sessions (meeting_id, org_id, participant, joined_at)
       VALUES (?, (SELECT u.org_id FROM meetings m JOIN users u ON u.id = m.owner_id WHERE m.id = ?), ?, ?)`,
    )
    .bind(meetingId, meetingId, participant, now)
    .run();
}

export async function recordLeave(db: D1Database, meetingId: string, participant: string, now = Date.now()): Promise<void> {
  await db
    .prepare('UPDATE usage_sessions SET left_at = ? WHERE meeting_id = ? AND participant = ? AND left_at IS NULL')
    .bind(now, meetingId, participant)
    .run();
}

export interface DayUsage {
  day: string;
  meetings: number;
  participantMinutes: number;
  peakConcurrent: number;
}

interface Stay {
  meeting_id: string;
  joined_at: number;
  left_at: number | null;
}

/** Pure: stays in, one row per UTC day out. A stay still open counts until `now`. */
export function summarize(stays: Stay[], from: number, to: number, now: number): DayUsage[] {
  const days = new Map<number, { meetings: Set<string>; ms: number; events: Array<[number, number]> }>();
  const dayOf = (t: number) => Math.floor(t / DAY) * DAY;
  for (let d = dayOf(from); d < to; d += DAY) days.set(d, { meetings: new Set(), ms: 0, events: [] });
  for (const s of stays) {
    const start = Math.max(s.joined_at, from);
    const end = Math.min(s.left_at ?? now, to);
    if (end <= start) continue;
    for (let d = dayOf(start); d < end; d += DAY) {
      const bucket = days.get(d);
      if (!bucket) continue;
      const a = Math.max(start, d);
      const b = Math.min(end, d + DAY);
      bucket.meetings.add(s.meeting_id);
      bucket.ms += b - a;
      bucket.events.push([a, 1], [b, -1]);
    }
  }
  return [...days.entries()].map(([d, b]) => {
    // Leaves sort before joins at the same instant, so a hand-over is not counted as overlap.
    b.events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let cur = 0;
    let peak = 0;
    for (const [, delta] of b.events) peak = Math.max(peak, (cur += delta));
    return { day: new Date(d).toISOString().slice(0, 10), meetings: b.meetings.size, participantMinutes: Math.round(b.ms / 60_000), peakConcurrent: peak };
  });
}

export async function usageReport(db: D1Database, orgId: string, from: number, to: number, now = Date.now()): Promise<DayUsage[]> {
  const { results } = await db
    .prepare('SELECT meeting_id, joined_at, left_at FROM usage_sessions WHERE org_id = ? AND joined_at < ? AND (left_at IS NULL OR left_at > ?)')
    .bind(orgId, to, from)
    .all<Stay>();
  return summarize(results, from, to, now);
}
