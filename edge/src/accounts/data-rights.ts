/**
 * Data rights: export everything held about a user as one JSON archive, and erase a user or a
 * whole organization. Erasure deletes the rows and, first, the data keys that sealed their
 * fields (crypto-shredding), so a copy of a sealed value in a backup can no longer be opened.
 *
 * What stays: audit entries, which are append-only by design (a deletion would break the chain
 * and defeat the log's purpose). They name the user by an opaque id only, which no longer maps
 * to a person once the user row is gone.
 */
import type { Kms } from '../kms/kms.ts';
import { SealedUnavailable, openField, shredOrg, shredUser } from '../kms/envelope.ts';
import { apiKeyView, listApiKeys } from './apikeys.ts';
import { remainingRecoveryCodes } from './recovery.ts';
import { type Org, type User, listUsers, orgView, userView } from './store.ts';

export const ARCHIVE_FORMAT = 'sealroom-user-export/1';

async function openOrNull(db: D1Database, kms: Kms, userId: string, sealed: string | null): Promise<string | null> {
  if (!sealed) return null;
  try {
    return await openField(db, kms, { userId }, 'phone', sealed);
  } catch (err) {
    if (err instanceof SealedUnavailable) return null;
    throw err;
  }
}

export async function exportUser(db: D1Database, kms: Kms, user: User, org: Org, now = Date.now()) {
  const all = <T>(sql: string, ...binds: unknown[]) =>
    db
      .prepare(sql)
      .bind(...binds)
      .all<T>()
      .then((r) => r.results);
  return {
    format: ARCHIVE_FORMAT,
    exportedAt: now,
    user: { ...userView(user), phone: await openOrNull(db, kms, user.id, user.phoneSealed), passwordChangedAt: user.passwordChangedAt },
    organization: orgView(org),
    mfa: { enabled: user.mfaEnabled, recoveryCodesRemaining: await remainingRecoveryCodes(db, user.id) },
    sessions: await all('SELECT created_at AS createdAt, expires_at AS expiresAt, ip, mfa FROM sessions WHERE user_id = ? ORDER BY created_at', user.id),
    apiKeys: (await listApiKeys(db, user.id)).map(apiKeyView),
    tokens: await all(
      'SELECT created_at AS createdAt, expires_at AS expiresAt, scopes_json AS scopes FROM tokens WHERE user_id = ? ORDER BY created_at',
      user.id,
    ),
    meetings: await all(
      'SELECT id, topic, start_at AS startAt, duration_min AS durationMinutes, created_at AS createdAt, ended_at AS endedAt FROM meetings WHERE owner_id = ? ORDER BY created_at',
      user.id,
    ),
    audit: await all('SELECT seq, at, action, target, result, ip, detail FROM audit WHERE actor = ? ORDER BY seq', user.id),
  };
}

/** @returns how many data keys were shredded. */
export async function eraseUser(db: D1Database, userId: string): Promise<number> {
  const shredded = await shredUser(db, userId);
  await db.batch([
    db.prepare('DELETE FROM sessions WHERE user_id = ?').bind(userId),
    db.prepare('DELETE FROM tokens WHERE user_id = ?').bind(userId),
    db.prepare('DELETE FROM api_nonces WHERE key_id IN (SELECT id FROM api_keys WHERE user_id = ?)').bind(userId),
    db.prepare('DELETE FROM api_keys WHERE user_id = ?').bind(userId),
    db.prepare('DELETE FROM recovery_codes WHERE user_id = ?').bind(userId),
    db.prepare('DELETE FROM password_history WHERE user_id = ?').bind(userId),
    // Meetings the user owned go with them; anonymous meetings are untouched.
    db.prepare('DELETE FROM meetings WHERE owner_id = ?').bind(userId),
    db.prepare('DELETE FROM users WHERE id = ?').bind(userId),
  ]);
  return shredded;
}

export async function eraseOrg(db: D1Database, orgId: string): Promise<{ users: number; shredded: number }> {
  const users = await listUsers(db, orgId);
  let shredded = 0;
  for (const u of users) shredded += await eraseUser(db, u.id);
  shredded += await shredOrg(db, orgId);
  await db.batch([
    db.prepare('DELETE FROM saml_configs WHERE org_id = ?').bind(orgId),
    db.prepare('DELETE FROM usage_sessions WHERE org_id = ?').bind(orgId),
    db.prepare('DELETE FROM orgs WHERE id = ?').bind(orgId),
  ]);
  return { users: users.length, shredded };
}
