/**
 * One HTTP error type: thrown anywhere in a route, turned into `{ error: { code, message } }`.
 * Anything else becomes a plain 500 with no stack, so nothing internal leaks to clients.
 */
import type { ErrorCode } from '@sealroom/protocol';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ScryptBusy } from '../scrypt-gate.ts';

export class HttpError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: ErrorCode;
  constructor(status: ContentfulStatusCode, code: ErrorCode, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function errorResponse(err: unknown, c: Context): Response {
  if (err instanceof HttpError) return c.json({ error: { code: err.code, message: err.message } }, err.status);
  // Any route that hashes a password (sign-up, password change, admin-created users) may meet a full scrypt gate.
  if (err instanceof ScryptBusy) return c.json({ error: { code: 'busy', message: err.message } }, 503, { 'retry-after': String(err.retryAfterSeconds) });
  console.error(JSON.stringify({ event: 'unhandled', error: String(err) }));
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
}
