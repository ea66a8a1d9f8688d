/**
 * Request bodies, bounded while they are read: a declared `content-length` over the limit is
 * refused before a byte is read, and an undeclared (chunked) body is counted as it streams and
 * cancelled at the limit, so no route ever holds more than its limit in memory. 413 `too_large`.
 */
import { parseJson } from '@sealroom/protocol';
import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { HttpError } from './errors.ts';

/** JSON bodies of the API: the largest (a SAML certificate, a meeting with alternative hosts) is a few KiB. */
export const JSON_BODY_LIMIT = 16_384;

/** Any request: the Worker's own, a clone, or one built in a test. */
type Body = Pick<Request, 'headers' | 'body'>;

const tooLarge = (maxBytes: number) => new HttpError(413, 'too_large', `request body larger than ${maxBytes} bytes`);

/**
 * The body's bytes, at most `maxBytes` of them.
 * @throws HttpError 413 too_large over the limit; 400 bad_message for a malformed content-length
 */
export async function readBytes(req: Body, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = req.headers.get('content-length');
  if (declared !== null) {
    if (!/^[0-9]{1,16}$/.test(declared.trim())) throw new HttpError(400, 'bad_message', 'content-length: expected a byte count');
    if (Number(declared) > maxBytes) {
      await req.body?.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // A lying content-length or a chunked body: stop reading and let the sender's stream fail.
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const ch of chunks) {
    out.set(ch, at);
    at += ch.byteLength;
  }
  return out;
}

/** The body as text (UTF-8, like `Request.text()`), at most `maxBytes` bytes of it. */
export async function readText(req: Body, maxBytes: number): Promise<string> {
  return new TextDecoder().decode(await readBytes(req, maxBytes));
}

/**
 * The route's JSON body validator: bounded while read, parsed once through the protocol schema, a
 * clear 400 otherwise; an empty body is `{}`. The handler reads it with `c.req.valid('json')`, and
 * the schema's input type flows to typed clients as with Hono's own `validator('json')`. That one
 * is not used because it reads only bodies labelled application/json and validates `{}` for any
 * other, where this API has always parsed whatever body was sent (a plain `fetch` with a string
 * body is text/plain), and because its reader has no byte limit.
 */
export function jsonBody<S extends z.ZodType>(
  schema: S,
  maxBytes = JSON_BODY_LIMIT,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as Hono's own validator: the middleware fits any app's Env
): MiddlewareHandler<any, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> {
  return async function validateJsonBody(c, next) {
    const text = await readText(c.req.raw, maxBytes);
    // The byte limit is already enforced; parseJson's own limit counts characters, which are never more.
    const parsed = parseJson(schema, text.length === 0 ? '{}' : text, maxBytes);
    if (!parsed.ok) throw new HttpError(400, 'bad_message', parsed.message);
    c.req.addValidatedData('json', parsed.value as object);
    await next();
  };
}

/**
 * The route's query validator: the query string (first value of each name) through a schema, a
 * clear 400 naming the first bad field otherwise; the handler reads it with `c.req.valid('query')`.
 */
export function queryOf<S extends z.ZodType>(
  schema: S,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as Hono's own validator: the middleware fits any app's Env
): MiddlewareHandler<any, string, { in: { query: Record<string, string> }; out: { query: z.output<S> } }> {
  return async function validateQuery(c, next) {
    const r = schema.safeParse(c.req.query());
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new HttpError(400, 'bad_message', `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    c.req.addValidatedData('query', r.data as object);
    await next();
  };
}
