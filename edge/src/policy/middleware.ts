/**
 * The one policy middleware on /api/*: finds the route's rule, works out who is calling, refuses
 * cross-site writes and foreign pages' sockets, and decides the request's authority.
 *
 * Credentials, in order: `authorization: Bearer srt_…` (scoped token), `authorization:
 * SR1-HMAC-SHA256 …` (signed API request), the session cookie. A cookie only counts on a
 * state-changing request when `x-csrf-token` carries that session's token (synchronizer token)
 * and the Origin, if sent, is ours; SameSite=Strict is the second wall, not the only one.
 * On meeting routes, which the anonymous web client calls without that header, a cookie without
 * the token is ignored rather than refused: it then carries no authority, which is the point.
 *
 * Authority is decided here and nowhere else: `c.var.authority` is the principal when `evaluate`
 * allows it the route's action (so MFA, address range, password age and token scope all held),
 * and null otherwise. Routes open to anonymous callers let a weaker principal through as anonymous
 * instead of refusing it, so a pending-MFA session or an unrelated token can still join a meeting
 * as a guest or use a host key, but can never own, host or read details by itself.
 */
import { type Action, CSRF_HEADER } from '@sealroom/protocol';
import type { MiddlewareHandler } from 'hono';
import { looksLikeApiKeyAuth, verifySignedRequest } from '../accounts/apikeys.ts';
import { type AppEnv, type Authenticated, type Ctx, type Principal, auditRequest, clientIp, kmsOf } from '../accounts/context.ts';
import { AccountError, fail } from '../accounts/errors.ts';
import { passwordExpired } from '../accounts/password-policy.ts';
import { findSession, sessionToken } from '../accounts/sessions.ts';
import { getOrg, getUser } from '../accounts/store.ts';
import { TOKEN_PREFIX, findToken } from '../accounts/tokens.ts';
import { equalText } from '@sealroom/crypto/bytes';
import { evaluate } from './evaluate.ts';
import { isWebSocketUpgrade, trustedOrigin } from './origin.ts';
import { type RouteEntry, findRoute, ownsPath } from './routes.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

async function loadUser(db: D1Database, userId: string) {
  const user = await getUser(db, userId);
  const org = user ? await getOrg(db, user.orgId) : null;
  if (!user || !org) fail(401, 'unauthenticated', 'the account no longer exists');
  if (user.disabled) fail(403, 'account_disabled', 'this account is disabled');
  return { user, org };
}

function crossSite(c: Ctx): boolean {
  const origin = c.req.header('origin');
  if (origin && origin !== new URL(c.req.url).origin) return true;
  return c.req.header('sec-fetch-site') === 'cross-site';
}

async function resolve(c: Ctx, route: RouteEntry): Promise<Principal> {
  const auth = c.req.header('authorization');
  if (auth?.startsWith(`Bearer ${TOKEN_PREFIX}`)) {
    const t = await findToken(c.env.DB, auth.slice(7));
    if (t === 'expired') fail(401, 'token_expired', 'this token has expired');
    if (!t) fail(401, 'unauthenticated', 'unknown token');
    return { kind: 'token', ...(await loadUser(c.env.DB, t.userId)), scopes: t.scopes, mfa: t.mfa };
  }
  if (looksLikeApiKeyAuth(auth)) {
    const key = await verifySignedRequest(c.env.DB, await kmsOf(c.env), c.req.raw);
    // An API key proves possession of a secret, not a second factor.
    return { kind: 'apikey', ...(await loadUser(c.env.DB, key.user_id)), keyId: key.id, mfa: false };
  }
  const token = sessionToken(c);
  if (!token) return { kind: 'anonymous' };
  const session = await findSession(c.env.DB, token);
  if (!session) return { kind: 'anonymous' };
  if (!SAFE.has(c.req.method)) {
    const sent = c.req.header(CSRF_HEADER) ?? '';
    const tokenOk = equalText(sent, session.csrf);
    if (!tokenOk || crossSite(c)) {
      // Routes open to anonymous callers (sign-in after a reload, meeting creation) just lose the cookie's authority; the rest refuse.
      if (route.rule === 'public' || (typeof route.rule === 'object' && route.rule.anonymous)) return { kind: 'anonymous' };
      fail(403, 'csrf', `state-changing requests need the ${CSRF_HEADER} header of this session, from this origin`);
    }
  }
  return { kind: 'session', ...(await loadUser(c.env.DB, session.userId)), session, mfa: session.mfa };
}

