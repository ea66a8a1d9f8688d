/** Origin registration and heartbeats: HMAC-signed by the origin with the shared secret, each accepted once. */
import { OriginHeartbeat, parseJson, verifyRequest } from '@sealroom/protocol';
import { Hono } from 'hono';
import type { Env } from '../env.ts';
import { d1NonceLedger } from '../origins/nonces.ts';
import { recordHeartbeat } from '../origins/registry.ts';
import { signedInternal } from '../policy/guard.ts';
import { JSON_BODY_LIMIT, readText } from './body.ts';
import { HttpError } from './errors.ts';

export const origins = new Hono<{ Bindings: Env }>().post('/heartbeat', signedInternal(), async (c) => {
  const body = await readText(c.req.raw, JSON_BODY_LIMIT);
  const path = new URL(c.req.url).pathname;
  const auth = await verifyRequest(c.env.SEALROOM_SHARED_SECRET, 'POST', path, body, c.req.raw.headers, d1NonceLedger(c.env.DB));
  if (!auth.ok) throw new HttpError(401, 'forbidden', auth.reason === 'replayed' ? 'this signed request was already used' : 'bad or missing signature');
  const hb = parseJson(OriginHeartbeat, body, JSON_BODY_LIMIT);
  if (!hb.ok) throw new HttpError(400, 'bad_message', hb.message);
  await recordHeartbeat(c.env.DB, hb.value);
  return c.json({ ok: true });
});
