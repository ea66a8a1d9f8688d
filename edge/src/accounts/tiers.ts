/**
 * Subscription tiers: the most participants one meeting may hold. The Room asks
 * `maxParticipantsForMeeting` at join; the answer comes from the meeting owner's organization.
 * Meetings without an owner (created anonymously) get DEFAULT_MAX_PARTICIPANTS.
 */
import { TIERS, type Tier } from '@sealroom/protocol';

export const DEFAULT_MAX_PARTICIPANTS = 1000;

export function isTier(n: number): n is Tier {
  return (TIERS as readonly number[]).includes(n);
}

/** The env binding as a number, or the default when unset or not a positive integer. */
export function anonymousLimit(binding?: string): number {
  const n = Number(binding);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_PARTICIPANTS;
}

/**
 * @param anonymousMax the Worker's DEFAULT_MAX_PARTICIPANTS binding (string or number), if any.
 * @returns the tier of the owner's organization; the anonymous limit when the meeting has no
 *   owner, or the owner/org is gone.
 */
export async function maxParticipantsForMeeting(db: D1Database, meetingId: string, anonymousMax?: string | number): Promise<number> {
  const row = await db
    .prepare('SELECT o.tier AS tier FROM meetings m JOIN users u ON u.id = m.owner_id JOIN orgs o ON o.id = u.org_id WHERE m.id = ?')
    .bind(meetingId)
    .first<{ tier: number }>();
  return row && isTier(row.tier) ? row.tier : anonymousLimit(anonymousMax === undefined ? undefined : String(anonymousMax));
}

/**
 * What the Room's join gate needs from accounts, in one read: the participant limit and whether
 * people without an account may join (the owner's organization policy `allowAnonymousJoin`;
 * meetings without an owner always allow it, which keeps join-by-link working).
 */
export async function meetingAccess(
  db: D1Database,
  meetingId: string,
  anonymousMax?: string | number,
): Promise<{ maxParticipants: number; allowAnonymousJoin: boolean }> {
  const row = await db
    .prepare('SELECT o.tier AS tier, o.policy_json AS policy FROM meetings m JOIN users u ON u.id = m.owner_id JOIN orgs o ON o.id = u.org_id WHERE m.id = ?')
    .bind(meetingId)
    .first<{ tier: number; policy: string }>();
  if (!row) return { maxParticipants: anonymousLimit(anonymousMax === undefined ? undefined : String(anonymousMax)), allowAnonymousJoin: true };
  let allow = true;
  try {
    allow = (JSON.parse(row.policy) as { allowAnonymousJoin?: unknown }).allowAnonymousJoin !== false;
  } catch {
    // A stored policy that does not parse falls back to the default (allowed), as orgFromRow does.
  }
  return { maxParticipants: isTier(row.tier) ? row.tier : DEFAULT_MAX_PARTICIPANTS, allowAnonymousJoin: allow };
}
