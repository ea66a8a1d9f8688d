/**
 * Accounts and administration API bodies: organizations, users, sign-in, MFA,
 * security policy, API keys, scoped tokens, audit queries. Shared by the edge and web/src/admin.
 *
 * Error codes of this API are their own enum (the shared `ErrorCode` stays the meeting path's);
 * the edge sends them in the same `{ error: { code, message } }` shape.
 */
import { z } from 'zod';
import { humanText } from './common.ts';
import { hex, toB64url } from '@sealroom/crypto/bytes';

export const AccountErrorCode = z.enum([
  'bad_message',
  'unauthenticated',
  'bad_credentials',
  'account_locked',
  'account_disabled',
  'password_expired',
  'password_policy',
  'mfa_required',
  'mfa_invalid',
  'mfa_not_enrolled',
  'mfa_already_enrolled',
  'csrf',
  'forbidden',
  'policy_denied',
  'not_found',
  'conflict',
  'tier_invalid',
  'last_owner',
  'bad_signature',
  'stale_request',
  'replayed',
  'key_disabled',
  'token_expired',
  'scope_exceeded',
  'saml_invalid',
  'saml_replayed',
  // the SSO email domain's ownership is not (yet) proven
  'domain_unverified',
  'kms_unavailable',
  'rate_limited',
  // a request body over the route's limit (413)
  'too_large',
  // too many password checks at once in this isolate: retry after `retry-after` seconds
  'busy',
  'internal',
  // email verification
  'verification_invalid',
  'verification_expired',
  'already_verified',
  'mail_unavailable',
]);
export type AccountErrorCode = z.infer<typeof AccountErrorCode>;

/** Subscription tiers: the most participants one meeting of the organization may hold. */
export const TIERS = [100, 300, 500, 1000] as const;
export const Tier = z.union([z.literal(100), z.literal(300), z.literal(500), z.literal(1000)]);
export type Tier = z.infer<typeof Tier>;

export const OrgRole = z.enum(['owner', 'admin', 'member']);
export type OrgRole = z.infer<typeof OrgRole>;

/** Everything a policy statement can name. `meeting:*` are checked here and again by host key / Room. */
export const ACTIONS = [
  'meeting:create',
  'meeting:update',
  'meeting:delete',
  /** Claim host in one's own meeting (as owner or alternative host) without the host key. */
  'meeting:host',
  /** Read a meeting's settings and alternative hosts, or list one's own meetings with them. */
  'meeting:read-details',
  'recording:create',
  'recording:read',
  'recording:share',
  'recording:delete',
  'recording:retention',
  'user:read',
  'user:manage',
  'org:read',
  'org:manage',
  'policy:manage',
  'audit:read',
  'audit:verify',
  'usage:read',
  'self:read',
  'self:manage',
  'apikey:manage',
  'token:create',
  'data:export',
  'data:erase',
] as const;
export const Action = z.enum(ACTIONS);
export type Action = z.infer<typeof Action>;

export const Email = z.string().trim().toLowerCase().email().max(254);
/** User, org and API-key names: shown to other people, so held to the display-name rules (common.ts). */
const Name = humanText('name', { max: 100 });
/** Passwords: bounded so a hostile body cannot make scrypt hash megabytes. Policy checks come after. */
export const Password = z.string().min(1).max(256);
export const Id = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'bad id');

/** IPv4 or IPv6 CIDR such as 203.0.113.0/24 or 2001:db8::/32; parsed fully at the edge. */
export const Cidr = z
  .string()
  .max(64)
  .regex(/^[0-9a-fA-F:.]+\/[0-9]{1,3}$/, 'expected CIDR like 10.0.0.0/8');

export const PasswordPolicy = z.strictObject({
  minLength: z.number().int().min(8).max(128),
  /** How many of lower, upper, digit, symbol must appear. */
  minClasses: z.number().int().min(1).max(4),
  /** Days after which a password must be changed; 0 = never. */
  maxAgeDays: z.number().int().min(0).max(3650),
  /** The last N passwords may not be reused; 0 = no check. */
  historyCount: z.number().int().min(0).max(24),
});
export type PasswordPolicy = z.infer<typeof PasswordPolicy>;

/** Minutes since midnight UTC on the listed days (0 = Sunday); end may be before start (overnight). */
export const TimeWindow = z.strictObject({
  days: z.array(z.number().int().min(0).max(6)).min(1).max(7),
  startMinute: z.number().int().min(0).max(1439),
  endMinute: z.number().int().min(0).max(1440),
});
export type TimeWindow = z.infer<typeof TimeWindow>;

