import { describe, expect, inject, it, beforeAll, vi } from 'vitest';
import { hashAccountPassword } from '../../src/accounts/password-cost.ts';
import { createUser } from '../../src/accounts/store.ts';
import { DEFAULT_SECURITY_POLICY } from '@sealroom/protocol';
import { Agent, GOOD_PASSWORD, auditRows, call, env, uniqueEmail } from './helpers.ts';
import { DOMAIN, IDP_ENTITY, SAML_ORG } from './saml-constants.ts';
import { type ConfigAnswer, approveDomain, challengeToken } from './saml-domain.ts';

// Every sign-in runs scrypt and several D1 round trips; under a full parallel run that needs more than 5 s.
vi.setConfig({ testTimeout: 30_000 });

const fx = inject('samlFixtures');
const owner = new Agent();

async function post(name: string) {
  const f = fx.responses[name]!;
  if (f.requestId)
    await env.DB.prepare('INSERT OR REPLACE INTO saml_requests (id, org_id, expires_at) VALUES (?, ?, ?)')
      .bind(f.requestId, SAML_ORG, Date.now() + 600_000)
      .run();
  const body = new URLSearchParams({ SAMLResponse: f.samlResponse, RelayState: 'r' });
  // The IdP's page posts cross-site: that is the one route where it is allowed.
  return call(`/api/saml/${SAML_ORG}/acs`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://idp.example.test' },
  });
}

async function refusal(name: string) {
  const res = await post(name);
  const data = (await res.json()) as { error: { code: string; message: string } };
  return [res.status, data.error.code, data.error.message] as const;
}

