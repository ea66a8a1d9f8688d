/**
 * Errors of the recordings API: the app's one HttpError type (answered as `{ error: { code,
 * message } }` by its single handler) with codes from RecordingErrorCode. The cast is where the
 * two code enums meet, as in accounts/errors.ts: errorResponse serializes the code as is.
 */
import type { ErrorCode, RecordingErrorCode } from '@sealroom/protocol';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HttpError } from '../http/errors.ts';

export class RecordingError extends HttpError {
  constructor(status: ContentfulStatusCode, code: RecordingErrorCode, message: string) {
    super(status, code as unknown as ErrorCode, message);
  }
}

export function fail(status: ContentfulStatusCode, code: RecordingErrorCode, message: string): never {
  throw new RecordingError(status, code, message);
}
