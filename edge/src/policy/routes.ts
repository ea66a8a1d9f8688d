/**
 * Every /api route and what it requires, in one table the policy middleware reads.
 *
 *   { action }                     — a full principal: one the policy allows to do `action` (MFA
 *                                    done where required, address allowed, password current, a
 *                                    token's scope naming the action); anyone less is refused
 *   { action, anonymous: true }    — anyone may call; a full principal for `action` acts with its
 *                                    rights, anyone less goes on as anonymous, so a weak credential
 *                                    never confers anything (meeting routes: the host key, a
 *                                    capability, is checked downstream)
 *   'public'                       — anyone, and no credential counts (sign-in, SAML metadata …);
 *                                    never for a route that confers rights
 *   'session'                      — any session, even one still waiting for its MFA code
 *
 * `crossSite: true` marks the one route a foreign origin legitimately POSTs to (the SAML ACS,
 * authenticated by the signed assertion, not by a cookie).
 */
import type { Action } from '@sealroom/protocol';

export type Rule = { action: Action; anonymous?: boolean } | 'public' | 'session';

export interface RouteEntry {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  rule: Rule;
  crossSite?: boolean;
}

export const ROUTES: readonly RouteEntry[] = [
  // sign-in (edge/src/accounts/auth-routes.ts)
  { method: 'POST', path: '/api/auth/signup', rule: 'public' },
  { method: 'POST', path: '/api/auth/signin', rule: 'public' },
  { method: 'POST', path: '/api/auth/mfa/verify', rule: 'session' },
  { method: 'POST', path: '/api/auth/signout', rule: 'session' },
  { method: 'GET', path: '/api/auth/session', rule: 'session' },
  // email verification (edge/src/accounts/email-verification-routes.ts): the link is used by the account it was sent for
  { method: 'POST', path: '/api/auth/verify-email', rule: { action: 'self:manage' } },
  // SAML (edge/src/accounts/saml-routes.ts)
  { method: 'GET', path: '/api/saml/:org/metadata', rule: 'public' },
  { method: 'GET', path: '/api/saml/login', rule: 'public' },
  { method: 'POST', path: '/api/saml/:org/acs', rule: 'public', crossSite: true },
  // the caller's own account (edge/src/accounts/self-routes.ts)
  { method: 'GET', path: '/api/account', rule: { action: 'self:read' } },
  { method: 'POST', path: '/api/account/password', rule: { action: 'self:manage' } },
  { method: 'POST', path: '/api/account/mfa/enroll', rule: { action: 'self:manage' } },
  { method: 'POST', path: '/api/account/mfa/confirm', rule: { action: 'self:manage' } },
  { method: 'POST', path: '/api/account/mfa/recovery-codes', rule: { action: 'self:manage' } },
  { method: 'DELETE', path: '/api/account/mfa', rule: { action: 'self:manage' } },
  { method: 'GET', path: '/api/account/export', rule: { action: 'data:export' } },
  { method: 'DELETE', path: '/api/account', rule: { action: 'self:manage' } },
  { method: 'GET', path: '/api/account/keys', rule: { action: 'apikey:manage' } },
  { method: 'POST', path: '/api/account/keys', rule: { action: 'apikey:manage' } },
  { method: 'PATCH', path: '/api/account/keys/:id', rule: { action: 'apikey:manage' } },
  { method: 'DELETE', path: '/api/account/keys/:id', rule: { action: 'apikey:manage' } },
  { method: 'POST', path: '/api/account/keys/:id/rotate', rule: { action: 'apikey:manage' } },
  { method: 'POST', path: '/api/account/tokens', rule: { action: 'token:create' } },
  { method: 'POST', path: '/api/account/verify-email/resend', rule: { action: 'self:manage' } },
  // administration (edge/src/admin/routes.ts)
  { method: 'GET', path: '/api/admin/org', rule: { action: 'org:read' } },
  { method: 'PATCH', path: '/api/admin/org', rule: { action: 'org:manage' } },
  { method: 'DELETE', path: '/api/admin/org', rule: { action: 'org:manage' } },
  { method: 'GET', path: '/api/admin/policy', rule: { action: 'org:read' } },
  { method: 'PATCH', path: '/api/admin/policy', rule: { action: 'policy:manage' } },
  { method: 'GET', path: '/api/admin/users', rule: { action: 'user:read' } },
  { method: 'POST', path: '/api/admin/users', rule: { action: 'user:manage' } },
  { method: 'PATCH', path: '/api/admin/users/:id', rule: { action: 'user:manage' } },
  { method: 'DELETE', path: '/api/admin/users/:id', rule: { action: 'data:erase' } },
  { method: 'GET', path: '/api/admin/users/:id/export', rule: { action: 'data:erase' } },
  { method: 'GET', path: '/api/admin/audit', rule: { action: 'audit:read' } },
  { method: 'GET', path: '/api/admin/audit/verify', rule: { action: 'audit:verify' } },
  { method: 'GET', path: '/api/admin/usage', rule: { action: 'usage:read' } },
  { method: 'GET', path: '/api/admin/saml', rule: { action: 'org:manage' } },
  { method: 'PUT', path: '/api/admin/saml', rule: { action: 'org:manage' } },
  { method: 'POST', path: '/api/admin/saml/domain/verify', rule: { action: 'org:manage' } },
  // cloud recordings (edge/src/recordings/routes.ts). Share links first: they are public, and
  // `/shared/…` must not be read as a recording id. Literal segments before `/:id`.
  { method: 'GET', path: '/api/recordings/shared/:shareId', rule: 'public' },
  { method: 'GET', path: '/api/recordings/shared/:shareId/content', rule: 'public' },
  { method: 'POST', path: '/api/recordings', rule: { action: 'recording:create' } },
  { method: 'GET', path: '/api/recordings', rule: { action: 'recording:read' } },
  { method: 'GET', path: '/api/recordings/usage', rule: { action: 'recording:read' } },
  { method: 'GET', path: '/api/recordings/retention', rule: { action: 'recording:read' } },
  { method: 'PUT', path: '/api/recordings/retention', rule: { action: 'recording:retention' } },
  { method: 'GET', path: '/api/recordings/:id', rule: { action: 'recording:read' } },
  { method: 'GET', path: '/api/recordings/:id/parts', rule: { action: 'recording:create' } },
  { method: 'PUT', path: '/api/recordings/:id/parts/:n', rule: { action: 'recording:create' } },
  { method: 'PUT', path: '/api/recordings/:id/tail/:n/:offset', rule: { action: 'recording:create' } },
  { method: 'POST', path: '/api/recordings/:id/complete', rule: { action: 'recording:create' } },
  { method: 'GET', path: '/api/recordings/:id/content', rule: { action: 'recording:read' } },
  { method: 'DELETE', path: '/api/recordings/:id', rule: { action: 'recording:delete' } },
  { method: 'POST', path: '/api/recordings/:id/shares', rule: { action: 'recording:share' } },
  { method: 'GET', path: '/api/recordings/:id/shares', rule: { action: 'recording:share' } },
  { method: 'DELETE', path: '/api/recordings/:id/shares/:shareId', rule: { action: 'recording:share' } },
  // meetings (edge/src/http/meetings.ts): anonymous use stays possible; only a full principal
  // owns what it creates, hosts by session, or reads details without the host key.
  { method: 'POST', path: '/api/meetings', rule: { action: 'meeting:create', anonymous: true } },
  // Both answer with details (settings, alternative hosts) of the caller's own meetings.
  { method: 'GET', path: '/api/meetings', rule: { action: 'meeting:read-details' } },
  { method: 'POST', path: '/api/meetings/personal', rule: { action: 'meeting:read-details' } },
  { method: 'PATCH', path: '/api/meetings/:id', rule: { action: 'meeting:update', anonymous: true } },
  { method: 'DELETE', path: '/api/meetings/:id', rule: { action: 'meeting:delete', anonymous: true } },
  // What anyone with the link sees: nothing here depends on who asks.
  { method: 'GET', path: '/api/meetings/:id', rule: 'public' },
  { method: 'GET', path: '/api/meetings/:id/details', rule: { action: 'meeting:read-details', anonymous: true } },
  { method: 'GET', path: '/api/meetings/:id/invitation', rule: 'public' },
  { method: 'GET', path: '/api/meetings/:id/invitation.ics', rule: 'public' },
  // The socket claims host for its owner's session, and tells the Room who is signed in.
  { method: 'GET', path: '/api/meetings/:id/ws', rule: { action: 'meeting:host', anonymous: true } },
];

