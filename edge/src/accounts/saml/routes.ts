/**
 * SAML 2.0 SSO routes: SP metadata, SP-initiated login, the assertion consumer (ACS) with
 * just-in-time user creation, and the owner's IdP configuration and email-domain proof (mounted
 * under /api/admin). A configuration routes sign-ins only once its email domain is verified
 * (domain-proof.ts): until then login and ACS answer as if SSO were not set up for it.
 */
import { Email, SamlConfigInput, SamlLoginQuery, type SamlLoginRedirect } from '@sealroom/protocol';
import { fromBase64 } from '@sealroom/crypto/bytes';
import { Hono } from 'hono';
import { publicRoute, requires } from '../../policy/guard.ts';
import { z } from 'zod';
import { jsonBody, readBytes } from '../../http/body.ts';
import { openField, sealField, shredField } from '../../kms/envelope.ts';
import { type AppEnv, type Ctx, auditRequest, caller, kmsOf } from '../context.ts';
import { fail } from '../../http/errors.ts';
import { rotateSession } from '../session-info.ts';
import { createUser, getOrg, getUserByEmail } from '../store.ts';
import { authnRequestRedirect, spMetadata, spUrls } from './sp.ts';
import { domainVerifier } from './domain-proof.ts';
import { claimDomain, claimView, getClaim, proveClaim, verifiedOwner } from './domains.ts';
import { SamlError, verifySamlResponse } from './verify.ts';

interface ConfigRow {
  org_id: string;
  idp_entity_id: string;
  idp_sso_url: string;
  idp_cert_sealed: string;
  email_domain: string;
  default_role: 'admin' | 'member';
}

const origin = (c: Ctx) => c.env.PUBLIC_ORIGIN ?? new URL(c.req.url).origin;
const OrgParam = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);
const REQUEST_TTL_MS = 10 * 60_000;

async function configFor(db: D1Database, orgId: string): Promise<ConfigRow | null> {
  return db.prepare('SELECT * FROM saml_configs WHERE org_id = ?').bind(orgId).first<ConfigRow>();
}

function orgParam(c: Ctx): string {
  const r = OrgParam.safeParse(c.req.param('org'));
  if (!r.success) fail(404, 'not_found', 'no such organization');
  return r.data;
}

