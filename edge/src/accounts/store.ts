/** Organizations and users in D1: rows in, typed records out. No policy decisions here. */
import { DEFAULT_SECURITY_POLICY, type OrgRole, SecurityPolicy, type Tier } from '@sealroom/protocol';
import { randomToken } from '../random.ts';
import { ACCOUNT_FREE, type LockState, armedBy, refundSetSql, reserveSetSql } from './lockout.ts';
import { isTier } from './tiers.ts';

export interface Org {
  id: string;
  name: string;
  tier: Tier;
  policy: SecurityPolicy;
  createdAt: number;
}

export interface User {
  id: string;
  orgId: string;
  email: string;
  name: string;
  role: OrgRole;
  disabled: boolean;
  passwordHash: string | null;
  passwordChangedAt: number | null;
  failedCount: number;
  lockedUntil: number;
  mfaSecretSealed: string | null;
  mfaEnabled: boolean;
  mfaLastStep: number;
  phoneSealed: string | null;
  samlNameId: string | null;
  /** When the user proved they read `email`; null until then. Rights granted by email need it. */
  emailVerifiedAt: number | null;
  createdAt: number;
}

interface OrgRow {
  id: string;
  name: string;
  tier: number;
  policy_json: string;
  created_at: number;
}

export interface UserRow {
  id: string;
  org_id: string;
  email: string;
  name: string;
  role: OrgRole;
  disabled: number;
  password_hash: string | null;
  password_changed_at: number | null;
  failed_count: number;
  locked_until: number;
  mfa_secret_sealed: string | null;
  mfa_enabled: number;
  mfa_last_step: number;
  phone_sealed: string | null;
  saml_name_id: string | null;
  email_verified_at: number | null;
  created_at: number;
}

function orgFromRow(r: OrgRow): Org {
  // A stored policy from an older shape is completed with today's defaults, never trusted blindly.
  const parsed = SecurityPolicy.safeParse({ ...DEFAULT_SECURITY_POLICY, ...JSON.parse(r.policy_json) });
  return {
    id: r.id,
    name: r.name,
    tier: isTier(r.tier) ? r.tier : 100,
    policy: parsed.success ? parsed.data : DEFAULT_SECURITY_POLICY,
    createdAt: r.created_at,
  };
}

export function userFromRow(r: UserRow): User {
  return {
    id: r.id,
    orgId: r.org_id,
    email: r.email,
    name: r.name,
    role: r.role,
    disabled: r.disabled === 1,
    passwordHash: r.password_hash,
    passwordChangedAt: r.password_changed_at,
    failedCount: r.failed_count,
    lockedUntil: r.locked_until,
    mfaSecretSealed: r.mfa_secret_sealed,
    mfaEnabled: r.mfa_enabled === 1,
    mfaLastStep: r.mfa_last_step,
    phoneSealed: r.phone_sealed,
    samlNameId: r.saml_name_id,
    emailVerifiedAt: r.email_verified_at ?? null,
    createdAt: r.created_at,
  };
}

/** What may leave the server about a user: no hashes, no sealed fields. */
export const userView = (u: User) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  disabled: u.disabled,
  mfaEnabled: u.mfaEnabled,
  sso: u.samlNameId !== null,
  emailVerified: u.emailVerifiedAt !== null,
  createdAt: u.createdAt,
});

export const orgView = (o: Org) => ({ id: o.id, name: o.name, tier: o.tier, createdAt: o.createdAt });

export const newId = (): string => randomToken(22);

export async function createOrg(db: D1Database, name: string, tier: Tier, now = Date.now()): Promise<Org> {
  const org: Org = { id: newId(), name, tier, policy: DEFAULT_SECURITY_POLICY, createdAt: now };
  await db
    .prepare('INSERT INTO orgs (id, name, tier, policy_json, created_at) VALUES (?, ?, ?, ?, ?)')
    .bind(org.id, name, tier, JSON.stringify(org.policy), now)
    .run();
  return org;
}

export async function getOrg(db: D1Database, id: string): Promise<Org | null> {
  const r = await db.prepare('SELECT * FROM orgs WHERE id = ?').bind(id).first<OrgRow>();
  return r ? orgFromRow(r) : null;
}

export async function updateOrg(db: D1Database, org: Org): Promise<void> {
  await db.prepare('UPDATE orgs SET name = ?, tier = ?, policy_json = ? WHERE id = ?').bind(org.name, org.tier, JSON.stringify(org.policy), org.id).run();
}

export interface NewUser {
  orgId: string;
  email: string;
  name: string;
  role: OrgRole;
  passwordHash: string | null;
  samlNameId?: string | null;
}

/** @returns null when the email is taken (emails are unique across organizations: they route sign-in). */
export async function createUser(db: D1Database, u: NewUser, now = Date.now()): Promise<User | null> {
  const id = newId();
  // An SSO user's address comes from the IdP, which is proven for its domain: verified from the start.
  const verifiedAt = u.samlNameId ? now : null;
  const r = await db
    .prepare(
      `INSERT INTO users (id, org_id, email, name, role, password_hash, password_changed_at, saml_name_id, email_verified_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(email) DO NOTHING`,
    )
    .bind(id, u.orgId, u.email, u.name, u.role, u.passwordHash, u.passwordHash ? now : null, u.samlNameId ?? null, verifiedAt, now)
    .run();
  if (r.meta.changes !== 1) return null;
  if (u.passwordHash) await rememberPassword(db, id, u.passwordHash, now);
  return getUser(db, id);
}

