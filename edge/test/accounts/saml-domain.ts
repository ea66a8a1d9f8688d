/** SSO domain proof in the workerd tests: the operator path (SSO_DOMAIN_PROOF=operator in vitest.config.ts). */
import { signRequest } from '@sealroom/protocol';
import { call, env } from './helpers.ts';

const APPROVE = '/internal/sso-domains/approve';

/** An operator's signed approval of one organization's domain challenge. */
export async function approveDomain(orgId: string, domain: string, token: string): Promise<Response> {
  const body = JSON.stringify({ orgId, domain, token });
  return call(APPROVE, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...(await signRequest(env.SEALROOM_SHARED_SECRET, 'POST', APPROVE, body)) },
  });
}

interface ConfigAnswer {
  domain: { domain: string; status: 'pending' | 'verified'; challenge: { name: string; type: 'TXT'; value: string } };
}

/** The token in the challenge the admin is shown. */
export const challengeToken = (answer: ConfigAnswer) => answer.domain.challenge.value.replace('sealroom-domain-verification=', '');
export type { ConfigAnswer };