export const samlRoutes = new Hono<AppEnv>()
  .get('/:org/metadata', publicRoute(), async (c) => {
    const orgId = orgParam(c);
    if (!(await configFor(c.env.DB, orgId))) fail(404, 'not_found', 'SSO is not configured for this organization');
    return c.body(spMetadata(spUrls(origin(c), orgId)), 200, { 'content-type': 'application/samlmetadata+xml' });
  })
  .get('/login', publicRoute(), async (c) => {
    const parsed = SamlLoginQuery.safeParse(c.req.query());
    if (!parsed.success) fail(400, 'bad_message', 'expected email=<work email> or domain=<email domain>');
    const domain = 'email' in parsed.data ? parsed.data.email.split('@')[1]! : parsed.data.domain;
    // Only a configuration whose domain this organization has proven routes the domain's sign-ins.
    const cfg = await c.env.DB.prepare(
      `SELECT c.* FROM saml_configs c JOIN sso_domains d ON d.org_id = c.org_id AND d.domain = c.email_domain
       WHERE c.email_domain = ? AND d.verified_at IS NOT NULL`,
    )
      .bind(domain)
      .first<ConfigRow>();
    if (!cfg) fail(404, 'not_found', 'no single sign-on for this email domain');
    const now = Date.now();
    const relay = randomRelay();
    const { id, url } = await authnRequestRedirect(spUrls(origin(c), cfg.org_id), cfg.idp_sso_url, relay, now);
    await c.env.DB.batch([
      c.env.DB.prepare('DELETE FROM saml_requests WHERE expires_at < ?').bind(now),
      c.env.DB.prepare('INSERT INTO saml_requests (id, org_id, expires_at) VALUES (?, ?, ?)').bind(id, cfg.org_id, now + REQUEST_TTL_MS),
    ]);
    // The sign-in page asks for JSON, so that "no SSO for this domain" can be shown in the form.
    if (c.req.header('accept')?.includes('application/json')) return c.json({ location: url } satisfies SamlLoginRedirect);
    return c.redirect(url, 302);
  })
  .post('/:org/acs', publicRoute({ crossSite: 'allow' }), async (c) => {
    const orgId = orgParam(c);
    const cfg = await configFor(c.env.DB, orgId);
    const org = cfg ? await getOrg(c.env.DB, orgId) : null;
    if (!cfg || !org) fail(404, 'not_found', 'SSO is not configured for this organization');
    // Read bounded first: SAMLResponse may be 200 000 base64 characters, up to three bytes each once form-encoded.
    const bytes = await readBytes(c.req.raw, 640 * 1024);
    const form = await new Request(c.req.url, { method: 'POST', headers: { 'content-type': c.req.header('content-type') ?? '' }, body: bytes })
      .formData()
      .catch(() => null);
    const raw = form?.get('SAMLResponse');
    if (typeof raw !== 'string' || raw.length > 200_000 || !/^[A-Za-z0-9+/=\s]+$/.test(raw))
      fail(400, 'bad_message', 'SAMLResponse: expected base64 form field');
    const refuse = async (code: 'saml_invalid' | 'saml_replayed', why: string): Promise<never> => {
      await auditRequest(c, { action: 'auth.saml', result: code, orgId, actor: null, role: null, detail: why });
      fail(401, code, why);
    };
    const claim = await getClaim(c.env.DB, orgId, cfg.email_domain);
    if (claim?.verifiedAt == null) return refuse('saml_invalid', `the email domain ${cfg.email_domain} is not verified for this organization`);
    const kms = await kmsOf(c.env);
    const sp = spUrls(origin(c), orgId);
    const now = Date.now();
    let verified;
    try {
      const xml = new TextDecoder().decode(fromBase64(raw.replace(/\s+/g, '')));
      verified = await verifySamlResponse(xml, {
        idpEntityId: cfg.idp_entity_id,
        idpCertificate: await openField(c.env.DB, kms, { orgId: cfg.org_id }, 'saml-cert', cfg.idp_cert_sealed),
        spEntityId: sp.entityId,
        acsUrl: sp.acsUrl,
        now,
      });
    } catch (err) {
      if (err instanceof SamlError) return refuse('saml_invalid', err.message);
      if (err instanceof DOMException || err instanceof TypeError) return refuse('saml_invalid', 'SAMLResponse is not base64 XML');
      throw err;
    }
    // SP-initiated only: the response must answer a request we sent to this org's IdP, once.
    if (!verified.inResponseTo) return refuse('saml_invalid', 'unsolicited response (no InResponseTo)');
    const consumed = await c.env.DB.prepare('DELETE FROM saml_requests WHERE id = ? AND org_id = ? AND expires_at >= ?')
      .bind(verified.inResponseTo, orgId, now)
      .run();
    if (consumed.meta.changes !== 1) return refuse('saml_replayed', 'InResponseTo does not match an open request');
    await c.env.DB.prepare('DELETE FROM saml_assertions WHERE expires_at < ?').bind(now).run();
    const fresh = await c.env.DB.prepare('INSERT INTO saml_assertions (id, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING')
      .bind(verified.assertionId, verified.expiresAt)
      .run();
    if (fresh.meta.changes !== 1) return refuse('saml_replayed', 'assertion already used');

    const email = Email.safeParse(verified.nameId);
    if (!email.success || email.data.split('@')[1] !== cfg.email_domain) return refuse('saml_invalid', 'NameID is not an email of the configured domain');
    let user = await getUserByEmail(c.env.DB, email.data);
    if (user && user.orgId !== orgId) return refuse('saml_invalid', 'this email belongs to another organization');
    if (!user) {
      const name = verified.attributes.displayName?.[0] ?? verified.attributes.name?.[0] ?? email.data.split('@')[0]!;
      user = await createUser(c.env.DB, {
        orgId,
        email: email.data,
        name: name.slice(0, 100),
        role: cfg.default_role,
        passwordHash: null,
        samlNameId: verified.nameId,
      });
      if (!user) fail(409, 'conflict', 'could not create the user');
      await auditRequest(c, { action: 'user.jit_create', result: 'ok', orgId, actor: user.id, role: user.role, target: user.id, detail: 'saml' });
    }
    if (user.disabled) fail(403, 'account_disabled', 'this account is disabled');
    await rotateSession(c, user, org, { mfa: verified.mfa, pendingMfa: false });
    await auditRequest(c, { action: 'auth.signin', result: 'ok', orgId, actor: user.id, role: user.role, detail: `saml${verified.mfa ? ' mfa' : ''}` });
    // A same-origin page makes the next navigation same-site, so the SameSite=Strict cookie is sent with it.
    return c.html(
      '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/admin"><title>Signed in</title><a href="/admin">Continue</a>',
    );
  });

