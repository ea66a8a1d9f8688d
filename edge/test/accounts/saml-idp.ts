/**
 * SAML identity providers for tests, in Node: samlify signs Responses, and auth0's `saml` (a
 * second IdP library with its own templates and an older xml-crypto) signs the same answers; the
 * key pair and certificate come from openssl. Used by the workerd tests' global setup, by the
 * forgery vectors' generator (saml-vectors/generate.ts) and by the Chromium round trip
 * (test/accounts/accounts.e2e.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

// Both are CommonJS: required, so plain Node (the vectors' generator) sees samlify's getter exports too.
const require = createRequire(import.meta.url);
const samlify = require('samlify') as typeof import('samlify');
// auth0's `saml` has no types.
const saml20 = require('saml').Saml20 as { create(options: Record<string, unknown>): string };

export interface IdpKeys {
  key: string;
  cert: string;
}

/** A fresh RSA-2048 key and self-signed certificate, valid two days. */
export function idpKeyPair(name: string): IdpKeys {
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-idp-'));
  try {
    const key = path.join(dir, `${name}.key`);
    const cert = path.join(dir, `${name}.crt`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`], {
      stdio: 'ignore',
    });
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const iso = (ms: number) => new Date(ms).toISOString();

export interface ResponseOptions {
  keys: IdpKeys;
  idpEntityId: string;
  /** Our SP: its entity id (the metadata URL) and ACS URL. */
  spEntityId: string;
  acsUrl: string;
  email: string;
  /** The AuthnRequest's ID this answers; null for an unsolicited response. */
  inResponseTo: string | null;
  notOnOrAfter?: number;
  audience?: string;
  recipient?: string;
  /** Adds an AuthnStatement of a two-factor class. */
  mfa?: boolean;
  /** Signs the Response as well as the Assertion (samlify only). */
  signResponse?: boolean;
}

/** A base64 SAML Response with a signed Assertion, as the IdP would POST it to the ACS. */
export async function signedResponse(o: ResponseOptions): Promise<string> {
  const now = Date.now();
  const idp = samlify.IdentityProvider({
    entityID: o.idpEntityId,
    privateKey: o.keys.key,
    signingCert: o.keys.cert,
    nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
    singleSignOnService: [{ Binding: POST, Location: 'https://idp.example.test/sso' }],
  });
  const sp = samlify.ServiceProvider({
    entityID: o.spEntityId,
    assertionConsumerService: [{ Binding: POST, Location: o.acsUrl }],
    wantAssertionsSigned: true,
    wantMessageSigned: !!o.signResponse,
  });
  const until = iso(o.notOnOrAfter ?? now + 30 * 60_000);
  const authn = o.mfa
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
        Destination: o.acsUrl,
        Audience: o.audience ?? o.spEntityId,
        SubjectRecipient: o.recipient ?? o.acsUrl,
        Issuer: o.idpEntityId,
        IssueInstant: iso(o.notOnOrAfter ? o.notOnOrAfter - 5 * 60_000 : now),
        StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
        ConditionsNotBefore: iso(o.notOnOrAfter ? o.notOnOrAfter - 5 * 60_000 : now - 60_000),
        ConditionsNotOnOrAfter: until,
        SubjectConfirmationDataNotOnOrAfter: until,
        NameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        NameID: o.email,
        InResponseTo: o.inResponseTo ?? '',
        AttributeStatement: '',
      }),
    };
  });
  return res.context;
}

/**
 * The same answer from a second, independent IdP library: auth0's `saml` (its own templates and
 * its own xml-crypto 2 signer) signs the Assertion, wrapped here in a Response as auth0's samlp does.
 */
export function auth0SignedResponse(o: ResponseOptions): string {
  const now = Date.now();
  const lifetime = Math.round(((o.notOnOrAfter ?? now + 30 * 60_000) - now) / 1000);
  const assertion: string = saml20.create({
    cert: Buffer.from(o.keys.cert),
    key: Buffer.from(o.keys.key),
    issuer: o.idpEntityId,
    lifetimeInSeconds: lifetime,
    audiences: o.audience ?? o.spEntityId,
    recipient: o.recipient ?? o.acsUrl,
    ...(o.inResponseTo ? { inResponseTo: o.inResponseTo } : {}),
    nameIdentifier: o.email,
    nameIdentifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    authnContextClassRef: o.mfa ? 'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken' : 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
    attributes: { displayName: 'Auth Zero' },
    signatureAlgorithm: 'rsa-sha256',
    digestAlgorithm: 'sha256',
  });
  const irt = o.inResponseTo ? ` InResponseTo="${o.inResponseTo}"` : '';
  const xml =
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r${randomUUID().replace(/-/g, '')}" Version="2.0" IssueInstant="${iso(now)}" Destination="${o.acsUrl}"${irt}>` +
    `<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">${o.idpEntityId}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${assertion}</samlp:Response>`;
  return Buffer.from(xml).toString('base64');
}
