/**
 * One HTTP error type, Hono's HTTPException carrying the API's error code: thrown anywhere in a
 * route, turned into `{ error: { code, message } }` by the app's one onError handler. Anything
 * else becomes a plain 500 with no stack, so nothing internal leaks to clients.
 */
import type { AccountErrorCode, ErrorCode, RecordingErrorCode } from '@sealroom/protocol';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ScryptBusy } from '../scrypt-gate.ts';

/** Every code an API error body may carry: the meeting API's, the accounts API's and the recordings API's. */
export type ApiErrorCode = ErrorCode | AccountErrorCode | RecordingErrorCode;

export class HttpError extends HTTPException {
  declare readonly status: ContentfulStatusCode;
  readonly code: ApiErrorCode;
  constructor(status: ContentfulStatusCode, code: ApiErrorCode, message: string) {
    super(status, { message });
    this.code = code;
  }
}

export function fail(status: ContentfulStatusCode, code: ApiErrorCode, message: string): never {
  throw new HttpError(status, code, message);
}

export function errorResponse(err: unknown, c: Context): Response {
  if (err instanceof HttpError) return c.json({ error: { code: err.code, message: err.message } }, err.status);
  // Any route that hashes a password (sign-up, password change, admin-created users) may meet a full scrypt gate.
  if (err instanceof ScryptBusy) return c.json({ error: { code: 'busy', message: err.message } }, 503, { 'retry-after': String(err.retryAfterSeconds) });
  console.error(JSON.stringify({ event: 'unhandled', error: String(err) }));
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
}
