/** What every accounts/admin route shares: the Hono env type, the caller, the KMS, and audit with request facts. */
import type { Action } from '@sealroom/protocol';
import type { Context } from 'hono';
import { appendAudit } from '../audit.ts';
import type { Env } from '../env.ts';
import { type Kms, kmsFromEnv } from '../kms/kms.ts';
import { fail } from '../http/errors.ts';
import type { Session } from './sessions.ts';
import type { Org, User } from './store.ts';

export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'session'; user: User; org: Org; session: Session; mfa: boolean }
  | { kind: 'apikey'; user: User; org: Org; keyId: string; mfa: boolean }
  | { kind: 'token'; user: User; org: Org; scopes: Action[]; mfa: boolean };

export type Authenticated = Exclude<Principal, { kind: 'anonymous' }>;

/**
 * `principal` is whoever presented credentials, weak or not: audit names them, and the sign-in
 * routes finish their MFA step with it. `authority` is what a handler may act on: the principal
 * when the route's guard found it full for the route's action (MFA done where required,
 * source address allowed, password current, scope naming the action), otherwise null. Handlers
 * that grant anything read `authority`, never `principal`.
 */
export type AppEnv = { Bindings: Env; Variables: { principal: Principal; authority: Authenticated | null } };
export type Ctx = Context<AppEnv>;

export function clientIp(c: Context): string | null {
  // Cloudflare sets this header and overwrites any value a client sends; locally it is whatever the caller says.
  return c.req.header('cf-connecting-ip') ?? null;
}

/** The caller with full authority for the route; the route's guard has already refused anyone less on these routes. */
export function caller(c: Ctx): Authenticated {
  const p = c.get('authority');
  if (!p) fail(401, 'unauthenticated', 'sign in first');
  return p;
}

const kmsCache = new WeakMap<object, Promise<Kms | null>>();

/** The KMS for this Worker; 503 when no master key is configured, so nothing is stored unsealed. */
export async function kmsOf(env: Env): Promise<Kms> {
  let p = kmsCache.get(env);
  if (!p) {
    p = kmsFromEnv(env);
    kmsCache.set(env, p);
  }
  const kms = await p.catch(() => null);
  if (!kms) fail(503, 'kms_unavailable', 'encryption at rest is not configured (SEALROOM_MASTER_KEY)');
  return kms;
}

export interface AuditFacts {
  action: string;
  result: string;
  target?: string | null;
  detail?: string | null;
  actor?: string | null;
  orgId?: string | null;
  role?: string | null;
}

/** Audits with who and from where filled in from the request. */
export async function auditRequest(c: Ctx, f: AuditFacts): Promise<void> {
  const p = c.get('principal');
  const signedIn = p && p.kind !== 'anonymous' ? p : null;
  await appendAudit(c.env.DB, {
    meetingId: null,
    orgId: f.orgId !== undefined ? f.orgId : (signedIn?.org.id ?? null),
    actor: f.actor !== undefined ? f.actor : (signedIn?.user.id ?? null),
    role: f.role !== undefined ? f.role : (signedIn?.user.role ?? null),
    action: f.action,
    target: f.target ?? null,
    result: f.result,
    ip: clientIp(c),
    detail: f.detail ?? (signedIn ? `via ${signedIn.kind}` : null),
  });
}
