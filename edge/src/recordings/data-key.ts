/**
 * The per-recording data key, kept like every other envelope key: a row in `data_keys`,
 * wrapped by the KMS (kms/kms.ts). The wrap's AAD has the same shape as kms/envelope.ts's
 * (`sealroom/data-key\n<purpose>\n<id>`) so that its `rewrapAll` moves these keys too on
 * master-key rotation, and erasing a user (`shredUser`) shreds their recordings with the rest.
 */
import type { Kms } from '../kms/kms.ts';
import { KmsError } from '../kms/kms.ts';
import { randomToken } from '../random.ts';
import { importDataKey } from './at-rest.ts';
import { fail } from './errors.ts';

const PURPOSE = 'recording';
const wrapAad = (id: string) => `sealroom/data-key\n${PURPOSE}\n${id}`;

/** Makes, wraps and stores a fresh data key; returns its id. */
export async function createDataKey(db: D1Database, kms: Kms, owner: { orgId: string; userId: string }, now = Date.now()): Promise<string> {
  const id = randomToken(22);
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const { kekId, wrapped } = await kms.wrap(raw, wrapAad(id));
  raw.fill(0);
  await db
    .prepare('INSERT INTO data_keys (id, org_id, user_id, purpose, kek_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .bind(id, owner.orgId, owner.userId, PURPOSE, kekId, wrapped, now)
    .run();
  return id;
}

/**
 * The data key as a non-extractable HKDF key.
 * @throws RecordingError 410 `sealed_unavailable` when the key was erased or its wrap does not open
 */
export async function loadDataKey(db: D1Database, kms: Kms, id: string): Promise<CryptoKey> {
  const row = await db.prepare('SELECT kek_id, wrapped, purpose FROM data_keys WHERE id = ?').bind(id).first<{ kek_id: string; wrapped: string; purpose: string }>();
  if (!row || row.purpose !== PURPOSE) fail(410, 'sealed_unavailable', 'the recording key was erased; the stored object cannot be opened');
  let raw: Uint8Array;
  try {
    raw = await kms.unwrap(row.kek_id, row.wrapped, wrapAad(id));
  } catch (err) {
    if (err instanceof KmsError) fail(410, 'sealed_unavailable', 'the recording key does not unwrap under the configured master keys');
    throw err;
  }
  const key = await importDataKey(raw);
  raw.fill(0);
  return key;
}

/** Erases the data key: from here on no copy of the object opens. */
export function shredStatement(db: D1Database, id: string): D1PreparedStatement {
  return db.prepare('DELETE FROM data_keys WHERE id = ? AND purpose = ?').bind(id, PURPOSE);
}