beforeAll(async () => {
  await env.DB.prepare('INSERT OR IGNORE INTO orgs (id, name, tier, policy_json, created_at) VALUES (?, ?, ?, ?, ?)')
    .bind(SAML_ORG, 'SSO Corp', 300, JSON.stringify(DEFAULT_SECURITY_POLICY), Date.now())
    .run();
  const email = uniqueEmail('ssoowner');
  await createUser(env.DB, { orgId: SAML_ORG, email, name: 'SSO Owner', role: 'owner', passwordHash: await hashAccountPassword(GOOD_PASSWORD, 10) });
  await owner.ok('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD });
  const cfg = await owner.ok<ConfigAnswer>('PUT', '/api/admin/saml', {
    idpEntityId: IDP_ENTITY,
    idpSsoUrl: 'https://idp.example.test/sso',
    idpCertificate: fx.cert,
    emailDomain: DOMAIN,
  });
  expect((await approveDomain(SAML_ORG, DOMAIN, challengeToken(cfg))).status).toBe(200);
});

describe('SAML SP against samlify as IdP', () => {
  it('serves SP metadata with our entity id and ACS', async () => {
    const res = await call(`/api/saml/${SAML_ORG}/metadata`);
    expect(res.headers.get('content-type')).toContain('samlmetadata+xml');
    const xml = await res.text();
    expect(xml).toContain(`entityID="http://sealroom.test/api/saml/${SAML_ORG}/metadata"`);
    expect(xml).toContain(`Location="http://sealroom.test/api/saml/${SAML_ORG}/acs"`);
    expect(xml).toContain('WantAssertionsSigned="true"');
  });

  it('SP-initiated login redirects to the IdP with a deflated AuthnRequest it remembers', async () => {
    const res = await call(`/api/saml/login?email=${encodeURIComponent(`carol@${DOMAIN}`)}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.get('location')!);
    expect(loc.origin + loc.pathname).toBe('https://idp.example.test/sso');
    const raw = Uint8Array.from(atob(loc.searchParams.get('SAMLRequest')!), (c) => c.charCodeAt(0));
    const xml = await new Response(new Blob([raw]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).text();
    const id = /ID="([^"]+)"/.exec(xml)![1]!;
    expect(xml).toContain(`AssertionConsumerServiceURL="http://sealroom.test/api/saml/${SAML_ORG}/acs"`);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM saml_requests WHERE id = ?').bind(id).first('n')).toBe(1);
    expect((await call('/api/saml/login?email=x@unknown.example', { redirect: 'manual' })).status).toBe(404);
  });

  it('the sign-in form names the organization by domain and gets the IdP location as JSON', async () => {
    const json = { accept: 'application/json' };
    const res = await call(`/api/saml/login?domain=${encodeURIComponent(` ${DOMAIN.toUpperCase()} `)}`, { headers: json, redirect: 'manual' });
    expect(res.status).toBe(200);
    const loc = new URL(((await res.json()) as { location: string }).location);
    expect(loc.origin + loc.pathname).toBe('https://idp.example.test/sso');
    const raw = Uint8Array.from(atob(loc.searchParams.get('SAMLRequest')!), (ch) => ch.charCodeAt(0));
    const xml = await new Response(new Blob([raw]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).text();
    const id = /ID="([^"]+)"/.exec(xml)![1]!;
    expect(await env.DB.prepare('SELECT org_id FROM saml_requests WHERE id = ?').bind(id).first('org_id')).toBe(SAML_ORG);
    const unknown = await call('/api/saml/login?domain=unknown.example', { headers: json });
    expect([unknown.status, ((await unknown.json()) as { error: { code: string } }).error.code]).toEqual([404, 'not_found']);
    // Bad input: neither, both, a non-domain, an extra parameter. Each is refused and stores no request.
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM saml_requests').first('n');
    for (const q of ['', `?email=a@${DOMAIN}&domain=${DOMAIN}`, '?domain=not_a_domain', `?domain=${DOMAIN}&next=https://evil.example`, '?email=nope']) {
      const r = await call(`/api/saml/login${q}`, { headers: json, redirect: 'manual' });
      expect([q, r.status, ((await r.json()) as { error: { code: string } }).error.code]).toEqual([q, 400, 'bad_message']);
    }
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM saml_requests').first('n')).toBe(before);
  });

  it('refuses an IdP SSO URL the browser should never be sent to', async () => {
    const cfg = { idpEntityId: IDP_ENTITY, idpCertificate: fx.cert, emailDomain: DOMAIN };
    for (const idpSsoUrl of ['javascript:alert(1)//https://idp', 'data:text/html,<script>1</script>', 'ftp://idp.example.test/sso']) {
      expect(await owner.fails('PUT', '/api/admin/saml', { ...cfg, idpSsoUrl }, 400), idpSsoUrl).toBe('bad_message');
    }
    expect(((await owner.ok('GET', '/api/admin/saml')) as { idpSsoUrl: string }).idpSsoUrl).toBe('https://idp.example.test/sso');
  });

  it('accepts a signed assertion, creates the user just in time, and starts a session', async () => {
    const res = await post('valid');
    expect(res.status).toBe(200);
    const cookie = /__Host-sealroom_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
    const a = new Agent();
    a.cookie = `__Host-sealroom_session=${cookie}`;
    const me = await a.ok('GET', '/api/account');
    expect(me.user).toMatchObject({ email: `alice@${DOMAIN}`, role: 'member', sso: true });
    expect(me.org.id).toBe(SAML_ORG);
    expect((await auditRows(SAML_ORG)).some((r) => r.action === 'user.jit_create')).toBe(true);
  });

  it('refuses the same response again (replayed assertion id and consumed request)', async () => {
    const [status, code] = await refusal('valid');
    expect([status, code]).toEqual([401, 'saml_replayed']);
    // Even with the request reopened, the assertion id itself is refused.
    await env.DB.prepare('INSERT OR REPLACE INTO saml_requests (id, org_id, expires_at) VALUES (?, ?, ?)')
      .bind('_req_valid', SAML_ORG, Date.now() + 600_000)
      .run();
    const body = new URLSearchParams({ SAMLResponse: fx.responses.valid!.samlResponse });
    const again = await call(`/api/saml/${SAML_ORG}/acs`, { method: 'POST', body });
    expect(((await again.json()) as any).error).toMatchObject({ code: 'saml_replayed', message: 'assertion already used' });
  });

  it.each([
    ['forged', /digest mismatch/],
    ['mfaInSignature', /ds:Signature/],
    ['inResponseToSwap', /InResponseTo only on the unsigned Response/],
    ['expired', /expired/],
    ['wrongAudience', /audience/],
    ['wrongRecipient', /recipient/],
    ['foreignKey', /signature: invalid/],
    ['unsolicited', /unsolicited/],
    ['otherDomain', /domain/],
  ])('refuses a %s response', async (name, why) => {
    const [status, code, message] = await refusal(name);
    expect([status, code]).toEqual([401, 'saml_invalid']);
    expect(message).toMatch(why);
  });

  it('refuses a wrapped assertion (a second, unsigned assertion) and non-XML', async () => {
    const xml = atob(fx.responses.validMfa!.samlResponse);
    const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
    const evil = assertion
      .replace(/ID="[^"]+"/, 'ID="_evil"')
      .replace(/bob@/, 'mallory@')
      .replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '');
    const wrapped = xml.replace('</samlp:Response>', `${evil}</samlp:Response>`);
    const body = new URLSearchParams({ SAMLResponse: btoa(wrapped) });
    const res = await call(`/api/saml/${SAML_ORG}/acs`, { method: 'POST', body });
    expect(((await res.json()) as any).error.code).toBe('saml_invalid');
    const junk = await call(`/api/saml/${SAML_ORG}/acs`, { method: 'POST', body: new URLSearchParams({ SAMLResponse: btoa('<notxml') }) });
    expect(((await junk.json()) as any).error.code).toBe('saml_invalid');
    const missing = await call(`/api/saml/${SAML_ORG}/acs`, { method: 'POST', body: new URLSearchParams({}) });
    expect(((await missing.json()) as any).error.code).toBe('bad_message');
  });

  it('refuses a signed NameID split by a comment, and reads the whole signed name without it', async () => {
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM saml_assertions').first('n');
    const [status, code, message] = await refusal('commentInNameId');
    expect([status, code]).toEqual([401, 'saml_invalid']);
    expect(message).toMatch(/comments are not accepted/);
    // Refused before anything is recorded: the request stays open and no assertion id is spent.
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM saml_requests WHERE id = ?').bind('_req_comment').first('n')).toBe(1);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM saml_assertions').first('n')).toBe(before);
    // The same signature without the comment is genuine, and names the foreign address it was made for.
    const [, foreignCode, foreignMessage] = await refusal('commentSplitForeign');
    expect([foreignCode, foreignMessage]).toEqual(['saml_invalid', 'NameID is not an email of the configured domain']);
  });

  it('carries the IdP’s MFA context into the session', async () => {
    const res = await post('validMfa');
    expect(res.status).toBe(200);
    const cookie = /__Host-sealroom_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
    const a = new Agent();
    a.cookie = `__Host-sealroom_session=${cookie}`;
    expect((await a.ok('GET', '/api/account')).mfa).toBe(true);
  });

  it('accepts responses from a second IdP library (auth0 `saml`), with and without MFA', async () => {
    for (const [name, mfa] of [
      ['auth0', false],
      ['auth0Mfa', true],
    ] as const) {
      const res = await post(name);
      expect(res.status, name).toBe(200);
      const a = new Agent();
      a.cookie = `__Host-sealroom_session=${/__Host-sealroom_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!}`;
      const me = await a.ok('GET', '/api/account');
      expect([me.user.email, me.mfa]).toEqual([`${name === 'auth0' ? 'dora' : 'erin'}@${DOMAIN}`, mfa]);
    }
  });
});
