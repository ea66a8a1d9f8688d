/**
 * Envelope encryption of single fields: each sealed value has its own random 256-bit data key,
 * stored wrapped by the KMS in `data_keys`; the value is AES-256-GCM under that data key.
 *
 *   sealed   = "ev2." ‖ dataKeyId ‖ "." ‖ base64url(nonce ‖ ciphertext ‖ tag)
 *   AAD      = "sealroom/field/v2\n" ‖ purpose ‖ "\n" ‖ owner ‖ "\n" ‖ dataKeyId
 *   wrap AAD = "sealroom/data-key/v2\n" ‖ purpose ‖ "\n" ‖ owner ‖ "\n" ‖ dataKeyId
 *   owner    = "user:" ‖ userId, or "org:" ‖ orgId for what belongs to an org and no user
 *
 * The owner in both AADs is what makes a sealed value, or a wrapped key, useless anywhere but in
 * its owner's row: copied into another user's row (by someone who can write the database but
 * holds no master key), it is opened with that user as the owner and fails authentication.
 * The version is in the prefix and in both AADs: "ev1" values (purpose and id only, no owner)
 * are refused, not opened, since opening them would keep exactly the hole v2 closes.
 *
 * Why per record: erasing a user deletes their data-key rows, after which no copy of the
 * ciphertext (backups, replicas, exports) can be opened: crypto-shredding. Master-key rotation
 * rewraps the small data keys and never touches the sealed fields.
 */
import { randomToken } from '../random.ts';
import { fromB64url, toB64url } from '@sealroom/crypto/bytes';
import { type Kms, KmsError, WrapAuthFailed } from './kms.ts';

export type Purpose = 'totp' | 'apikey' | 'phone' | 'saml-cert';

export interface Owner {
  orgId: string | null;
  userId: string | null;
}

/** Who a value is opened for: its user, or for an org-wide value (a SAML certificate) its org. */
export type OwnerRef = { userId: string; orgId?: string | null } | { userId?: null; orgId: string };

const VERSION = 'ev2';

/** The owner as bound into the AADs: the user when there is one (a user's values follow them, not their org). */
export function ownerLabel(owner: { userId?: string | null; orgId?: string | null }): string {
  if (owner.userId) return `user:${owner.userId}`;
  if (owner.orgId) return `org:${owner.orgId}`;
  throw new TypeError('owner: a sealed value belongs to a user or an org');
}

/** The data key is gone (erased) or the sealed text is malformed. */
export class SealedUnavailable extends Error {}

const enc = new TextEncoder();
const dec = new TextDecoder();
const fieldAad = (purpose: Purpose, owner: string, id: string) => enc.encode(`sealroom/field/v2\n${purpose}\n${owner}\n${id}`);

/** The wrap AAD of every data key, field or recording (recordings/data-key.ts), so one `rewrapAll` serves both. */
export const wrapAad = (purpose: string, owner: string, id: string) => `sealroom/data-key/v2\n${purpose}\n${owner}\n${id}`;

