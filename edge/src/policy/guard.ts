/**
 * The authorization guard each /api route declares beside its path: who is calling, whether a
 * cross-site write or a foreign page's socket is refused, and the request's authority.
 *
 *   requires(action)         a full principal: one the policy allows to do `action` (MFA done where
 *                            required, address allowed, password current, a token's scope naming
 *                            the action); anyone less is refused
 *   allows(action)           anyone may call; a full principal for `action` acts with its rights,
 *                            anyone less goes on as anonymous, so a weak credential never confers
 *                            anything (meeting routes: the host key, a capability, is checked later)
 *   publicRoute()            anyone, and no credential counts (sign-in, SAML metadata …); never for
 *                            a route that confers rights
 *   sessionRoute()           any session, even one still waiting for its MFA code
 *   signedInternal()         not a browser route: the handler checks the edge's shared-secret HMAC
 *
 * Credentials, in order: `authorization: Bearer srt_…` (scoped token), `authorization:
 * SR1-HMAC-SHA256 …` (signed API request), the session cookie. A cookie only counts on a
 * state-changing request when `x-csrf-token` carries that session's token (synchronizer token)
 * and the Origin, if sent, is ours; SameSite=Strict is the second wall, not the only one.
 * On routes open to anonymous callers, which the anonymous web client calls without that header,
 * a cookie without the token is ignored rather than refused: it then carries no authority.
 *
 * Cross-site writes are refused before any credential is read, except on routes open to anonymous
 * callers (the cookie just loses its authority) and routes declared `{ crossSite: 'allow' }`: the
 * SAML ACS, which a foreign IdP page legitimately POSTs to, and the personal meeting room, where
 * only the cookie (never a token or API key) needs the same-origin CSRF token.
 *
 * Authority is decided here and nowhere else: `c.var.authority` is the principal when `evaluate`
 * allows it the route's action, and null otherwise.
 */
import { type Action, CSRF_HEADER } from '@sealroom/protocol';
import type { MiddlewareHandler } from 'hono';
import type { RouterRoute } from 'hono/types';
import { looksLikeApiKeyAuth, verifySignedRequest } from '../accounts/apikeys.ts';
import { type AppEnv, type Authenticated, type Ctx, type Principal, auditRequest, clientIp, kmsOf } from '../accounts/context.ts';
import { passwordExpired } from '../accounts/password-policy.ts';
import { findSession, sessionToken } from '../accounts/sessions.ts';
import { getOrg, getUser } from '../accounts/store.ts';
import { TOKEN_PREFIX, findToken } from '../accounts/tokens.ts';
import { HttpError, fail } from '../http/errors.ts';
import { equalText } from '@sealroom/crypto/bytes';
import { evaluate } from './evaluate.ts';
import { isWebSocketUpgrade, trustedOrigin } from './origin.ts';

export type Rule = { kind: 'requires'; action: Action } | { kind: 'allows'; action: Action } | { kind: 'public' } | { kind: 'session' } | { kind: 'internal' };

export interface GuardOptions {
  /** 'allow': no blanket refusal of cross-site writes (see the module comment for the two routes). */
  crossSite?: 'allow';
}

/** Tells the caller whether its credentials counted: `full`, `none` (went on as anonymous) or `session` (sign-in routes). */
export const AUTHORITY_HEADER = 'x-sealroom-authority';

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

async function resolve(c: Ctx, rule: Rule): Promise<Principal> {
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
      if (rule.kind === 'public' || rule.kind === 'allows') return { kind: 'anonymous' };
      fail(403, 'csrf', `state-changing requests need the ${CSRF_HEADER} header of this session, from this origin`);
    }
  }
  return { kind: 'session', ...(await loadUser(c.env.DB, session.userId)), session, mfa: session.mfa };
}

type Verdict = { full: true } | { full: false; error: HttpError; byPolicy: boolean };

