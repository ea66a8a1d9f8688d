/**
 * The accounts API from the browser: every call names the protocol schema its answer is parsed
 * with (through lib/http.ts), sends the session's CSRF token on every change, and turns
 * `{ error: { code, message } }` into an ApiError (lib/api-error.ts).
 */
import {
  AuditEntries,
  AuditVerification,
  CSRF_HEADER,
  MfaConfirmation,
  MfaEnrolment,
  type OrgPatchInput,
  OrgView,
  ResendVerificationResult,
  SamlLoginRedirect,
  SecurityPolicy,
  type SecurityPolicyPatch,
  SessionInfo,
  SignInResult,
  type SignUpInput,
  UsageReport,
  UserErasure,
  UserList,
  type UserCreateInput,
  type UserPatchInput,
  UserView,
  VerifyEmailResult,
} from '@sealroom/protocol';
import type { z } from 'zod';
import { NoContent, callJson } from '../lib/http.ts';

export type { SignInResult };

/** The CSRF token an answer carries, if any: sessions rotate, and the client keeps the latest. */
function csrfTokenOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as { csrfToken?: unknown; session?: { csrfToken?: unknown } };
  const token = d.csrfToken ?? d.session?.csrfToken;
  return typeof token === 'string' && token ? token : undefined;
}

export class AdminApi {
  csrf = '';
  readonly #fetch: typeof fetch;
  constructor(fetcher: typeof fetch = (...a) => fetch(...a)) {
    this.#fetch = fetcher;
  }

  /** One call: `schema` is what a success must look like. */
  async call<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown): Promise<z.output<S>> {
    const headers: Record<string, string> = method !== 'GET' && this.csrf ? { [CSRF_HEADER]: this.csrf } : {};
    const data = await callJson(this.#fetch, schema, path, { method, headers, json: body, credentials: 'same-origin' });
    const token = csrfTokenOf(data);
    if (token) this.csrf = token;
    return data;
  }

  signIn = (email: string, password: string) => this.call(SignInResult, 'POST', '/api/auth/signin', { email, password });
  verifyMfa = (code: string) => this.call(SessionInfo, 'POST', '/api/auth/mfa/verify', { code });
  session = () => this.call(SignInResult, 'GET', '/api/auth/session');
  signOut = () => this.call(NoContent, 'POST', '/api/auth/signout');
  signUp = (input: SignUpInput) => this.call(SessionInfo, 'POST', '/api/auth/signup', input);
  verifyEmail = (token: string) => this.call(VerifyEmailResult, 'POST', '/api/auth/verify-email', { token });
  resendVerification = () => this.call(ResendVerificationResult, 'POST', '/api/account/verify-email/resend');
  /** Where SP-initiated SSO starts for a work email or an email domain (the edge remembers the AuthnRequest). */
  ssoStart = (emailOrDomain: string) => {
    const v = emailOrDomain.trim();
    const q = new URLSearchParams(v.includes('@') ? { email: v } : { domain: v });
    return this.call(SamlLoginRedirect, 'GET', `/api/saml/login?${q}`);
  };

  enrolMfa = () => this.call(MfaEnrolment, 'POST', '/api/account/mfa/enroll');
  confirmMfa = (code: string) => this.call(MfaConfirmation, 'POST', '/api/account/mfa/confirm', { code });

  patchOrg = (patch: z.input<typeof OrgPatchInput>) => this.call(OrgView, 'PATCH', '/api/admin/org', patch);
  policy = () => this.call(SecurityPolicy, 'GET', '/api/admin/policy');
  patchPolicy = (patch: z.input<typeof SecurityPolicyPatch>) => this.call(SecurityPolicy, 'PATCH', '/api/admin/policy', patch);
  users = () => this.call(UserList, 'GET', '/api/admin/users');
  createUser = (input: z.input<typeof UserCreateInput>) => this.call(UserView, 'POST', '/api/admin/users', input);
  patchUser = (id: string, patch: z.input<typeof UserPatchInput>) => this.call(UserView, 'PATCH', `/api/admin/users/${id}`, patch);
  deleteUser = (id: string) => this.call(UserErasure, 'DELETE', `/api/admin/users/${id}`);
  /** @param query - the audit filters as a query string (`action=…&result=…`) */
  audit = (query: string) => this.call(AuditEntries, 'GET', `/api/admin/audit?${query}`);
  verifyAudit = () => this.call(AuditVerification, 'GET', '/api/admin/audit/verify');
  usage = () => this.call(UsageReport, 'GET', '/api/admin/usage');
}
