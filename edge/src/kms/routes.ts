/**
 * POST /internal/kms/rotate: rewrap every data key under the current master key. An operator
 * action, not an organization's: signed with the edge's internal secret (protocol
 * internal-auth), like the origin routes. Run it after moving the old key to
 * SEALROOM_MASTER_KEY_PREVIOUS; once it reports `failed: 0` the old key can be retired.
 */
import { verifyRequest } from '@sealroom/protocol';
import { Hono } from 'hono';
import type { AppEnv } from '../accounts/context.ts';
import { kmsOf } from '../accounts/context.ts';
import { fail } from '../http/errors.ts';
import { d1NonceLedger } from '../origins/nonces.ts';
import { signedInternal } from '../policy/guard.ts';
import { appendAudit } from '../audit.ts';
import { JSON_BODY_LIMIT, readText } from '../http/body.ts';
import { rewrapAll } from './envelope.ts';

export const kmsRoutes = new Hono<AppEnv>().post('/rotate', signedInternal(), async (c) => {
  const body = await readText(c.req.raw, JSON_BODY_LIMIT);
  const auth = await verifyRequest(c.env.SEALROOM_SHARED_SECRET, 'POST', new URL(c.req.url).pathname, body, c.req.raw.headers, d1NonceLedger(c.env.DB));
  if (!auth.ok)
    fail(
      401,
      auth.reason === 'replayed' ? 'replayed' : 'bad_signature',
      auth.reason === 'replayed' ? 'this signed request was already used' : 'internal signature required',
    );
  const kms = await kmsOf(c.env);
  const result = await rewrapAll(c.env.DB, kms);
  await appendAudit(c.env.DB, {
    meetingId: null,
    orgId: null,
    actor: 'operator',
    role: null,
    action: 'kms.rotate',
    target: kms.currentKeyId,
    result: result.failed ? 'partial' : 'ok',
    ip: null,
    detail: JSON.stringify(result),
  });
  return c.json({ currentKeyId: kms.currentKeyId, ...result });
});