export const SecurityPolicy = z.strictObject({
  password: PasswordPolicy,
  mfaRequired: z.boolean(),
  /** Empty: any address. Otherwise every signed-in request must come from one of these. */
  allowedIpRanges: z.array(Cidr).max(50),
  /** When set, administrative actions are allowed only inside this window. */
  adminWindow: TimeWindow.nullable(),
  /** May people without an account join this organization's meetings by link? */
  allowAnonymousJoin: z.boolean(),
  sessionHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30),
});
export type SecurityPolicy = z.infer<typeof SecurityPolicy>;

export const DEFAULT_SECURITY_POLICY: SecurityPolicy = {
  password: { minLength: 12, minClasses: 2, maxAgeDays: 0, historyCount: 5 },
  mfaRequired: false,
  allowedIpRanges: [],
  adminWindow: null,
  allowAnonymousJoin: true,
  sessionHours: 12,
};

export const SecurityPolicyPatch = z.strictObject({
  password: PasswordPolicy.partial().optional(),
  mfaRequired: z.boolean().optional(),
  allowedIpRanges: z.array(Cidr).max(50).optional(),
  adminWindow: TimeWindow.nullable().optional(),
  allowAnonymousJoin: z.boolean().optional(),
  sessionHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .optional(),
});
export type SecurityPolicyPatch = z.infer<typeof SecurityPolicyPatch>;

// ── sign-up, sign-in ───────────────────────────────────────────────────────────

export const SignUpInput = z.strictObject({
  orgName: Name,
  name: Name,
  email: Email,
  password: Password,
});
export type SignUpInput = z.infer<typeof SignUpInput>;

export const SignInInput = z.strictObject({
  email: Email,
  password: Password,
});
export type SignInInput = z.infer<typeof SignInInput>;

/** Either a 6-digit TOTP code or one recovery code (xxxxx-xxxxx). */
export const MfaCode = z
  .string()
  .trim()
  .regex(/^([0-9]{6}|[a-z0-9]{5}-[a-z0-9]{5})$/, 'expected a 6-digit code or a recovery code');
export const MfaVerifyInput = z.strictObject({ code: MfaCode });
export type MfaVerifyInput = z.infer<typeof MfaVerifyInput>;

export const MfaConfirmInput = z.strictObject({
  code: z
    .string()
    .trim()
    .regex(/^[0-9]{6}$/, 'expected a 6-digit code'),
});
export type MfaConfirmInput = z.infer<typeof MfaConfirmInput>;

export const PasswordChangeInput = z.strictObject({ current: Password, next: Password });
export type PasswordChangeInput = z.infer<typeof PasswordChangeInput>;

/** What a signed-in caller learns about itself. `csrfToken` goes back in `x-csrf-token` on every change. */
export const SessionInfo = z.strictObject({
  user: z.strictObject({ id: z.string(), email: z.string(), name: z.string(), role: OrgRole, mfaEnabled: z.boolean(), emailVerified: z.boolean() }),
  org: z.strictObject({ id: z.string(), name: z.string(), tier: Tier }),
  mfa: z.boolean(),
  csrfToken: z.string(),
  passwordExpired: z.boolean(),
});
export type SessionInfo = z.infer<typeof SessionInfo>;

/** The token of an email verification link: 256 random bits, base64url. */
export const EmailVerificationToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected the token from the verification link');

/** `POST /api/auth/verify-email`, by the signed-in account the link was mailed for. */
export const VerifyEmailInput = z.strictObject({ token: EmailVerificationToken });
export type VerifyEmailInput = z.infer<typeof VerifyEmailInput>;

export const VerifyEmailResult = z.strictObject({ emailVerified: z.literal(true), email: z.string() });
export type VerifyEmailResult = z.infer<typeof VerifyEmailResult>;

/** `POST /api/account/verify-email/resend`: where the link went, and when another may be asked for. */
export const ResendVerificationResult = z.strictObject({ sentTo: z.string(), retryAfterSeconds: z.number().int().nonnegative() });
export type ResendVerificationResult = z.infer<typeof ResendVerificationResult>;

// ── administration ─────────────────────────────────────────────────────────────

export const UserCreateInput = z.strictObject({
  email: Email,
  name: Name,
  role: OrgRole.exclude(['owner']).default('member'),
  /** Initial password; the user must still meet the policy. */
  password: Password,
  phone: z.string().trim().max(32).optional(),
});
export type UserCreateInput = z.infer<typeof UserCreateInput>;

export const UserPatchInput = z.strictObject({
  name: Name.optional(),
  role: OrgRole.optional(),
  disabled: z.boolean().optional(),
});
export type UserPatchInput = z.infer<typeof UserPatchInput>;

