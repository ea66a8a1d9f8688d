/**
 * Runs in Node before the edge tests: samlify acts as the identity provider (saml-idp.ts) and
 * signs SAML Responses (valid, forged, expired, wrong audience, wrong recipient, foreign key,
 * unsolicited) that the workerd tests post to our ACS.
 */
import type { TestProject } from 'vitest/node';
import { DOMAIN, IDP_ENTITY, SAML_ORG, SAML_ORIGIN } from './saml-constants.ts';
import { type ResponseOptions, auth0SignedResponse, idpKeyPair, signedResponse } from './saml-idp.ts';

export interface SamlFixtures {
  cert: string;
  responses: Record<string, { samlResponse: string; requestId: string | null }>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    samlFixtures: SamlFixtures;
  }
}

export default async function setup(project: TestProject) {
  const idpKeys = idpKeyPair('idp');
  const attacker = idpKeyPair('attacker');
  const base = {
    keys: idpKeys,
    idpEntityId: IDP_ENTITY,
    spEntityId: `${SAML_ORIGIN}/api/saml/${SAML_ORG}/metadata`,
    acsUrl: `${SAML_ORIGIN}/api/saml/${SAML_ORG}/acs`,
    email: `alice@${DOMAIN}`,
  };
  const make = async (v: Partial<ResponseOptions> & { inResponseTo: string | null }) => ({
    samlResponse: await signedResponse({ ...base, ...v }),
    requestId: v.inResponseTo,
  });

  const now = Date.now();
  const responses: SamlFixtures['responses'] = {
    valid: await make({ inResponseTo: '_req_valid' }),
    validMfa: await make({ inResponseTo: '_req_mfa', email: `bob@${DOMAIN}`, mfa: true }),
    expired: await make({ inResponseTo: '_req_expired', notOnOrAfter: now - 10 * 60_000 }),
    wrongAudience: await make({ inResponseTo: '_req_aud', audience: 'https://evil.example/metadata' }),
    wrongRecipient: await make({ inResponseTo: '_req_rcpt', recipient: 'https://evil.example/acs' }),
    foreignKey: await make({ inResponseTo: '_req_foreign', keys: attacker }),
    unsolicited: await make({ inResponseTo: null }),
    otherDomain: await make({ inResponseTo: '_req_domain', email: 'mallory@evil.example' }),
  };
  responses.auth0 = { samlResponse: auth0SignedResponse({ ...base, email: `dora@${DOMAIN}`, inResponseTo: '_req_auth0' }), requestId: '_req_auth0' };
  responses.auth0Mfa = {
    samlResponse: auth0SignedResponse({ ...base, email: `erin@${DOMAIN}`, inResponseTo: '_req_auth0_mfa', mfa: true }),
    requestId: '_req_auth0_mfa',
  };
  const xmlOf = (name: string) => Buffer.from(responses[name]!.samlResponse, 'base64').toString('utf8');
  const b64 = (xml: string) => Buffer.from(xml).toString('base64');
  // A password-only login with a two-factor class slipped into ds:Signature, where no signature covers it.
  const mfaClass =
    '<saml:AuthnStatement AuthnInstant="2026-01-01T00:00:00Z"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>';
  const passwordOnly = await make({ inResponseTo: '_req_mfa_inject', email: `frank@${DOMAIN}` });
  responses.mfaInSignature = {
    samlResponse: b64(
      Buffer.from(passwordOnly.samlResponse, 'base64').toString('utf8').replace('</ds:Signature>', `<ds:Object>${mfaClass}</ds:Object></ds:Signature>`),
    ),
    requestId: '_req_mfa_inject',
  };
  // An unsolicited signed assertion presented as the answer to an open request through the unsigned Response.
  responses.inResponseToSwap = {
    samlResponse: b64(xmlOf('unsolicited').replace(/(<samlp:Response[^>]*? InResponseTo=")"/, '$1_req_swap"')),
    requestId: '_req_swap',
  };
  // Forged: a signed response with the NameID changed after signing.
  const forgedXml = Buffer.from(responses.valid!.samlResponse, 'base64').toString('utf8').replace(`alice@${DOMAIN}`, `mallory@${DOMAIN}`);
  responses.forged = { samlResponse: Buffer.from(forgedXml).toString('base64'), requestId: '_req_forged' };
  // Comment injection: the IdP signed alice@<domain>.evil.example (an address it may well hold);
  // exc-c14n drops comments, so the split name still verifies, and a reader of the first text node sees alice@<domain>.
  const foreign = `alice@${DOMAIN}.evil.example`;
  const signedForeign = await make({ inResponseTo: '_req_comment', email: foreign });
  responses.commentSplitForeign = signedForeign;
  responses.commentInNameId = {
    samlResponse: b64(Buffer.from(signedForeign.samlResponse, 'base64').toString('utf8').replace(`>${foreign}<`, `>alice@${DOMAIN}<!---->.evil.example<`)),
    requestId: '_req_comment',
  };
  project.provide('samlFixtures', { cert: idpKeys.cert, responses });
}
