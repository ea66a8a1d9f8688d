/**
 * The accounts API from the browser: one fetch wrapper that sends the session's CSRF token on
 * every change and turns `{ error: { code, message } }` into an AdminApiError.
 */
import { CSRF_HEADER, type SessionInfo } from '@sealroom/protocol';

export class AdminApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export type SignInResult = SessionInfo | { mfaRequired: true; csrfToken: string };

export class AdminApi {
  csrf = '';
  readonly #fetch: typeof fetch;
  constructor(fetcher: typeof fetch = (...a) => fetch(...a)) {
    this.#fetch = fetcher;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.csrf) headers[CSRF_HEADER] = this.csrf;
    const res = await this.#fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
    const text = await res.text();
    const data = text ? (JSON.parse(text) as unknown) : null;
    if (!res.ok) {
      const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
      throw new AdminApiError(res.status, err?.code ?? 'internal', err?.message ?? res.statusText);
    }
    // Every answer that carries a CSRF token replaces the one held: sessions rotate.
    const token = (data as { csrfToken?: string; session?: { csrfToken?: string } } | null)?.csrfToken ?? (data as { session?: { csrfToken?: string } } | null)?.session?.csrfToken;
    if (token) this.csrf = token;
    return data as T;
  }

  signIn = (email: string, password: string) => this.call<SignInResult>('POST', '/api/auth/signin', { email, password });
  verifyMfa = (code: string) => this.call<SessionInfo>('POST', '/api/auth/mfa/verify', { code });
  session = () => this.call<SignInResult>('GET', '/api/auth/session');
  signOut = () => this.call<null>('POST', '/api/auth/signout');
}
