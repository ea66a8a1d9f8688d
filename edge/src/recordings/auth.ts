/**
 * `requireUser`: the signed-in caller of a recordings route.
 *
 * The policy middleware (edge/src/policy/) resolves the caller only for routes listed in its
 * table, and /api/recordings is not listed there (that table belongs to accounts). So when the
 * middleware left the caller anonymous, this resolves the browser session itself with the
 * accounts module's own pieces (findSession, getUser/getOrg) and the same CSRF rule: a
 * state-changing request must carry the session's x-csrf-token and must not be cross-site.
 * Once accounts lists these routes, the principal it sets is used as is and this fallback is idle.
 */
import { CSRF_HEADER } from '@sealroom/protocol';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, Authenticated, Ctx } from '../accounts/context.ts';
import { findSession, sessionToken } from '../accounts/sessions.ts';
import { getOrg, getUser } from '../accounts/store.ts';
import { equalText } from '@sealroom/crypto/bytes';
import { fail } from './errors.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

function crossSite(c: Ctx): boolean {
  const origin = c.req.header('origin');
  if (origin && origin !== new URL(c.req.url).origin) return true;
  return c.req.header('sec-fetch-site') === 'cross-site';
}

async function fromSession(c: Ctx): Promise<Authenticated> {
  const token = sessionToken(c);
  const session = token ? await findSession(c.env.DB, token) : null;
  if (!session) fail(401, 'unauthenticated', 'sign in first');
  if (session.pendingMfa) fail(401, 'unauthenticated', 'enter your authentication code first');
  if (!SAFE.has(c.req.method) && (!equalText(c.req.header(CSRF_HEADER) ?? '', session.csrf) || crossSite(c))) {
    fail(403, 'csrf', `state-changing requests need the ${CSRF_HEADER} header of this session, from this origin`);
  }
  const user = await getUser(c.env.DB, session.userId);
  const org = user ? await getOrg(c.env.DB, user.orgId) : null;
  if (!user || !org) fail(401, 'unauthenticated', 'the account no longer exists');
  if (user.disabled) fail(403, 'forbidden', 'this account is disabled');
  return { kind: 'session', user, org, session, mfa: session.mfa };
}

/** Middleware: refuses anonymous callers (401) and leaves the caller in `c.var.principal`. */
export function requireUser(): MiddlewareHandler<AppEnv> {
  return async function recordingsUser(c, next) {
    const p = c.get('principal');
    c.set('principal', p && p.kind !== 'anonymous' ? p : await fromSession(c));
    await next();
  };
}

/** The caller set by requireUser. */
export function userOf(c: Ctx): Authenticated {
  const p = c.get('principal');
  if (!p || p.kind === 'anonymous') fail(401, 'unauthenticated', 'sign in first');
  return p;
}
