/** Domain errors of the origin: each carries the protocol ErrorCode the client receives. */
import type { ErrorCode } from '@sealroom/protocol';

export class OriginError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'OriginError';
    this.code = code;
  }
}

/** HTTP status for an error code on the control/tap endpoints. */
export function httpStatus(code: ErrorCode): number {
  switch (code) {
    case 'bad_message':
    case 'unknown_type':
      return 400;
    case 'bad_ticket':
      return 401;
    case 'forbidden':
      return 403;
    case 'not_found':
    case 'meeting_not_found':
      return 404;
    case 'no_origin':
      return 503;
    default:
      return 500;
  }
}