/**
 * Records that the user proved they read `email` (an IdP's assertion for its own domain, say);
 * nothing changes if the account's address is another one by now.
 */
export async function markEmailVerified(db: D1Database, userId: string, email: string, now = Date.now()): Promise<void> {
  await db.prepare('UPDATE users SET email_verified_at = ? WHERE id = ? AND email = ? AND email_verified_at IS NULL').bind(now, userId, email).run();
}

export async function getUser(db: D1Database, id: string): Promise<User | null> {
  const r = await db.prepare('SELECT * FROM users WHERE id = ?').bind(id).first<UserRow>();
  return r ? userFromRow(r) : null;
}

export async function getUserByEmail(db: D1Database, email: string): Promise<User | null> {
  const r = await db.prepare('SELECT * FROM users WHERE email = ?').bind(email).first<UserRow>();
  return r ? userFromRow(r) : null;
}

export async function listUsers(db: D1Database, orgId: string): Promise<User[]> {
  const { results } = await db.prepare('SELECT * FROM users WHERE org_id = ? ORDER BY email').bind(orgId).all<UserRow>();
  return results.map(userFromRow);
}

export async function countOwners(db: D1Database, orgId: string): Promise<number> {
  const r = await db.prepare("SELECT COUNT(*) AS n FROM users WHERE org_id = ? AND role = 'owner' AND disabled = 0").bind(orgId).first<{ n: number }>();
  return r?.n ?? 0;
}

/**
 * Reserves one sign-in attempt as a failure (lockout.ts: count before check), in one statement so
 * concurrent attempts are serialized by D1. `key` is `email` or `id`.
 * @returns `reserved` with the user as the reservation left them, or not reserved with the user as
 *   they are (null when unknown; otherwise locked)
 */
export async function reserveAttempt(db: D1Database, key: 'email' | 'id', value: string, now: number): Promise<{ reserved: boolean; user: User | null }> {
  const [reserved, current] = await db.batch([
    db.prepare(`UPDATE users SET ${reserveSetSql(ACCOUNT_FREE, '?2')} WHERE ${key} = ?1 AND locked_until <= ?2 RETURNING *`).bind(value, now),
    // In the same round trip, so an unknown email and a locked account cost what a reservation does.
    db.prepare(`SELECT * FROM users WHERE ${key} = ?1`).bind(value),
  ]);
  const row = (reserved!.results as UserRow[])[0];
  if (row) return { reserved: true, user: userFromRow(row) };
  const cur = (current!.results as UserRow[])[0];
  return { reserved: false, user: cur ? userFromRow(cur) : null };
}

/** Gives back an attempt that `reserveAttempt` returned `reserved` for: it was right, or never checked. */
export async function refundAttempt(db: D1Database, userId: string, reserved: LockState): Promise<void> {
  await db
    .prepare(`UPDATE users SET ${refundSetSql(ACCOUNT_FREE, '?2')} WHERE id = ?1`)
    .bind(userId, armedBy(reserved, ACCOUNT_FREE))
    .run();
}

/** A full sign-in succeeded: every failure so far is forgiven. */
export async function clearLockState(db: D1Database, userId: string): Promise<void> {
  await db.prepare('UPDATE users SET failed_count = 0, locked_until = 0 WHERE id = ?').bind(userId).run();
}

export async function setPassword(db: D1Database, userId: string, hash: string, now = Date.now()): Promise<void> {
  await db.prepare('UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?').bind(hash, now, userId).run();
  await rememberPassword(db, userId, hash, now);
}

async function rememberPassword(db: D1Database, userId: string, hash: string, now: number): Promise<void> {
  await db.prepare('INSERT INTO password_history (user_id, hash, created_at) VALUES (?, ?, ?)').bind(userId, hash, now).run();
  // Keep at most the longest history any policy can ask for.
  await db
    .prepare(
      'DELETE FROM password_history WHERE user_id = ? AND rowid NOT IN (SELECT rowid FROM password_history WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 24)',
    )
    .bind(userId, userId)
    .run();
}

export async function recentPasswordHashes(db: D1Database, userId: string, n: number): Promise<string[]> {
  if (n === 0) return [];
  const { results } = await db
    .prepare('SELECT hash FROM password_history WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
    .bind(userId, n)
    .all<{ hash: string }>();
  return results.map((r) => r.hash);
}

export async function patchUser(db: D1Database, userId: string, patch: { name?: string; role?: OrgRole; disabled?: boolean }): Promise<void> {
  const u = await getUser(db, userId);
  if (!u) return;
  await db
    .prepare('UPDATE users SET name = ?, role = ?, disabled = ? WHERE id = ?')
    .bind(patch.name ?? u.name, patch.role ?? u.role, (patch.disabled ?? u.disabled) ? 1 : 0, userId)
    .run();
}
