/**
 * SSO email domains need proof of ownership (operator path, as SSO_DOMAIN_PROOF=operator in the
 * test pool): a pending domain routes no sign-in, a wrong challenge is refused, one proof wins a
 * domain, and a pending claim blocks nobody.
 */
import { describe, expect, inject, it, vi } from 'vitest';
import { Agent, auditRows, call, env, newOrg } from './helpers.ts';
import { IDP_ENTITY } from './saml-constants.ts';
import { type ConfigAnswer, approveDomain, challengeToken } from './saml-domain.ts';

vi.setConfig({ testTimeout: 30_000 });

const fx = inject('samlFixtures');
let n = 0;
const freshDomain = (tag: string) => `${tag}-${Date.now().toString(36)}${(n++).toString(36)}.example`;
const json = { accept: 'application/json' };

async function configure(owner: Agent, emailDomain: string, status = 200) {
  const res = await owner.req('PUT', '/api/admin/saml', {
    idpEntityId: IDP_ENTITY,
    idpSsoUrl: 'https://idp.example.test/sso',
    idpCertificate: fx.cert,
    emailDomain,
  });
  const body = (await res.json()) as ConfigAnswer & { error?: { code: string } };
  expect(res.status, JSON.stringify(body)).toBe(status);
  return body;
}

async function login(domain: string) {
  const res = await call(`/api/saml/login?domain=${domain}`, { headers: json });
  return { status: res.status, body: (await res.json()) as { location?: string; error?: { code: string } } };
}

async function errorOf(res: Response) {
  return [res.status, ((await res.json()) as { error: { code: string; message: string } }).error.code] as const;
}