function randomRelay(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The owner's IdP settings: GET/PUT /api/admin/saml. */
export const samlAdminRoutes = new Hono<AppEnv>()
  .get('/saml', requires('org:manage'), async (c) => {
    const p = caller(c);
    const cfg = await configFor(c.env.DB, p.org.id);
    const sp = spUrls(origin(c), p.org.id);
    const claim = cfg ? await getClaim(c.env.DB, p.org.id, cfg.email_domain) : null;
    const domain = claim ? claimView(claim, domainVerifier(c.env.SSO_DOMAIN_PROOF).method) : null;
    return c.json({
      configured: !!cfg,
      spEntityId: sp.entityId,
      acsUrl: sp.acsUrl,
      idpEntityId: cfg?.idp_entity_id ?? null,
      idpSsoUrl: cfg?.idp_sso_url ?? null,
      emailDomain: cfg?.email_domain ?? null,
      defaultRole: cfg?.default_role ?? null,
      domain,
    });
  })
  .put('/saml', requires('org:manage'), jsonBody(SamlConfigInput), async (c) => {
    const p = caller(c);
    const input = c.req.valid('json');
    const kms = await kmsOf(c.env);
    const old = await configFor(c.env.DB, p.org.id);
    // A pending claim elsewhere blocks nobody; a domain another organization has proven is theirs.
    const owner = await verifiedOwner(c.env.DB, input.emailDomain);
    if (owner && owner !== p.org.id) fail(409, 'conflict', 'this email domain is verified by another organization');
    // The certificate is public, but sealing it means a database writer cannot swap in their own IdP key unnoticed: the seal would not open.
    const sealed = await sealField(c.env.DB, kms, { orgId: p.org.id, userId: null }, 'saml-cert', input.idpCertificate);
    await c.env.DB.prepare(
      `INSERT INTO saml_configs (org_id, idp_entity_id, idp_sso_url, idp_cert_sealed, email_domain, default_role, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(org_id) DO UPDATE SET idp_entity_id = excluded.idp_entity_id, idp_sso_url = excluded.idp_sso_url, idp_cert_sealed = excluded.idp_cert_sealed,
         email_domain = excluded.email_domain, default_role = excluded.default_role, updated_at = excluded.updated_at`,
    )
      .bind(p.org.id, input.idpEntityId, input.idpSsoUrl, sealed, input.emailDomain, input.defaultRole, Date.now())
      .run();
    if (old) await shredField(c.env.DB, old.idp_cert_sealed);
    const claim = await claimDomain(c.env.DB, p.org.id, input.emailDomain);
    await auditRequest(c, { action: 'saml.configure', result: 'ok', target: p.org.id, detail: `${input.idpEntityId} for @${input.emailDomain}` });
    return c.json({ configured: true, ...spUrls(origin(c), p.org.id), domain: claimView(claim, domainVerifier(c.env.SSO_DOMAIN_PROOF).method) });
  })
  .post('/saml/domain/verify', requires('org:manage'), async (c) => {
    const p = caller(c);
    const verifier = domainVerifier(c.env.SSO_DOMAIN_PROOF);
    const cfg = await configFor(c.env.DB, p.org.id);
    const claim = cfg ? await getClaim(c.env.DB, p.org.id, cfg.email_domain) : null;
    if (!cfg || !claim) fail(404, 'not_found', 'SSO is not configured for this organization');
    const outcome = await proveClaim(c.env.DB, claim, verifier);
    await auditRequest(c, {
      action: 'saml.domain_verify',
      result: outcome.state === 'verified' ? 'ok' : outcome.state,
      target: p.org.id,
      detail: `@${claim.domain}${outcome.state === 'pending' ? `: ${outcome.reason}` : ''}`,
    });
    if (outcome.state === 'taken') fail(409, 'conflict', 'this email domain is verified by another organization');
    if (outcome.state === 'pending') fail(409, 'domain_unverified', outcome.reason);
    return c.json({ domain: claimView((await getClaim(c.env.DB, p.org.id, claim.domain))!, verifier.method) });
  });
