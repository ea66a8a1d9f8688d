/**
 * Where the owner's recording keys live: wrapped under a keyring key that is a non-extractable
 * AES-GCM CryptoKey in this browser's IndexedDB. The server stores only the wrap (`keyWrap`),
 * which it cannot open; script on the page can use the keyring key but never read it out.
 *
 * Consequence, on purpose: a recording opens in the browser profile that made it, and through
 * share links. Moving keys to another device is a separate flow (docs/recordings.md, "left").
 */
import { fromB64url, toB64url } from '@sealroom/crypto/bytes';

const DB = 'sealroom-recordings';
const STORE = 'keyring';
const SLOT = 'v1';
const AAD = new TextEncoder().encode('sealroom/recording-key v1');

function idb<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction(STORE, mode);
      const req = f(tx.objectStore(STORE));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
      tx.oncomplete = () => open.result.close();
    };
  });
}

let cached: Promise<CryptoKey> | null = null;

/** This browser's keyring key, made on first use. */
export function keyringKey(): Promise<CryptoKey> {
  cached ??= (async () => {
    const found = await idb<CryptoKey | undefined>('readonly', (s) => s.get(SLOT) as IDBRequest<CryptoKey | undefined>);
    if (found) return found;
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    await idb('readwrite', (s) => s.put(key, SLOT));
    return key;
  })();
  return cached;
}

/** @returns `keyWrap` for the server: base64url(iv ‖ AES-GCM(keyring, recordingKey)). */
export async function wrapRecordingKey(recordingKey: Uint8Array): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: AAD }, await keyringKey(), recordingKey as Uint8Array<ArrayBuffer>),
  );
  const out = new Uint8Array(12 + ct.length);
  out.set(iv);
  out.set(ct, 12);
  return toB64url(out);
}

/** @throws KeyringError when this browser's keyring did not make the wrap. */
export async function unwrapRecordingKey(keyWrap: string): Promise<Uint8Array> {
  try {
    const raw = fromB64url(keyWrap);
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: raw.subarray(0, 12) as Uint8Array<ArrayBuffer>, additionalData: AAD },
        await keyringKey(),
        raw.subarray(12) as Uint8Array<ArrayBuffer>,
      ),
    );
  } catch {
    throw new KeyringError('this browser does not hold the key of this recording');
  }
}

export class KeyringError extends Error {}
