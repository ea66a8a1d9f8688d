import type { Room } from './room/room.ts';

/** Bindings from wrangler.jsonc; the shared secret comes from `.dev.vars` locally, a Worker secret in production. */
export interface Env {
  DB: D1Database;
  ROOM: DurableObjectNamespace<Room>;
  RECORDINGS: R2Bucket;
  ASSETS: Fetcher;
  SEALROOM_SHARED_SECRET: string;
  // ── accounts (issue 7) ──
  /** 32 bytes base64url: the local KMS master key (a Worker secret; see edge/src/kms/kms.ts). */
  SEALROOM_MASTER_KEY?: string;
  /** Retired master keys, comma-separated, still accepted for unwrapping during rotation. */
  SEALROOM_MASTER_KEY_PREVIOUS?: string;
  /** scrypt cost exponent for account passwords; unset = 15. Lowered only by the test pool. */
  SCRYPT_LOG_N?: string;
  /** Participant limit of meetings that no organization owns; unset = 1000. */
  DEFAULT_MAX_PARTICIPANTS?: string;
  /** This service's public origin, used in SAML metadata and ACS checks; unset = the request's origin. */
  PUBLIC_ORIGIN?: string;
}
