/**
 * Share links: `<origin>/r/<shareId>#k=<recording key, base64url>`. The fragment is never sent
 * in a request, so the server sees the share id (which grants sealed bytes) and never the key
 * (which opens them). The router maps /r/:shareId to SharedRecording.svelte.
 */
import { fromB64url, toB64url } from '@sealroom/crypto/bytes';

export const SHARE_PATH = '/r/';

export function shareLink(origin: string, shareId: string, key: Uint8Array): string {
  return `${origin}${SHARE_PATH}${shareId}#k=${toB64url(key)}`;
}

/** The key from a link's fragment (`#k=…`), or null when it is missing or malformed. */
export function keyFromFragment(hash: string): Uint8Array | null {
  const m = /^#?k=([A-Za-z0-9_-]{43})$/.exec(hash);
  if (!m) return null;
  // 43 characters always hold 32 bytes; only a last character with stray low bits is refused.
  try {
    return fromB64url(m[1]!);
  } catch {
    return null;
  }
}
