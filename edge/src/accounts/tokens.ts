/**
 * Short-lived bearer tokens for apps that must not hold a long-lived key: `srt_` + 256 random
 * bits, stored as SHA-256, scoped to a subset of what the caller may do, one hour by default.
 * A token carries the MFA assurance of the credential that minted it, never more.
 */
import { type Action, Action as ActionSchema } from '@sealroom/protocol';
import { z } from 'zod';
import { sha256HexOf } from '../digest.ts';
import { randomToken } from '../random.ts';

export const TOKEN_PREFIX = 'srt_';

export interface TokenRecord {
  userId: string;
  scopes: Action[];
  mfa: boolean;
  expiresAt: number;
}

const Stored = z.strictObject({ scopes: z.array(ActionSchema), mfa: z.boolean() });

export async function createToken(
  db: D1Database,
  userId: string,
  scopes: Action[],
  mfa: boolean,
  ttlSeconds: number,
  now = Date.now(),
): Promise<{ token: string; expiresAt: number }> {
  const token = TOKEN_PREFIX + randomToken(43);
  const expiresAt = now + ttlSeconds * 1000;
  await db
    .prepare('INSERT INTO tokens (id_hash, user_id, scopes_json, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
    .bind(await sha256HexOf(token), userId, JSON.stringify({ scopes, mfa }), now, expiresAt)
    .run();
  return { token, expiresAt };
}

/** @returns the record, 'expired', or null when unknown. */
export async function findToken(db: D1Database, token: string, now = Date.now()): Promise<TokenRecord | 'expired' | null> {
  if (!/^srt_[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const r = await db
    .prepare('SELECT user_id, scopes_json, expires_at FROM tokens WHERE id_hash = ?')
    .bind(await sha256HexOf(token))
    .first<{ user_id: string; scopes_json: string; expires_at: number }>();
  if (!r) return null;
  if (r.expires_at <= now) return 'expired';
  const s = Stored.parse(JSON.parse(r.scopes_json));
  return { userId: r.user_id, scopes: s.scopes, mfa: s.mfa, expiresAt: r.expires_at };
}
