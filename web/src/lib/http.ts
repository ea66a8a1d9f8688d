/**
 * The app's one typed fetch helper, under all three API clients (meetings, accounts,
 * recordings): an answer is read once, an error body becomes an ApiError (api-error.ts) with the
 * server's code, and a success is parsed with the protocol schema the caller names, so no client
 * trusts an answer's shape.
 */
import { z } from 'zod';
import { ApiError, apiErrorOf } from './api-error.ts';

/** The answer of a route that answers 204: no body at all. */
export const NoContent = z.null();

/** A failed answer as its ApiError; a proxy's HTML page still gets a code from the status. */
export async function errorOf(res: Response): Promise<ApiError> {
  return apiErrorOf(res.status, await res.json().catch(() => null));
}

/** The answer itself when it succeeded (for streamed bodies); its ApiError otherwise. */
export async function ensureOk(res: Response): Promise<Response> {
  if (res.ok) return res;
  throw await errorOf(res);
}

/**
 * A success parsed with `schema` (an empty body is `null`).
 * @throws ApiError with the server's code for a failure; `bad_message` for a success of another shape
 */
export async function parseAnswer<S extends z.ZodType>(res: Response, schema: S): Promise<z.output<S>> {
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: a failure keeps its status below; a success fails the schema.
  }
  if (!res.ok) throw apiErrorOf(res.status, data);
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new ApiError(res.status, 'bad_message', 'unexpected response from the server');
  return parsed.data;
}

export interface JsonRequest {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as the JSON body, with its content-type. */
  json?: unknown;
  credentials?: RequestCredentials;
}

/** Calls `url` asking for JSON and parses the answer with `schema` (see parseAnswer). */
export async function callJson<S extends z.ZodType>(fetcher: typeof fetch, schema: S, url: string, req: JsonRequest = {}): Promise<z.output<S>> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(req.json === undefined ? {} : { 'content-type': 'application/json' }),
    ...req.headers,
  };
  const init: RequestInit = { method: req.method ?? 'GET', headers };
  if (req.json !== undefined) init.body = JSON.stringify(req.json);
  if (req.credentials) init.credentials = req.credentials;
  return parseAnswer(await fetcher(url, init), schema);
}
