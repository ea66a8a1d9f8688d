/**
 * The one error type of the app's API clients (meetings, accounts, recordings): the HTTP status
 * and the server's `{ error: { code, message } }`. Pages branch on `code` and show their own
 * sentence for it; the server's English `message` is for logs, not for people.
 */
import { z } from 'zod';

export class ApiError<Code extends string = string> extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: Code;
  constructor(status: number, code: Code, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const ErrorBody = z.object({ error: z.object({ code: z.string().max(64), message: z.string().max(500) }) });

/** The error for a failed response's body (already read as JSON); a body of another shape gets a code from the status. */
export function apiErrorOf(status: number, body: unknown): ApiError {
  const parsed = ErrorBody.safeParse(body);
  if (parsed.success) return new ApiError(status, parsed.data.error.code, parsed.data.error.message);
  return new ApiError(status, status === 404 ? 'not_found' : 'internal', `HTTP ${status}`);
}
