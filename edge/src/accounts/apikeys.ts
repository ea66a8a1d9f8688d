/**
 * API access keys: a public key id and a secret shown once. The server must recompute the HMAC,
 * so it keeps the secret — sealed with a per-key data key (kms/envelope.ts), never in clear:
 * the database alone cannot reveal it, and deleting the key shreds its data key.
 *
 * A request is accepted when its signature matches the canonical request (protocol
 * `canonicalApiRequest`), its timestamp is within MAX_SKEW_MS of ours, and its nonce has not
 * been seen for this key within that window.
 */
import { API_KEY_SCHEME, API_NONCE_HEADER, API_TIME_HEADER, RECORDING_PART_SIZE, apiSignature, canonicalApiRequest } from '@sealroom/protocol';
import { readText } from '../http/body.ts';
import { equalText } from '@sealroom/crypto/bytes';
import { openField, sealField, shredField } from '../kms/envelope.ts';
import type { Kms } from '../kms/kms.ts';
import { randomToken } from '../random.ts';
import { fail } from '../http/errors.ts';

export const MAX_SKEW_MS = 5 * 60_000;

export interface ApiKeyRow {
  id: string;
  user_id: string;
  label: string;
  secret_sealed: string;
  disabled: number;
  created_at: number;
  last_used_at: number | null;
}

export const apiKeyView = (k: ApiKeyRow) => ({ id: k.id, label: k.label, disabled: k.disabled === 1, createdAt: k.created_at, lastUsedAt: k.last_used_at });

export async function createApiKey(
  db: D1Database,
  kms: Kms,
  owner: { userId: string; orgId: string },
  label: string,
  now = Date.now(),
): Promise<{ id: string; secret: string }> {
  const id = `srk_${randomToken(20)}`;
  const secret = randomToken(43);
  const sealed = await sealField(db, kms, owner, 'apikey', secret, now);
  await db
    .prepare('INSERT INTO api_keys (id, user_id, label, secret_sealed, created_at) VALUES (?, ?, ?, ?, ?)')
    .bind(id, owner.userId, label, sealed, now)
    .run();
  return { id, secret };
}

export async function getApiKey(db: D1Database, id: string): Promise<ApiKeyRow | null> {
  return db.prepare('SELECT * FROM api_keys WHERE id = ?').bind(id).first<ApiKeyRow>();
}

export async function listApiKeys(db: D1Database, userId: string): Promise<ApiKeyRow[]> {
  return (await db.prepare('SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_at').bind(userId).all<ApiKeyRow>()).results;
}

/** New secret for the same key id; the old secret stops working at once and its data key is shredded. */
export async function rotateApiKey(db: D1Database, kms: Kms, key: ApiKeyRow, orgId: string, now = Date.now()): Promise<string> {
  const secret = randomToken(43);
  const sealed = await sealField(db, kms, { userId: key.user_id, orgId }, 'apikey', secret, now);
  await db.prepare('UPDATE api_keys SET secret_sealed = ? WHERE id = ?').bind(sealed, key.id).run();
  await shredField(db, key.secret_sealed);
  return secret;
}

export async function deleteApiKey(db: D1Database, key: ApiKeyRow): Promise<void> {
  await db.prepare('DELETE FROM api_keys WHERE id = ?').bind(key.id).run();
  await shredField(db, key.secret_sealed);
}

const AUTH_RE = new RegExp(`^${API_KEY_SCHEME} Credential=(srk_[A-Za-z0-9_-]{20}), Signature=([A-Za-z0-9_-]{43})$`);

export const looksLikeApiKeyAuth = (authorization: string | null | undefined): boolean => !!authorization?.startsWith(`${API_KEY_SCHEME} `);

/**
 * Verifies a signed request; returns the key row. Order matters: the signature is checked before
 * the nonce is recorded, so nobody without the secret can burn nonces.
 * @throws HttpError bad_signature | stale_request | replayed | key_disabled
 */
export async function verifySignedRequest(db: D1Database, kms: Kms, req: Request, now = Date.now()): Promise<ApiKeyRow> {
  const m = AUTH_RE.exec(req.headers.get('authorization') ?? '');
  if (!m) fail(401, 'bad_signature', `expected "${API_KEY_SCHEME} Credential=<key id>, Signature=<base64url>"`);
  const time = req.headers.get(API_TIME_HEADER) ?? '';
  const nonce = req.headers.get(API_NONCE_HEADER) ?? '';
  if (!/^[0-9]{1,16}$/.test(time)) fail(401, 'bad_signature', `${API_TIME_HEADER}: expected milliseconds since the epoch`);
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(nonce)) fail(401, 'bad_signature', `${API_NONCE_HEADER}: expected 16–64 base64url characters`);
  if (Math.abs(now - Number(time)) > MAX_SKEW_MS) fail(401, 'stale_request', 'request timestamp is outside the accepted clock skew');
  const key = await getApiKey(db, m[1]!);
  if (!key) fail(401, 'bad_signature', 'unknown key or bad signature');
  if (key.disabled) fail(401, 'key_disabled', 'this API key is disabled');
  const secret = await openField(db, kms, { userId: key.user_id }, 'apikey', key.secret_sealed);
  // The signature covers the body, so it is read here (bounded: the largest body a route takes is a recording part).
  const body = req.method === 'GET' || req.method === 'HEAD' ? '' : await readText(req.clone(), RECORDING_PART_SIZE);
  const expected = await apiSignature(secret, await canonicalApiRequest(req.method, new URL(req.url), time, nonce, body));
  if (!equalText(expected, m[2]!)) fail(401, 'bad_signature', 'unknown key or bad signature');
  await db.prepare('DELETE FROM api_nonces WHERE key_id = ? AND expires_at < ?').bind(key.id, now).run();
  const seen = await db
    .prepare('INSERT INTO api_nonces (key_id, nonce, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
    .bind(key.id, nonce, Number(time) + MAX_SKEW_MS)
    .run();
  if (seen.meta.changes !== 1) fail(401, 'replayed', 'this nonce was already used');
  await db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?').bind(now, key.id).run();
  return key;
}
