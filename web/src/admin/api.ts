/**
 * The accounts API from the browser: one fetch wrapper that sends the session's CSRF token on
 * every change and turns `{ error: { code, message } }` into an ApiError (lib/api-error.ts).
 */
import { CSRF_HEADER, type ResendVerificationResult, SamlLoginRedirect, type SessionInfo, type SignUpInput, type VerifyEmailResult } from '@sealroom/protocol';
import { apiErrorOf } from '../lib/api-error.ts';

export type SignInResult = SessionInfo | { mfaRequired: true; csrfToken: string };

export class AdminApi {
  csrf = '';
  readonly #fetch: typeof fetch;
  constructor(fetcher: typeof fetch = (...a) => fetch(...a)) {
    this.#fetch = fetcher;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.csrf) headers[CSRF_HEADER] = this.csrf;
    const res = await this.#fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
    const text = await res.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (err) {
      // A proxy's HTML error page is still an error with a status; a success must be JSON.
      if (res.ok) throw err;
    }
    if (!res.ok) throw apiErrorOf(res.status, data);
    // Every answer that carries a CSRF token replaces the one held: sessions rotate.
    const token = (data as { csrfToken?: string; session?: { csrfToken?: string } } | null)?.csrfToken ?? (data as { session?: { csrfToken?: string } } | null)?.session?.csrfToken;
    if (token) this.csrf = token;
    return data as T;
  }

  signIn = (email: string, password: string) => this.call<SignInResult>('POST', '/api/auth/signin', { email, password });
  verifyMfa = (code: string) => this.call<SessionInfo>('POST', '/api/auth/mfa/verify', { code });
  session = () => this.call<SignInResult>('GET', '/api/auth/session');
  signOut = () => this.call<null>('POST', '/api/auth/signout');
  signUp = (input: SignUpInput) => this.call<SessionInfo>('POST', '/api/auth/signup', input);
  verifyEmail = (token: string) => this.call<VerifyEmailResult>('POST', '/api/auth/verify-email', { token });
  resendVerification = () => this.call<ResendVerificationResult>('POST', '/api/account/verify-email/resend');
  /** Where SP-initiated SSO starts for a work email or an email domain (the edge remembers the AuthnRequest). */
  ssoStart = async (emailOrDomain: string) => {
    const v = emailOrDomain.trim();
    const q = new URLSearchParams(v.includes('@') ? { email: v } : { domain: v });
    return SamlLoginRedirect.parse(await this.call<unknown>('GET', `/api/saml/login?${q}`));
  };
}