export async function sealField(db: D1Database, kms: Kms, owner: Owner, purpose: Purpose, plaintext: string, now = Date.now()): Promise<string> {
  const id = randomToken(22);
  const who = ownerLabel(owner);
  const dataKey = crypto.getRandomValues(new Uint8Array(32));
  const { kekId, wrapped } = await kms.wrap(dataKey, wrapAad(purpose, who, id));
  const key = await crypto.subtle.importKey('raw', dataKey, 'AES-GCM', false, ['encrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: fieldAad(purpose, who, id) }, key, enc.encode(plaintext)));
  dataKey.fill(0);
  await db
    .prepare('INSERT INTO data_keys (id, org_id, user_id, purpose, kek_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .bind(id, owner.orgId, owner.userId, purpose, kekId, wrapped, now)
    .run();
  const body = new Uint8Array(12 + ct.length);
  body.set(iv);
  body.set(ct, 12);
  return `${VERSION}.${id}.${toB64url(body)}`;
}

function parseSealed(sealed: string): { id: string; body: Uint8Array<ArrayBuffer> } {
  const [v, id, body] = sealed.split('.');
  if (v !== VERSION || !id || !body) throw new SealedUnavailable(`not a sealed value of this version (${VERSION})`);
  return { id, body: fromB64url(body) };
}

/**
 * Opens a value for the owner of the row it was read from; a value moved from another owner's
 * row does not open.
 * @throws SealedUnavailable when the data key was erased, the value belongs to another owner or
 *   was altered; KmsError when the master key is missing.
 */
export async function openField(db: D1Database, kms: Kms, owner: OwnerRef, purpose: Purpose, sealed: string): Promise<string> {
  const { id, body } = parseSealed(sealed);
  const who = ownerLabel(owner);
  const row = await db
    .prepare('SELECT kek_id, wrapped, purpose FROM data_keys WHERE id = ?')
    .bind(id)
    .first<{ kek_id: string; wrapped: string; purpose: string }>();
  if (!row || row.purpose !== purpose) throw new SealedUnavailable('data key erased');
  let dataKey: Uint8Array;
  try {
    dataKey = await kms.unwrap(row.kek_id, row.wrapped, wrapAad(purpose, who, id));
  } catch (err) {
    // The master key is known but the wrap does not open for this owner: moved from another owner's row.
    if (err instanceof WrapAuthFailed) throw new SealedUnavailable('sealed value does not belong to this owner');
    throw err;
  }
  const key = await crypto.subtle.importKey('raw', dataKey as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['decrypt']);
  dataKey.fill(0);
  try {
    const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: body.subarray(0, 12), additionalData: fieldAad(purpose, who, id) }, key, body.subarray(12));
    return dec.decode(pt);
  } catch {
    throw new SealedUnavailable('sealed value failed authentication');
  }
}

/** Deletes the data key behind one sealed value (used when a field is replaced). */
export async function shredField(db: D1Database, sealed: string | null): Promise<void> {
  if (!sealed) return;
  const [, id] = sealed.split('.');
  if (id) await db.prepare('DELETE FROM data_keys WHERE id = ?').bind(id).run();
}

/** Crypto-shreds everything sealed for a user; returns how many data keys were destroyed. */
export async function shredUser(db: D1Database, userId: string): Promise<number> {
  const r = await db.prepare('DELETE FROM data_keys WHERE user_id = ?').bind(userId).run();
  return r.meta.changes;
}

export async function shredOrg(db: D1Database, orgId: string): Promise<number> {
  const r = await db.prepare('DELETE FROM data_keys WHERE org_id = ?').bind(orgId).run();
  return r.meta.changes;
}

/**
 * Rewraps every data key not under the current master key. Pages through by id so a large table
 * does not need one huge read; each row is updated only if it still holds what was read.
 */
export async function rewrapAll(db: D1Database, kms: Kms, now = Date.now(), pageSize = 200): Promise<{ rewrapped: number; failed: number }> {
  let rewrapped = 0;
  let failed = 0;
  let after = '';
  for (;;) {
    const { results } = await db
      .prepare('SELECT id, purpose, user_id, org_id, kek_id, wrapped FROM data_keys WHERE kek_id != ? AND id > ? ORDER BY id LIMIT ?')
      .bind(kms.currentKeyId, after, pageSize)
      .all<{ id: string; purpose: string; user_id: string | null; org_id: string | null; kek_id: string; wrapped: string }>();
    if (results.length === 0) break;
    const updates: D1PreparedStatement[] = [];
    for (const row of results) {
      after = row.id;
      if (!row.user_id && !row.org_id) {
        failed++;
        continue;
      }
      try {
        // The owner columns are read, not trusted: a row whose owner was changed fails to unwrap here.
        const aad = wrapAad(row.purpose, ownerLabel({ userId: row.user_id, orgId: row.org_id }), row.id);
        const dk = await kms.unwrap(row.kek_id, row.wrapped, aad);
        const next = await kms.wrap(dk, aad);
        dk.fill(0);
        updates.push(
          db
            .prepare('UPDATE data_keys SET kek_id = ?, wrapped = ?, rewrapped_at = ? WHERE id = ? AND wrapped = ?')
            .bind(next.kekId, next.wrapped, now, row.id, row.wrapped),
        );
      } catch (err) {
        if (!(err instanceof KmsError)) throw err;
        // A key wrapped under a master key no longer configured, or whose row was altered, cannot be
        // moved; it is reported, not lost silently.
        failed++;
      }
    }
    if (updates.length) {
      const res = await db.batch(updates);
      rewrapped += res.reduce((n, r) => n + r.meta.changes, 0);
    }
  }
  return { rewrapped, failed };
}