/** Tells the caller whether its credentials counted: `full`, `none` (went on as anonymous) or `session` (sign-in routes). */
export const AUTHORITY_HEADER = 'x-sealroom-authority';

type Verdict = { full: true } | { full: false; error: AccountError; byPolicy: boolean };

/** Whether `principal` is full for `action`; the reason when not. */
function judge(c: Ctx, principal: Principal, action: Action): Verdict {
  if (principal.kind === 'anonymous') return { full: false, error: new AccountError(401, 'unauthenticated', 'sign in first'), byPolicy: false };
  if (principal.kind === 'session' && principal.session.pendingMfa) {
    return { full: false, error: new AccountError(401, 'mfa_required', 'enter your authentication code first'), byPolicy: false };
  }
  const decision = evaluate({
    role: principal.user.role,
    action,
    mfa: principal.mfa,
    ip: clientIp(c),
    now: Date.now(),
    scopes: principal.kind === 'token' ? principal.scopes : undefined,
    policy: principal.org.policy,
    // SSO users have no password here to expire.
    passwordExpired: principal.user.samlNameId === null && passwordExpired(principal.user.passwordChangedAt, principal.org.policy.password, Date.now()),
  });
  return decision.allow ? { full: true } : { full: false, error: new AccountError(403, decision.code, decision.reason), byPolicy: true };
}

/**
 * A foreign page's WebSocket is refused outright: the handshake is a GET, so the CSRF token never
 * guards it, yet the socket acts with the cookie's authority. A handshake without Origin comes
 * from a non-browser client (browsers always send it); that client keeps its cookie's authority,
 * host claim included, because no other site can have put the cookie there: only its holder.
 */
function refuseForeignSocket(c: Ctx): void {
  if (!isWebSocketUpgrade(c.req.raw)) return;
  const origin = c.req.header('origin');
  if (origin !== undefined && !trustedOrigin(c.env, c.req.url, origin)) fail(403, 'csrf', 'a page of another origin may not open this socket');
}

export function policyMiddleware(): MiddlewareHandler<AppEnv> {
  return async function policy(c, next) {
    c.set('authority', null);
    const path = new URL(c.req.url).pathname;
    const route = findRoute(c.req.method, path);
    if (!route) {
      // Ours and unlisted: refuse rather than serve unchecked. Others' unlisted routes fall through to their router.
      if (ownsPath(path)) fail(404, 'not_found', 'no such route');
      c.set('principal', { kind: 'anonymous' });
      return next();
    }
    if (!SAFE.has(c.req.method) && !route.crossSite && crossSite(c) && ownsPath(path)) fail(403, 'csrf', 'cross-site request refused');
    refuseForeignSocket(c);
    const principal = await resolve(c, route);
    c.set('principal', principal);
    const rule = route.rule;
    if (rule === 'public') {
      c.header(AUTHORITY_HEADER, 'none');
      return next();
    }
    if (rule === 'session') {
      if (principal.kind !== 'session') fail(401, 'unauthenticated', 'a browser session is required');
      c.header(AUTHORITY_HEADER, 'session');
      return next();
    }
    const verdict = judge(c, principal, rule.action);
    if (verdict.full) {
      c.set('authority', principal as Authenticated);
      c.header(AUTHORITY_HEADER, 'full');
      return next();
    }
    const { error, byPolicy } = verdict;
    if (byPolicy) {
      await auditRequest(c, {
        action: rule.anonymous ? 'policy.downgrade' : 'policy.deny',
        result: error.code,
        target: rule.action,
        detail: rule.anonymous ? `${error.message}; treated as anonymous` : error.message,
      });
    }
    if (!rule.anonymous) throw error;
    c.header(AUTHORITY_HEADER, 'none');
    return next();
  };
}
