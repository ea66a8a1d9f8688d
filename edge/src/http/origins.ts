/** Origin registration and heartbeats: HMAC-signed by the origin with the shared secret. */
import { OriginHeartbeat, parseJson, verifyRequest } from '@sealroom/protocol';
import { Hono } from 'hono';
import type { Env } from '../env.ts';
import { recordHeartbeat } from '../origins/registry.ts';
import { HttpError } from './errors.ts';

export const origins = new Hono<{ Bindings: Env }>().post('/heartbeat', async (c) => {
  const body = await c.req.text();
  const path = new URL(c.req.url).pathname;
  if (!(await verifyRequest(c.env.SEALROOM_SHARED_SECRET, 'POST', path, body, c.req.raw.headers))) {
    throw new HttpError(401, 'forbidden', 'bad or missing signature');
  }
  const hb = parseJson(OriginHeartbeat, body, 16_384);
  if (!hb.ok) throw new HttpError(400, 'bad_message', hb.message);
  await recordHeartbeat(c.env.DB, hb.value);
  return c.json({ ok: true });
});
