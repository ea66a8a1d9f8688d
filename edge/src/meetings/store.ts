/** Meetings in D1: the schedule and the defaults a Room starts from. */
import { DEFAULT_SETTINGS, type MeetingDetails, type MeetingInput, MeetingSettings, Recurrence } from '@sealroom/protocol';
import { sha256HexOf } from '../digest.ts';
import { randomMeetingId, randomToken } from '../random.ts';
import { MEETING_LOG_N, hashPassword } from '../password-hash.ts';

export interface MeetingRow {
  id: string;
  topic: string;
  owner_id: string | null;
  host_key_hash: string;
  password_hash: string | null;
  settings_json: string;
  start_at: number | null;
  duration_min: number;
  time_zone: string;
  recurrence_json: string | null;
  alt_hosts_json: string;
  personal: number;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
}

export interface Meeting extends MeetingDetails {
  ownerId: string | null;
  hostKeyHash: string;
  passwordHash: string | null;
  createdAt: number;
}

export function fromRow(r: MeetingRow): Meeting {
  return {
    id: r.id,
    topic: r.topic,
    ownerId: r.owner_id,
    hostKeyHash: r.host_key_hash,
    passwordHash: r.password_hash,
    hasPassword: r.password_hash !== null,
    settings: MeetingSettings.parse(JSON.parse(r.settings_json)),
    startAt: r.start_at,
    durationMinutes: r.duration_min,
    timeZone: r.time_zone,
    recurrence: r.recurrence_json ? Recurrence.parse(JSON.parse(r.recurrence_json)) : null,
    alternativeHosts: JSON.parse(r.alt_hosts_json) as string[],
    createdAt: r.created_at,
    ended: r.ended_at !== null,
  };
}

/** The part anyone with the link may see. */
export const publicView = (m: Meeting) => ({
  id: m.id,
  topic: m.topic,
  hasPassword: m.hasPassword,
  startAt: m.startAt,
  durationMinutes: m.durationMinutes,
  timeZone: m.timeZone,
  recurrence: m.recurrence,
  ended: m.ended,
});

export const detailsView = (m: Meeting): MeetingDetails => ({ ...publicView(m), settings: m.settings, alternativeHosts: m.alternativeHosts });

