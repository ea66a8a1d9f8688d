/**
 * Short-lived TURN credentials, minted per participant in the TURN REST API scheme that coturn
 * checks with `use-auth-secret`: the username is `<expiry unix seconds>:<participant id>` and the
 * password is base64(HMAC-SHA-1(secret, username)). The TURN server shares only the secret with
 * the edge; it needs no user database, and a leaked credential dies at its expiry.
 *
 * Relayed media stays sealed: a TURN server sees what the origin sees, DTLS-SRTP packets carrying
 * SFrame ciphertext.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { toBase64 } from '@sealroom/crypto/bytes';
import type { IceServer } from '@sealroom/protocol';

/** Credentials outlive the media ticket: a reconnect within the call reuses them. */
export const TURN_CREDENTIAL_TTL_S = 12 * 3600;

export interface TurnConfig {
  /** turn: / turns: URLs, e.g. `turns:turn.example.com:443?transport=tcp`. */
  urls: string[];
  secret: string;
  /** Browsers send media only through TURN (TURN_POLICY=relay): for networks that allow nothing else, or to keep participants' addresses from the origin. */
  relayOnly: boolean;
}

/**
 * The TURN config from `TURN_URLS` (comma-separated), the secret `TURN_SECRET` and `TURN_POLICY`
 * (`all`, the default, or `relay`); null when the URLs or the secret are unset.
 */
export function turnConfigOf(env: { TURN_URLS?: string; TURN_SECRET?: string; TURN_POLICY?: string }): TurnConfig | null {
  const urls = (env.TURN_URLS ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (urls.length === 0 || !env.TURN_SECRET) return null;
  for (const u of urls) if (!/^turns?:[^\s]+$/.test(u)) throw new Error(`TURN_URLS: ${JSON.stringify(u)} is not a turn: or turns: URL`);
  const policy = env.TURN_POLICY ?? 'all';
  if (policy !== 'all' && policy !== 'relay') throw new Error(`TURN_POLICY: ${JSON.stringify(policy)} is neither all nor relay`);
  return { urls, secret: env.TURN_SECRET, relayOnly: policy === 'relay' };
}

/** base64(HMAC-SHA-1(secret, username)): the password coturn expects for `username`. */
export function turnPassword(secret: string, username: string): string {
  const mac = hmac(sha1, utf8ToBytes(secret), utf8ToBytes(username));
  return toBase64(mac);
}

/** One ICE server entry for `participantId`, valid until `nowMs` + TTL. */
export function turnServerFor(config: TurnConfig, participantId: string, nowMs: number): IceServer {
  const username = `${Math.floor(nowMs / 1000) + TURN_CREDENTIAL_TTL_S}:${participantId}`;
  return { urls: config.urls, username, credential: turnPassword(config.secret, username) };
}