describe('SSO domain proof', () => {
  it('a pending domain routes no sign-in; the admin sees the challenge; the operator’s approval of it turns it on', async () => {
    const { owner, orgId } = await newOrg('Pending Co');
    const domain = freshDomain('pending');
    const cfg = await configure(owner, domain);
    expect(cfg.domain).toMatchObject({ domain, status: 'pending', challenge: { name: `_sealroom-challenge.${domain}`, type: 'TXT' } });
    expect(cfg.domain.challenge.value).toMatch(/^sealroom-domain-verification=[A-Za-z0-9_-]{32}$/);
    expect((await owner.ok('GET', '/api/admin/saml')).domain).toEqual(cfg.domain);

    expect(await login(domain)).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const acs = await call(`/api/saml/${orgId}/acs`, { method: 'POST', body: new URLSearchParams({ SAMLResponse: fx.responses.valid!.samlResponse }) });
    const refused = (await acs.json()) as { error: { code: string; message: string } };
    expect([acs.status, refused.error.code, refused.error.message]).toEqual([
      401,
      'saml_invalid',
      `the email domain ${domain} is not verified for this organization`,
    ]);
    expect((await auditRows(orgId)).some((r) => r.action === 'auth.saml' && /not verified/.test(r.detail))).toBe(true);
    // The admin's own check waits for the operator.
    expect(await owner.fails('POST', '/api/admin/saml/domain/verify', {}, 409)).toBe('domain_unverified');

    // A wrong challenge is refused and changes nothing.
    expect(await errorOf(await approveDomain(orgId, domain, 'A'.repeat(32)))).toEqual([409, 'domain_unverified']);
    expect((await owner.ok('GET', '/api/admin/saml')).domain.status).toBe('pending');
    expect((await login(domain)).status).toBe(404);

    const approved = await approveDomain(orgId, domain, challengeToken(cfg));
    expect(approved.status).toBe(200);
    expect(((await approved.json()) as ConfigAnswer).domain.status).toBe('verified');
    const routed = await login(domain);
    expect(routed.status).toBe(200);
    expect(new URL(routed.body.location!).host).toBe('idp.example.test');
    expect((await owner.ok('POST', '/api/admin/saml/domain/verify', {})).domain.status).toBe('verified');
    // Saving the configuration again keeps the proof.
    expect((await configure(owner, domain)).domain.status).toBe('verified');
  });

  it('a second organization cannot take a verified domain; a pending claim blocks nobody', async () => {
    const domain = freshDomain('contested');
    const squatter = await newOrg('Squatter');
    const owner = await newOrg('Real Owner');
    const squat = await configure(squatter.owner, domain);
    const real = await configure(owner.owner, domain);
    expect(real.domain.status).toBe('pending');
    expect(challengeToken(real)).not.toBe(challengeToken(squat));
    // The squatter's token does not prove the real owner's claim, nor the other way round.
    expect(await errorOf(await approveDomain(owner.orgId, domain, challengeToken(squat)))).toEqual([409, 'domain_unverified']);
    expect((await approveDomain(owner.orgId, domain, challengeToken(real))).status).toBe(200);

    expect(await errorOf(await approveDomain(squatter.orgId, domain, challengeToken(squat)))).toEqual([409, 'conflict']);
    expect((await squatter.owner.ok('GET', '/api/admin/saml')).domain.status).toBe('pending');
    const late = await newOrg('Latecomer');
    expect(
      await late.owner.fails(
        'PUT',
        '/api/admin/saml',
        { idpEntityId: IDP_ENTITY, idpSsoUrl: 'https://idp.example.test/sso', idpCertificate: fx.cert, emailDomain: domain },
        409,
      ),
    ).toBe('conflict');
    // Sign-ins for the domain go to the organization that proved it.
    const { body } = await login(domain);
    const raw = Uint8Array.from(atob(new URL(body.location!).searchParams.get('SAMLRequest')!), (ch) => ch.charCodeAt(0));
    const request = await new Response(new Blob([raw]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).text();
    const id = /ID="([^"]+)"/.exec(request)![1]!;
    expect(await env.DB.prepare('SELECT org_id FROM saml_requests WHERE id = ?').bind(id).first('org_id')).toBe(owner.orgId);
  });

  it('two organizations proving one domain at the same time: exactly one wins', async () => {
    const domain = freshDomain('race');
    const a = await newOrg('Racer A');
    const b = await newOrg('Racer B');
    const [ca, cb] = [await configure(a.owner, domain), await configure(b.owner, domain)];
    const results = await Promise.all([approveDomain(a.orgId, domain, challengeToken(ca)), approveDomain(b.orgId, domain, challengeToken(cb))]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM sso_domains WHERE domain = ? AND verified_at IS NOT NULL').bind(domain).first('n')).toBe(1);
  });

  it('moving to another domain releases the proven one', async () => {
    const first = freshDomain('moved');
    const { owner, orgId } = await newOrg('Mover');
    const cfg = await configure(owner, first);
    expect((await approveDomain(orgId, first, challengeToken(cfg))).status).toBe(200);
    expect((await configure(owner, freshDomain('next'))).domain.status).toBe('pending');
    expect((await login(first)).status).toBe(404);
    const heir = await newOrg('Heir');
    const claimed = await configure(heir.owner, first);
    expect((await approveDomain(heir.orgId, first, challengeToken(claimed))).status).toBe(200);
  });

  it('the operator route needs the internal signature and a well-formed body', async () => {
    const unsigned = await call('/internal/sso-domains/approve', {
      method: 'POST',
      body: JSON.stringify({ orgId: 'x'.repeat(16), domain: 'a.example', token: 'A'.repeat(32) }),
    });
    expect(await errorOf(unsigned)).toEqual([401, 'bad_signature']);
    expect(await errorOf(await approveDomain('short', 'not a domain', 'x'))).toEqual([400, 'bad_message']);
    expect(await errorOf(await approveDomain('noSuchOrg0000001', 'nobody.example', 'A'.repeat(32)))).toEqual([404, 'not_found']);
    const { owner } = await newOrg('No SAML');
    expect(await owner.fails('POST', '/api/admin/saml/domain/verify', {}, 404)).toBe('not_found');
  });
});