export const OrgPatchInput = z.strictObject({ name: Name.optional(), tier: Tier.optional() });
export type OrgPatchInput = z.infer<typeof OrgPatchInput>;

export const AuditQuery = z.strictObject({
  action: z.string().max(64).optional(),
  actor: z.string().max(64).optional(),
  result: z.string().max(64).optional(),
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(200),
  format: z.enum(['json', 'csv']).default('json'),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const UsageQuery = z.strictObject({
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
});

// ── API keys and tokens ────────────────────────────────────────────────────────

export const ApiKeyCreateInput = z.strictObject({ label: Name });
export const ApiKeyPatchInput = z.strictObject({ disabled: z.boolean() });

export const TokenCreateInput = z.strictObject({
  scopes: z.array(Action).min(1).max(ACTIONS.length),
  /** Seconds; default one hour, at most one day. */
  ttlSeconds: z.number().int().min(60).max(86_400).default(3600),
});
export type TokenCreateInput = z.infer<typeof TokenCreateInput>;

/** Signed API requests: `authorization: SR1-HMAC-SHA256 Credential=<keyId>, Signature=<b64url>`. */
export const API_KEY_SCHEME = 'SR1-HMAC-SHA256';
export const API_TIME_HEADER = 'x-sr-date';
export const API_NONCE_HEADER = 'x-sr-nonce';
export const CSRF_HEADER = 'x-csrf-token';

// ── SAML ───────────────────────────────────────────────────────────────────────

export const EmailDomain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/)
  .max(253);

/**
 * SP-initiated SSO (`GET /api/saml/login`): the person names their organization by their work
 * email or by its email domain; either picks the IdP configured for that domain.
 */
export const SamlLoginQuery = z.union([z.strictObject({ email: Email }), z.strictObject({ domain: EmailDomain })]);
export type SamlLoginQuery = z.infer<typeof SamlLoginQuery>;

/** `GET /api/saml/login` asked with `accept: application/json`: where to send the browser. */
export const SamlLoginRedirect = z.strictObject({
  location: z
    .string()
    .max(8192)
    .url()
    .regex(/^https?:\/\//i),
});
export type SamlLoginRedirect = z.infer<typeof SamlLoginRedirect>;

export const SamlConfigInput = z.strictObject({
  idpEntityId: z.string().min(1).max(512),
  /** Browsers are sent here: http(s) only, never `javascript:` or `data:`. */
  idpSsoUrl: z
    .string()
    .url()
    .max(1024)
    .regex(/^https?:\/\//i),
  /** The IdP's signing certificate, PEM or bare base64. */
  idpCertificate: z.string().min(100).max(16_384),
  /** Email domain that routes sign-in to this IdP. */
  emailDomain: EmailDomain,
  defaultRole: OrgRole.exclude(['owner']).default('member'),
});
export type SamlConfigInput = z.infer<typeof SamlConfigInput>;

/** `POST /internal/sso-domains/approve` (operator, HMAC-signed): approve one organization's domain challenge. */
export const SsoDomainApproval = z.strictObject({
  orgId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  domain: EmailDomain,
  token: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
});
export type SsoDomainApproval = z.infer<typeof SsoDomainApproval>;

// ── signing API requests (client side and server side share the canonical form) ─────────

/**
 * The canonical request an API key signs:
 *   SR1-HMAC-SHA256 \n METHOD \n path \n sorted query \n timestamp-ms \n nonce \n hex(SHA-256(body))
 * Query parameters are sorted by name then value and percent-encoded, so equivalent URLs sign alike.
 */
export async function canonicalApiRequest(method: string, url: URL, time: string, nonce: string, body: string): Promise<string> {
  const params = [...url.searchParams.entries()]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .sort()
    .join('&');
  const bodyHash = hex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body))));
  return [API_KEY_SCHEME, method.toUpperCase(), url.pathname, params, time, nonce, bodyHash].join('\n');
}

export async function apiSignature(secret: string, canonical: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toB64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(canonical))));
}

/** Headers that authenticate one request with an API key. `nonce` must be fresh per request. */
export async function signApiRequest(
  keyId: string,
  secret: string,
  method: string,
  url: string | URL,
  body: string,
  opts: { now?: number; nonce?: string } = {},
): Promise<Record<string, string>> {
  const time = String(opts.now ?? Date.now());
  const nonce = opts.nonce ?? hex(crypto.getRandomValues(new Uint8Array(16)));
  const canonical = await canonicalApiRequest(method, new URL(url), time, nonce, body);
  return {
    authorization: `${API_KEY_SCHEME} Credential=${keyId}, Signature=${await apiSignature(secret, canonical)}`,
    [API_TIME_HEADER]: time,
    [API_NONCE_HEADER]: nonce,
  };
}
