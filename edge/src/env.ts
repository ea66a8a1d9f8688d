import type { Room } from './room/room.ts';

/** Bindings from wrangler.jsonc; the shared secret comes from `.dev.vars` locally, a Worker secret in production. */
export interface Env {
  DB: D1Database;
  ROOM: DurableObjectNamespace<Room>;
  RECORDINGS: R2Bucket;
  ASSETS: Fetcher;
  SEALROOM_SHARED_SECRET: string;
  // ── accounts ──
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
  /** How SSO email domains are proven: `dns` (TXT over DoH; unset = dns) or `operator` (local stacks and tests). */
  SSO_DOMAIN_PROOF?: string;
  // ── request hardening (edge/src/policy/) ──
  /** Comma-separated origins besides our own whose pages may open meeting sockets (an app served elsewhere). */
  ALLOWED_ORIGINS?: string;
  /** Anonymous meeting creations per address, as `<count>/<seconds>`; unset = 10/600. */
  MEETING_CREATE_LIMIT?: string;
  /** Meeting creations per signed-in user, as `<count>/<seconds>`; unset = 100/600. */
  MEETING_CREATE_USER_LIMIT?: string;
  // ── outgoing mail (edge/src/mail/): unset SMTP_HOST = mail is not configured ──
  /** The SMTP relay's host name (or IP); the Worker connects with `cloudflare:sockets`. */
  SMTP_HOST?: string;
  /** Unset = 587 with STARTTLS, 465 with implicit TLS, 25 in plain. */
  SMTP_PORT?: string;
  /** `starttls` (default), `tls` (implicit TLS, port 465) or `off` (plain: a local sink only). */
  SMTP_SECURE?: string;
  /** The envelope and From address, e.g. `Sealroom <no-reply@example.com>`. */
  SMTP_FROM?: string;
  /** AUTH PLAIN user; a secret SMTP_PASSWORD goes with it. */
  SMTP_USER?: string;
  SMTP_PASSWORD?: string;
  /**
   * 1: a WebSocket's `x-sealroom-region` header says where the caller is when Cloudflare's
   * request.cf does not (local runs and tests with origins named for regions). Unset in production.
   */
  TRUST_REGION_HEADER?: string;
  // ── TURN (edge/src/origins/turn.ts): unset TURN_URLS or TURN_SECRET = no TURN ──
  /** Comma-separated turn:/turns: URLs handed to browsers with each media ticket. */
  TURN_URLS?: string;
  /** The secret shared with the TURN server (coturn `static-auth-secret`); a Worker secret. */
  TURN_SECRET?: string;
  /** `all` (default): TURN when nothing else works; `relay`: media only through TURN. */
  TURN_POLICY?: string;
}
