/**
 * The per-recording data key, kept like every other envelope key: a row in `data_keys`,
 * wrapped by the KMS (kms/kms.ts) with kms/envelope.ts's wrap AAD (purpose, owner, id), so that
 * its `rewrapAll` moves these keys too on master-key rotation, and erasing a user (`shredUser`)
 * shreds their recordings with the rest. The owner in the AAD is the recording row's owner: a
 * row given another owner (or another user's key id) no longer unwraps.
 */
import { ownerLabel, wrapAad } from '../kms/envelope.ts';
import type { Kms } from '../kms/kms.ts';
import { KmsError } from '../kms/kms.ts';
import { randomToken } from '../random.ts';
import { type RecordingKey, importDataKey } from './at-rest.ts';
import { fail } from '../http/errors.ts';

const PURPOSE = 'recording';

/** Makes, wraps and stores a fresh data key; returns its id. */
export async function createDataKey(db: D1Database, kms: Kms, owner: { orgId: string; userId: string }, now = Date.now()): Promise<string> {
  const id = randomToken(22);
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const { kekId, wrapped } = await kms.wrap(raw, wrapAad(PURPOSE, ownerLabel({ userId: owner.userId }), id));
  raw.fill(0);
  await db
    .prepare('INSERT INTO data_keys (id, org_id, user_id, purpose, kek_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .bind(id, owner.orgId, owner.userId, PURPOSE, kekId, wrapped, now)
    .run();
  return id;
}

/**
 * A recording's data key as a non-extractable HKDF key, unwrapped for the recording row's owner.
 * @throws HttpError 410 `sealed_unavailable` when the key was erased or its wrap does not open
 *   (other master key, altered, or the row's owner is not the one it was made for)
 */
export async function loadDataKey(db: D1Database, kms: Kms, rec: { data_key_id: string; owner_id: string }): Promise<RecordingKey> {
  const id = rec.data_key_id;
  const owner = ownerLabel({ userId: rec.owner_id });
  const row = await db
    .prepare('SELECT kek_id, wrapped, purpose FROM data_keys WHERE id = ?')
    .bind(id)
    .first<{ kek_id: string; wrapped: string; purpose: string }>();
  if (!row || row.purpose !== PURPOSE) fail(410, 'sealed_unavailable', 'the recording key was erased; the stored object cannot be opened');
  let raw: Uint8Array;
  try {
    raw = await kms.unwrap(row.kek_id, row.wrapped, wrapAad(PURPOSE, owner, id));
  } catch (err) {
    if (err instanceof KmsError) fail(410, 'sealed_unavailable', 'the recording key does not unwrap for this recording under the configured master keys');
    throw err;
  }
  const key = await importDataKey(raw);
  raw.fill(0);
  return { key, owner };
}

/** Erases the data key: from here on no copy of the object opens. */
export function shredStatement(db: D1Database, id: string): D1PreparedStatement {
  return db.prepare('DELETE FROM data_keys WHERE id = ? AND purpose = ?').bind(id, PURPOSE);
}
