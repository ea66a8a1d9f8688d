/**
 * Errors of the accounts API. They reuse the one HttpError type (so the app's single error
 * handler answers them as `{ error: { code, message } }`), with codes from AccountErrorCode.
 * The cast is the only place the two code enums meet: errorResponse serializes the code as is.
 */
import type { AccountErrorCode, ErrorCode } from '@sealroom/protocol';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HttpError } from '../http/errors.ts';

export class AccountError extends HttpError {
  constructor(status: ContentfulStatusCode, code: AccountErrorCode, message: string) {
    super(status, code as unknown as ErrorCode, message);
  }
}

export function fail(status: ContentfulStatusCode, code: AccountErrorCode, message: string): never {
  throw new AccountError(status, code, message);
}
