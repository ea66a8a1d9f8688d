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
import type { IceServer } from '@sealroom/protocol';

/** Credentials outlive the media ticket: a reconnect within the call reuses them. */
export const TURN_CREDENTIAL_TTL_S = 12 * 3600;

export interface TurnConfig {
  /** turn: / turns: URLs, e.g. `turns:turn.example.com:443?transport=tcp`. */
  urls: string[];
  secret: string;
}

/** The TURN config from `TURN_URLS` (comma-separated) and the secret `TURN_SECRET`; null when either is unset. */
export function turnConfigOf(env: { TURN_URLS?: string; TURN_SECRET?: string }): TurnConfig | null {
  const urls = (env.TURN_URLS ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (urls.length === 0 || !env.TURN_SECRET) return null;
  for (const u of urls) if (!/^turns?:[^\s]+$/.test(u)) throw new Error(`TURN_URLS: ${JSON.stringify(u)} is not a turn: or turns: URL`);
  return { urls, secret: env.TURN_SECRET };
}

/** base64(HMAC-SHA-1(secret, username)): the password coturn expects for `username`. */
export function turnPassword(secret: string, username: string): string {
  const mac = hmac(sha1, utf8ToBytes(secret), utf8ToBytes(username));
  return btoa(String.fromCharCode(...mac));
}

/** One ICE server entry for `participantId`, valid until `nowMs` + TTL. */
export function turnServerFor(config: TurnConfig, participantId: string, nowMs: number): IceServer {
  const username = `${Math.floor(nowMs / 1000) + TURN_CREDENTIAL_TTL_S}:${participantId}`;
  return { urls: config.urls, username, credential: turnPassword(config.secret, username) };
}
