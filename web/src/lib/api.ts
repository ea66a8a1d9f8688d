/**
 * The edge's HTTP API. Bodies are parsed with the protocol's schemas; an error body
 * `{ error: { code, message } }` becomes an ApiError carrying the code.
 */
import { z } from 'zod';
import { ErrorCode, MeetingCreated, MeetingPublic, type MeetingInput } from '@sealroom/protocol';

export type { MeetingCreated, MeetingPublic };

const ErrorBody = z.object({ error: z.object({ code: ErrorCode, message: z.string().max(500) }) });

export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string, status: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

async function call<S extends z.ZodType>(schema: S, input: string, init: RequestInit, fetcher: typeof fetch): Promise<z.infer<S>> {
  const res = await fetcher(input, { ...init, headers: { accept: 'application/json', ...init.headers } });
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = ErrorBody.safeParse(body);
    if (err.success) throw new ApiError(err.data.error.code, err.data.error.message, res.status);
    throw new ApiError(res.status === 404 ? 'not_found' : 'internal', `HTTP ${res.status}`, res.status);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiError('bad_message', 'unexpected response from the server', res.status);
  return parsed.data;
}

export function createMeeting(input: MeetingInput = {}, fetcher: typeof fetch = fetch): Promise<MeetingCreated> {
  return call(MeetingCreated, '/api/meetings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) }, fetcher);
}

export function getMeeting(id: string, fetcher: typeof fetch = fetch): Promise<MeetingPublic> {
  return call(MeetingPublic, `/api/meetings/${encodeURIComponent(id)}`, { method: 'GET' }, fetcher);
}
