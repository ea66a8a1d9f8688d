/**
 * The key-encryption interface behind envelope encryption (docs/ARCHITECTURE.md, "Accounts, SSO, MFA, admin, audit, at-rest encryption").
 *
 * A KMS only ever wraps and unwraps 32-byte data keys; it never sees a record. Locally the master
 * key is the Worker secret SEALROOM_MASTER_KEY; a production KMS (AWS KMS Encrypt/Decrypt, GCP
 * Cloud KMS, Vault transit) implements the same three members and nothing else changes.
 *
 * Rotation: put the new key in SEALROOM_MASTER_KEY and the old one(s) in
 * SEALROOM_MASTER_KEY_PREVIOUS (comma-separated). Unwrap accepts every listed key; wrap uses the
 * current one; `rewrapAll` (envelope.ts) moves every data key to the current key without
 * touching a single sealed record.
 */
import { sha256 } from '../digest.ts';
import { fromB64url, toB64url } from '@sealroom/crypto/bytes';

export interface Kms {
  /** Id of the key new wraps use, stored beside each wrapped data key. */
  readonly currentKeyId: string;
  /** @param aad binds the wrap to its data key id and owner, so a wrapped key cannot be moved to another row. */
  wrap(dataKey: Uint8Array, aad: string): Promise<{ kekId: string; wrapped: string }>;
  /** @throws KmsError when the key id is unknown; WrapAuthFailed when the wrap or its AAD differ from what was wrapped. */
  unwrap(kekId: string, wrapped: string, aad: string): Promise<Uint8Array>;
}

export class KmsError extends Error {}

/** The master key is there but the wrap does not open under it with this AAD: altered, or read for another owner or id. */
export class WrapAuthFailed extends KmsError {}

const enc = new TextEncoder();

async function keyId(raw: Uint8Array): Promise<string> {
  const d = await sha256(enc.encode('sealroom/kek-id\n' + toB64url(raw)));
  return 'local:' + toB64url(d).slice(0, 16);
}

function parseMaster(text: string, name: string): Uint8Array {
  const raw = fromB64url(text.trim());
  if (raw.length !== 32) throw new KmsError(`${name} must be 32 bytes, base64url`);
  return raw;
}

/** AES-256-GCM key wrap with a random 96-bit nonce: `nonce ‖ ciphertext+tag`, base64url. */
export class LocalKms implements Kms {
  readonly currentKeyId: string;
  readonly #keys: Map<string, CryptoKey>;

  private constructor(current: string, keys: Map<string, CryptoKey>) {
    this.currentKeyId = current;
    this.#keys = keys;
  }

  static async create(master: string, previous: string[] = []): Promise<LocalKms> {
    const keys = new Map<string, CryptoKey>();
    let current = '';
    for (const [i, text] of [master, ...previous].entries()) {
      const raw = parseMaster(text, i === 0 ? 'SEALROOM_MASTER_KEY' : 'SEALROOM_MASTER_KEY_PREVIOUS');
      const id = await keyId(raw);
      if (i === 0) current = id;
      keys.set(id, await crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']));
    }
    return new LocalKms(current, keys);
  }

  async wrap(dataKey: Uint8Array, aad: string): Promise<{ kekId: string; wrapped: string }> {
    const key = this.#keys.get(this.currentKeyId);
    if (!key) throw new KmsError('no current key');
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: enc.encode(aad) }, key, dataKey as Uint8Array<ArrayBuffer>));
    const out = new Uint8Array(12 + ct.length);
    out.set(iv);
    out.set(ct, 12);
    return { kekId: this.currentKeyId, wrapped: toB64url(out) };
  }

  async unwrap(kekId: string, wrapped: string, aad: string): Promise<Uint8Array> {
    const key = this.#keys.get(kekId);
    if (!key) throw new KmsError(`master key ${kekId} is not configured`);
    const raw = fromB64url(wrapped);
    try {
      return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: raw.subarray(0, 12), additionalData: enc.encode(aad) }, key, raw.subarray(12)));
    } catch {
      throw new WrapAuthFailed('wrapped key failed authentication');
    }
  }
}

export interface KmsEnv {
  SEALROOM_MASTER_KEY?: string;
  SEALROOM_MASTER_KEY_PREVIOUS?: string;
}

/** The KMS for this Worker's bindings, or null when no master key is configured. */
export async function kmsFromEnv(env: KmsEnv): Promise<Kms | null> {
  if (!env.SEALROOM_MASTER_KEY) return null;
  const previous = (env.SEALROOM_MASTER_KEY_PREVIOUS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return LocalKms.create(env.SEALROOM_MASTER_KEY, previous);
}
