/**
 * POST /internal/sso-domains/approve: an operator approves an organization's domain challenge,
 * the proof used where DNS is not (SSO_DOMAIN_PROOF=operator: local stacks and tests). Signed
 * with the edge's internal secret (protocol internal-auth), like /internal/origins/heartbeat,
 * and refused outright in `dns` mode, so production domains are proven by DNS only.
 */
import { SsoDomainApproval, parseJson, verifyRequest } from '@sealroom/protocol';
import { Hono } from 'hono';
import { appendAudit } from '../../audit.ts';
import { JSON_BODY_LIMIT, readText } from '../../http/body.ts';
import { d1NonceLedger } from '../../origins/nonces.ts';
import type { AppEnv } from '../context.ts';
import { fail } from '../../http/errors.ts';
import { signedInternal } from '../../policy/guard.ts';
import { OperatorApprovalVerifier, domainProofMode } from './domain-proof.ts';
import { claimView, getClaim, proveClaim, recordOperatorApproval } from './domains.ts';

export const ssoDomainInternalRoutes = new Hono<AppEnv>().post('/approve', signedInternal(), async (c) => {
  const body = await readText(c.req.raw, JSON_BODY_LIMIT);
  const auth = await verifyRequest(c.env.SEALROOM_SHARED_SECRET, 'POST', new URL(c.req.url).pathname, body, c.req.raw.headers, d1NonceLedger(c.env.DB));
  if (!auth.ok)
    fail(
      401,
      auth.reason === 'replayed' ? 'replayed' : 'bad_signature',
      auth.reason === 'replayed' ? 'this signed request was already used' : 'internal signature required',
    );
  if (domainProofMode(c.env.SSO_DOMAIN_PROOF) !== 'operator') fail(404, 'not_found', 'operator approval is off: domains are proven by DNS');
  const input = parseJson(SsoDomainApproval, body, 4096);
  if (!input.ok) fail(400, 'bad_message', input.message);
  const { orgId, domain, token } = input.value;
  if (!(await getClaim(c.env.DB, orgId, domain))) fail(404, 'not_found', 'no claim of this domain by this organization');
  if (!(await recordOperatorApproval(c.env.DB, orgId, domain, token))) fail(409, 'domain_unverified', 'the token does not match the challenge');
  const verifier = new OperatorApprovalVerifier();
  const outcome = await proveClaim(c.env.DB, (await getClaim(c.env.DB, orgId, domain))!, verifier);
  await appendAudit(c.env.DB, {
    meetingId: null,
    orgId,
    actor: 'operator',
    role: null,
    action: 'saml.domain_verify',
    target: orgId,
    result: outcome.state === 'verified' ? 'ok' : outcome.state,
    ip: null,
    detail: `@${domain}`,
  });
  if (outcome.state === 'taken') fail(409, 'conflict', 'this email domain is verified by another organization');
  if (outcome.state === 'pending') fail(409, 'domain_unverified', outcome.reason);
  return c.json({ domain: claimView((await getClaim(c.env.DB, orgId, domain))!, verifier.method) });
});