/** Creates a meeting and returns its id and the host key (shown once, stored only as a hash). */
export async function createMeeting(
  db: D1Database,
  input: MeetingInput,
  ownerId: string | null = null,
  now = Date.now(),
): Promise<{ id: string; hostKey: string }> {
  const hostKey = randomToken(43);
  const hash = await sha256HexOf(hostKey);
  const password = input.password ? await hashPassword(input.password, MEETING_LOG_N) : null;
  const settings = { ...DEFAULT_SETTINGS, ...input.settings };
  // Ids are random; on the rare collision, draw again.
  for (let attempt = 0; attempt < 5; attempt++) {
    const id = randomMeetingId();
    const r = await db
      .prepare(
        `INSERT INTO meetings (id, topic, owner_id, host_key_hash, password_hash, settings_json, start_at, duration_min, time_zone,
           recurrence_json, alt_hosts_json, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
      )
      .bind(
        id,
        input.topic ?? '',
        ownerId,
        hash,
        password,
        JSON.stringify(settings),
        input.startAt ?? null,
        input.durationMinutes ?? 60,
        input.timeZone ?? 'UTC',
        input.recurrence ? JSON.stringify(input.recurrence) : null,
        JSON.stringify(input.alternativeHosts ?? []),
        now,
        now,
      )
      .run();
    if (r.meta.changes === 1) return { id, hostKey };
  }
  throw new Error('could not allocate a meeting id');
}

export async function getMeeting(db: D1Database, id: string): Promise<Meeting | null> {
  const row = await db.prepare('SELECT * FROM meetings WHERE id = ?').bind(id).first<MeetingRow>();
  return row ? fromRow(row) : null;
}

/** Applies an edit; only the fields given change. */
export async function updateMeeting(db: D1Database, m: Meeting, input: MeetingInput, now = Date.now()): Promise<Meeting> {
  const password = input.password === undefined ? m.passwordHash : input.password === '' ? null : await hashPassword(input.password, MEETING_LOG_N);
  const next: Meeting = {
    ...m,
    topic: input.topic ?? m.topic,
    passwordHash: password,
    hasPassword: password !== null,
    settings: { ...m.settings, ...input.settings },
    startAt: input.startAt === undefined ? m.startAt : input.startAt,
    durationMinutes: input.durationMinutes ?? m.durationMinutes,
    timeZone: input.timeZone ?? m.timeZone,
    recurrence: input.recurrence === undefined ? m.recurrence : input.recurrence,
    alternativeHosts: input.alternativeHosts ?? m.alternativeHosts,
  };
  await db
    .prepare(
      `UPDATE meetings SET topic = ?, password_hash = ?, settings_json = ?, start_at = ?, duration_min = ?, time_zone = ?,
         recurrence_json = ?, alt_hosts_json = ?, updated_at = ? WHERE id = ?`,
    )
    .bind(
      next.topic,
      next.passwordHash,
      JSON.stringify(next.settings),
      next.startAt,
      next.durationMinutes,
      next.timeZone,
      next.recurrence ? JSON.stringify(next.recurrence) : null,
      JSON.stringify(next.alternativeHosts),
      now,
      m.id,
    )
    .run();
  return next;
}

/**
 * A user's personal meeting: one fixed id for good, made on first use. Its host is its owner
 * by session; the host key it is created with is never shown.
 */
export async function personalMeeting(db: D1Database, userId: string, name: string): Promise<Meeting> {
  const find = () => db.prepare('SELECT * FROM meetings WHERE owner_id = ? AND personal = 1').bind(userId).first<MeetingRow>();
  const existing = await find();
  if (existing) return fromRow(existing);
  const { id } = await createMeeting(db, { topic: `${name}'s meeting room`.slice(0, 200) }, userId);
  await db.prepare('UPDATE meetings SET personal = 1 WHERE id = ?').bind(id).run();
  // Two first uses at once: the older one stays the personal meeting, the other is dropped.
  const rows = await db.prepare('SELECT id FROM meetings WHERE owner_id = ? AND personal = 1 ORDER BY created_at, id').bind(userId).all<{ id: string }>();
  for (const extra of rows.results.slice(1)) await db.prepare('DELETE FROM meetings WHERE id = ?').bind(extra.id).run();
  return fromRow((await find())!);
}

/**
 * A user's meetings still to come: theirs or ones naming them an alternative host (only once the
 * user has verified that address: an unverified one could be anybody's); scheduled ones not yet
 * over, recurring ones, and unscheduled ones not ended.
 */
export async function upcomingMeetings(
  db: D1Database,
  user: { id: string; email: string; emailVerifiedAt: number | null },
  now = Date.now(),
): Promise<Meeting[]> {
  // NULL matches no alternative host: lower(value) = lower(NULL) is never true.
  const email = user.emailVerifiedAt !== null ? user.email : null;
  const userId = user.id;
  const rows = await db
    .prepare(
      `SELECT * FROM meetings WHERE ended_at IS NULL
         AND (owner_id = ? OR EXISTS (SELECT 1 FROM json_each(alt_hosts_json) WHERE lower(value) = lower(?)))
         AND (start_at IS NULL OR recurrence_json IS NOT NULL OR start_at + duration_min * 60000 > ?)
       ORDER BY start_at IS NULL, start_at LIMIT 200`,
    )
    .bind(userId, email, now)
    .all<MeetingRow>();
  return rows.results.map(fromRow);
}

export async function deleteMeeting(db: D1Database, id: string): Promise<void> {
  await db.prepare('DELETE FROM meetings WHERE id = ?').bind(id).run();
}

export async function markEnded(db: D1Database, id: string, now = Date.now()): Promise<void> {
  await db.prepare('UPDATE meetings SET ended_at = ? WHERE id = ? AND ended_at IS NULL').bind(now, id).run();
}