/**
 * Routes outside /api that the policy middleware does not see: servers and operators call them,
 * each request signed with the edge's shared secret (HMAC) and checked by its own router. Listed
 * so that the route-coverage test can tell them from a route somebody forgot.
 */
export const INTERNAL_ROUTES: readonly Pick<RouteEntry, 'method' | 'path'>[] = [
  { method: 'POST', path: '/internal/origins/heartbeat' },
  { method: 'POST', path: '/internal/kms/rotate' },
  { method: 'POST', path: '/internal/sso-domains/approve' },
];

/** Path prefixes this table owns completely: a route under them that the table lacks is refused. */
export const OWNED_PREFIXES = ['/api/auth/', '/api/saml/', '/api/account', '/api/admin/', '/api/recordings'];

function matches(pattern: string, path: string): boolean {
  const p = pattern.split('/');
  const s = path.split('/');
  return p.length === s.length && p.every((seg, i) => (seg.startsWith(':') ? s[i]!.length > 0 : seg === s[i]));
}

export function findRoute(method: string, path: string): RouteEntry | null {
  // HEAD is answered by GET handlers, so it carries GET's rule.
  const m = method === 'HEAD' ? 'GET' : method;
  return ROUTES.find((r) => r.method === m && matches(r.path, path)) ?? null;
}

export const ownsPath = (path: string): boolean => OWNED_PREFIXES.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p));