/** Whether `principal` is full for `action`; the reason when not. */
function judge(c: Ctx, principal: Principal, action: Action): Verdict {
  if (principal.kind === 'anonymous') return { full: false, error: new HttpError(401, 'unauthenticated', 'sign in first'), byPolicy: false };
  if (principal.kind === 'session' && principal.session.pendingMfa) {
    return { full: false, error: new HttpError(401, 'mfa_required', 'enter your authentication code first'), byPolicy: false };
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
  return decision.allow ? { full: true } : { full: false, error: new HttpError(403, decision.code, decision.reason), byPolicy: true };
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

async function authorize(c: Ctx, rule: Exclude<Rule, { kind: 'internal' }>, options: GuardOptions): Promise<void> {
  c.set('authority', null);
  if (!SAFE.has(c.req.method) && rule.kind !== 'allows' && options.crossSite !== 'allow' && crossSite(c)) fail(403, 'csrf', 'cross-site request refused');
  refuseForeignSocket(c);
  const principal = await resolve(c, rule);
  c.set('principal', principal);
  if (rule.kind === 'public') {
    c.header(AUTHORITY_HEADER, 'none');
    return;
  }
  if (rule.kind === 'session') {
    if (principal.kind !== 'session') fail(401, 'unauthenticated', 'a browser session is required');
    c.header(AUTHORITY_HEADER, 'session');
    return;
  }
  const verdict = judge(c, principal, rule.action);
  if (verdict.full) {
    c.set('authority', principal as Authenticated);
    c.header(AUTHORITY_HEADER, 'full');
    return;
  }
  const { error, byPolicy } = verdict;
  const open = rule.kind === 'allows';
  if (byPolicy) {
    await auditRequest(c, {
      action: open ? 'policy.downgrade' : 'policy.deny',
      result: error.code,
      target: rule.action,
      detail: open ? `${error.message}; treated as anonymous` : error.message,
    });
  }
  if (!open) throw error;
  c.header(AUTHORITY_HEADER, 'none');
}

const rules = new WeakMap<object, Rule>();

function guard(rule: Exclude<Rule, { kind: 'internal' }>, options: GuardOptions = {}): MiddlewareHandler<AppEnv> {
  const handler: MiddlewareHandler<AppEnv> = async function authorizeRoute(c, next) {
    await authorize(c, rule, options);
    await next();
  };
  rules.set(handler, rule);
  return handler;
}

/** A full principal for `action`, or the refusal. */
export const requires = (action: Action, options?: GuardOptions) => guard({ kind: 'requires', action }, options);
/** Anyone; a full principal for `action` acts with its rights, anyone less as anonymous. */
export const allows = (action: Action) => guard({ kind: 'allows', action });
/** Anyone, and no credential counts. */
export const publicRoute = (options?: GuardOptions) => guard({ kind: 'public' }, options);
/** Any browser session, even one still waiting for its MFA code. */
export const sessionRoute = () => guard({ kind: 'session' });

/** Marks a server-to-server route whose handler verifies the edge's shared-secret HMAC itself. */
export function signedInternal(): MiddlewareHandler {
  const handler: MiddlewareHandler = async function signedByEdgeSecret(_c, next) {
    await next();
  };
  rules.set(handler, { kind: 'internal' });
  return handler;
}

/** The rule a guard (or marker) handler declares; undefined for any other handler. */
export const ruleOf = (handler: unknown): Rule | undefined => (typeof handler === 'function' ? rules.get(handler) : undefined);

export interface GuardedRoute {
  method: string;
  path: string;
  /** Null when no handler of the route is a guard: the route-coverage test's failure. */
  rule: Rule | null;
}

/**
 * Every handler route an app registers, with the rule its guard declares. `ALL` entries are
 * middleware or the 404 catch-all, not routes.
 */
export function guardedRoutes(routes: readonly RouterRoute[]): GuardedRoute[] {
  const byRoute = new Map<string, GuardedRoute>();
  for (const r of routes) {
    if (r.method === 'ALL') continue;
    const path = r.path.replace(/(.)\/$/, '$1');
    const key = `${r.method} ${path}`;
    const entry = byRoute.get(key) ?? { method: r.method, path, rule: null };
    entry.rule ??= ruleOf(r.handler) ?? null;
    byRoute.set(key, entry);
  }
  return [...byRoute.values()];
}
