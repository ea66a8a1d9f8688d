/** Reads a JSON body through a schema: bounded, parsed once, a clear 400 otherwise. */
import { parseJson } from '@sealroom/protocol';
import type { z } from 'zod';
import { HttpError } from './errors.ts';

export async function readBody<S extends z.ZodType>(req: Request, schema: S, maxBytes = 16_384): Promise<z.infer<S>> {
  const text = await req.text();
  const parsed = parseJson(schema, text.length === 0 ? '{}' : text, maxBytes);
  if (!parsed.ok) throw new HttpError(400, 'bad_message', parsed.message);
  return parsed.value;
}
