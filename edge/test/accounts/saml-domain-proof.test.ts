/** The DNS TXT verifier over DNS-over-HTTPS, with the resolver's answers injected (its one fake fetch), and the mode binding. */
import { describe, expect, it } from 'vitest';
import { DnsTxtVerifier, OperatorApprovalVerifier, domainProofMode, domainVerifier } from '../../src/accounts/saml/domain-proof.ts';

const claim = { orgId: 'orgAAAAAAAAAAAA1', domain: 'acme.example', token: 'tok_0123456789abcdefghijklmnopqr', operatorApprovedToken: null };
const expected = `sealroom-domain-verification=${claim.token}`;

function resolver(answer: unknown, status = 200) {
  const seen: Array<{ url: string; accept: string | null }> = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push({ url: String(input), accept: new Headers(init?.headers).get('accept') });
    return new Response(typeof answer === 'string' ? answer : JSON.stringify(answer), { status, headers: { 'content-type': 'application/dns-json' } });
  }) as typeof fetch;
  return { verifier: new DnsTxtVerifier(fetcher), seen };
}
const txt = (...data: string[]) => ({ Status: 0, Answer: data.map((d) => ({ name: `_sealroom-challenge.${claim.domain}.`, type: 16, TTL: 300, data: d })) });

describe('DnsTxtVerifier', () => {
  it('asks Cloudflare DoH for the TXT record at _sealroom-challenge.<domain> and accepts the challenge value', async () => {
    const { verifier, seen } = resolver(txt('"v=spf1 -all"', `"${expected}"`));
    expect(await verifier.check(claim)).toEqual({ ok: true });
    expect(seen).toEqual([{ url: `https://cloudflare-dns.com/dns-query?name=_sealroom-challenge.acme.example&type=TXT`, accept: 'application/dns-json' }]);
  });

  it('joins a value split into several strings', async () => {
    const half = expected.length >> 1;
    expect(await resolver(txt(`"${expected.slice(0, half)}" "${expected.slice(half)}"`)).verifier.check(claim)).toEqual({ ok: true });
  });

  it.each([
    ['another token (challenge mismatch)', txt('"sealroom-domain-verification=someone-elses-token"'), 200, 'does not match the challenge'],
    ['the token as a prefix only', txt(`"${expected}x"`), 200, 'does not match the challenge'],
    ['no such name', { Status: 3 }, 200, 'no TXT record at _sealroom-challenge.acme.example'],
    ['only other records', txt('"google-site-verification=abc"'), 200, 'no TXT record'],
    ['the value in a CNAME, not a TXT', { Status: 0, Answer: [{ type: 5, data: expected }] }, 200, 'no TXT record'],
    ['SERVFAIL', { Status: 2 }, 200, 'DNS lookup failed (rcode 2)'],
    ['an HTTP error', {}, 502, 'DNS lookup failed (HTTP 502)'],
    ['an answer that is not JSON', 'nope', 200, 'DNS lookup failed'],
    ['JSON of the wrong shape', { Answer: 'x' }, 200, 'unexpected answer'],
  ])('refuses %s', async (_what, answer, status, reason) => {
    const got = await resolver(answer, status).verifier.check(claim);
    expect(got.ok).toBe(false);
    expect(!got.ok && got.reason).toContain(reason);
  });

  it('refuses when the resolver cannot be reached', async () => {
    const verifier = new DnsTxtVerifier((async () => {
      throw new TypeError('network down');
    }) as typeof fetch);
    expect(await verifier.check(claim)).toEqual({ ok: false, reason: 'DNS lookup failed' });
  });
});

describe('OperatorApprovalVerifier and the mode binding', () => {
  it('accepts only the approved token of this claim', async () => {
    const v = new OperatorApprovalVerifier();
    expect((await v.check(claim)).ok).toBe(false);
    expect((await v.check({ ...claim, operatorApprovedToken: 'other' })).ok).toBe(false);
    expect(await v.check({ ...claim, operatorApprovedToken: claim.token })).toEqual({ ok: true });
  });

  it('dns unless told otherwise; a misspelt mode is an error, not a silent fallback', () => {
    expect(domainProofMode(undefined)).toBe('dns');
    expect(domainVerifier(undefined).method).toBe('dns');
    expect(domainVerifier('operator').method).toBe('operator');
    expect(() => domainProofMode('operater')).toThrow(/SSO_DOMAIN_PROOF/);
  });
});
