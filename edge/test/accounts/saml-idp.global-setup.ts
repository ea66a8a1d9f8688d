/**
 * Runs in Node before the edge tests: samlify acts as the identity provider and signs SAML
 * Responses (valid, forged, expired, wrong audience, wrong recipient, foreign key, unsolicited)
 * that the workerd tests post to our ACS. samlify and its xml-crypto signer are an
 * implementation independent of ours; the IdP key pair and certificate come from openssl.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as samlify from 'samlify';
import type { TestProject } from 'vitest/node';

import { DOMAIN, IDP_ENTITY, SAML_ORG, SAML_ORIGIN } from './saml-constants.ts';

export interface SamlFixtures {
  cert: string;
  responses: Record<string, { samlResponse: string; requestId: string | null }>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    samlFixtures: SamlFixtures;
  }
}

function keyPair(dir: string, name: string): { key: string; cert: string } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const iso = (ms: number) => new Date(ms).toISOString();

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-idp-'));
  try {
    const idpKeys = keyPair(dir, 'idp');
    const attacker = keyPair(dir, 'attacker');
    const acs = `${SAML_ORIGIN}/api/saml/${SAML_ORG}/acs`;
    const entity = `${SAML_ORIGIN}/api/saml/${SAML_ORG}/metadata`;

    const idpFor = (keys: { key: string; cert: string }) =>
      samlify.IdentityProvider({
        entityID: IDP_ENTITY,
        privateKey: keys.key,
        signingCert: keys.cert,
        nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
        singleSignOnService: [{ Binding: POST, Location: 'https://idp.example.test/sso' }],
      });
    const spFor = (entityID: string, location: string) => samlify.ServiceProvider({ entityID, assertionConsumerService: [{ Binding: POST, Location: location }], wantAssertionsSigned: true });

    interface Variant {
      requestId: string | null;
      email?: string;
      notOnOrAfter?: number;
      audience?: string;
      recipient?: string;
      keys?: { key: string; cert: string };
      mfa?: boolean;
    }
    const make = async (v: Variant) => {
      const now = Date.now();
      const idp = idpFor(v.keys ?? idpKeys);
      const sp = spFor(entity, acs);
      const until = iso(v.notOnOrAfter ?? now + 30 * 60_000);
      const authn = v.mfa
        ? `<saml:AuthnStatement AuthnInstant="${iso(now)}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
        : '';
      // No parsed AuthnRequest: InResponseTo is written into the template below.
      const res = await idp.createLoginResponse(sp, { extract: {} } as Parameters<typeof idp.createLoginResponse>[1], 'post', {}, (template: string) => {
        const id = `_${Math.random().toString(36).slice(2)}${Date.now()}`;
        return {
          id,
          // replaceTagsByValue escapes values, so XML fragments go into the template first.
          context: samlify.SamlLib.replaceTagsByValue(template.replace('{AuthnStatement}', authn), {
            ID: id,
            AssertionID: `_a${Math.random().toString(36).slice(2)}${Date.now()}`,
            Destination: acs,
            Audience: v.audience ?? entity,
            SubjectRecipient: v.recipient ?? acs,
            Issuer: IDP_ENTITY,
            IssueInstant: iso(v.notOnOrAfter ? v.notOnOrAfter - 5 * 60_000 : now),
            StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
            ConditionsNotBefore: iso(v.notOnOrAfter ? v.notOnOrAfter - 5 * 60_000 : now - 60_000),
            ConditionsNotOnOrAfter: until,
            SubjectConfirmationDataNotOnOrAfter: until,
            NameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
            NameID: v.email ?? `alice@${DOMAIN}`,
            InResponseTo: v.requestId ?? '',
            AttributeStatement: '',
          }),
        };
      });
      return { samlResponse: res.context, requestId: v.requestId };
    };

    const now = Date.now();
    const responses: SamlFixtures['responses'] = {
      valid: await make({ requestId: '_req_valid' }),
      validMfa: await make({ requestId: '_req_mfa', email: `bob@${DOMAIN}`, mfa: true }),
      expired: await make({ requestId: '_req_expired', notOnOrAfter: now - 10 * 60_000 }),
      wrongAudience: await make({ requestId: '_req_aud', audience: 'https://evil.example/metadata' }),
      wrongRecipient: await make({ requestId: '_req_rcpt', recipient: 'https://evil.example/acs' }),
      foreignKey: await make({ requestId: '_req_foreign', keys: attacker }),
      unsolicited: await make({ requestId: null }),
      otherDomain: await make({ requestId: '_req_domain', email: 'mallory@evil.example' }),
    };
    // Forged: a signed response with the NameID changed after signing.
    const forgedXml = Buffer.from(responses.valid!.samlResponse, 'base64').toString('utf8').replace(`alice@${DOMAIN}`, `mallory@${DOMAIN}`);
    responses.forged = { samlResponse: Buffer.from(forgedXml).toString('base64'), requestId: '_req_forged' };
    project.provide('samlFixtures', { cert: idpKeys.cert, responses });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
