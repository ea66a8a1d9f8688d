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

/**
 * Runs a mediasoup call whose failure means the client sent parameters the SFU refuses
 * (bad RTP parameters, wrong DTLS fingerprint algorithm…): the client gets bad_message with
 * mediasoup's sentence, which names fields, never media.
 */
export async function sfu<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof OriginError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new OriginError('bad_message', `refused by the SFU: ${msg}`.slice(0, 300));
  }
}
