/**
 * Parsing at trust boundaries: raw text in, a typed message or an error code out.
 * Never throws, so a hostile frame cannot crash whoever receives it.
 */
import type { z } from 'zod';
import type { ErrorCode } from './common.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string };

export function parseJson<S extends z.ZodType>(schema: S, raw: unknown, maxBytes: number): Parsed<z.infer<S>> {
  if (typeof raw !== 'string') return { ok: false, code: 'bad_message', message: 'expected a text frame' };
  if (raw.length > maxBytes) return { ok: false, code: 'bad_message', message: `frame larger than ${maxBytes} bytes` };
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'bad_message', message: 'not JSON' };
  }
  return parseValue(schema, data);
}

export function parseValue<S extends z.ZodType>(schema: S, data: unknown): Parsed<z.infer<S>> {
  const r = schema.safeParse(data);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  const unknownType = issue?.code === 'invalid_union' && (issue.path.length === 0 || issue.path[0] === 'type' || issue.path[0] === 'method');
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return { ok: false, code: unknownType ? 'unknown_type' : 'bad_message', message: `${where}${issue?.message ?? 'invalid'}`.slice(0, 300) };
}
