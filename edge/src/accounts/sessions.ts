/**
 * Browser sessions. The cookie holds a 256-bit random id; D1 holds only its SHA-256, so a
 * database reader cannot ride a session. The cookie is `__Host-` prefixed (Secure, Path=/, no
 * Domain), HttpOnly and SameSite=Strict.
 *
 * Rotation: a new id is issued at sign-in, when a pending session passes MFA, when MFA is
 * enrolled, and when the password changes; the old id is deleted at once. When an admin changes
 * a user's role or disables them, all of that user's sessions end (privilege change → sign in again).
 */
import { getCookie } from 'hono/cookie';
import type { Context } from 'hono';
import { randomToken } from '../random.ts';
import { sha256HexOf } from '../digest.ts';

export const SESSION_COOKIE = '__Host-sealroom_session';

export interface Session {
  idHash: string;
  userId: string;
  csrf: string;
  mfa: boolean;
  pendingMfa: boolean;
  createdAt: number;
  expiresAt: number;
}

interface Row {
  id_hash: string;
  user_id: string;
  csrf: string;
  mfa: number;
  pending_mfa: number;
  created_at: number;
  expires_at: number;
}

export async function createSession(
  db: D1Database,
  userId: string,
  opts: { mfa: boolean; pendingMfa: boolean; hours: number; ip: string | null },
  now = Date.now(),
): Promise<{ token: string; session: Session }> {
  const token = randomToken(43);
  const session: Session = {
    idHash: await sha256HexOf(token),
    userId,
    csrf: randomToken(32),
    mfa: opts.mfa,
    pendingMfa: opts.pendingMfa,
    createdAt: now,
    // A pending session only needs to live long enough to type a code.
    expiresAt: now + (opts.pendingMfa ? 10 * 60_000 : opts.hours * 3_600_000),
  };
  await db
    .prepare('INSERT INTO sessions (id_hash, user_id, csrf, mfa, pending_mfa, created_at, expires_at, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .bind(session.idHash, userId, session.csrf, session.mfa ? 1 : 0, session.pendingMfa ? 1 : 0, now, session.expiresAt, opts.ip)
    .run();
  return { token, session };
}

export async function findSession(db: D1Database, token: string, now = Date.now()): Promise<Session | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const r = await db
    .prepare('SELECT * FROM sessions WHERE id_hash = ? AND expires_at > ?')
    .bind(await sha256HexOf(token), now)
    .first<Row>();
  return r
    ? {
        idHash: r.id_hash,
        userId: r.user_id,
        csrf: r.csrf,
        mfa: r.mfa === 1,
        pendingMfa: r.pending_mfa === 1,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
      }
    : null;
}

export async function deleteSession(db: D1Database, idHash: string): Promise<void> {
  await db.prepare('DELETE FROM sessions WHERE id_hash = ?').bind(idHash).run();
}

export async function endUserSessions(db: D1Database, userId: string): Promise<void> {
  await db.prepare('DELETE FROM sessions WHERE user_id = ?').bind(userId).run();
}

export function sessionToken(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

export function setSessionCookie(c: Context, token: string, maxAgeSeconds: number): void {
  // Set by hand: hono's helper would accept the same flags, but writing them out keeps the contract visible.
  c.header('set-cookie', `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAgeSeconds}; Secure; HttpOnly; SameSite=Strict`, { append: true });
}

export function clearSessionCookie(c: Context): void {
  c.header('set-cookie', `${SESSION_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict`, { append: true });
}
