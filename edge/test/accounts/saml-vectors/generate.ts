/**
 * Writes the SAML vectors in this folder: good responses from two IdP libraries (samlify, auth0's
 * `saml`) and forgeries made from them. Each vector is one JSON file: what it is, the `now` it was
 * made at (the verifier is run at that instant, so signed times stay valid), the response XML,
 * and either the claims to accept or the reason to refuse. The IdP key is thrown away; only its
 * certificate (idp-cert.pem) is kept.
 *
 *   cd /work/main && PATH=$PWD/node_modules/.bin:$PATH tsx edge/test/accounts/saml-vectors/generate.ts
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOMAIN, IDP_ENTITY, SAML_ORG, SAML_ORIGIN } from '../saml-constants.ts';
import { type ResponseOptions, auth0SignedResponse, idpKeyPair, signedResponse } from '../saml-idp.ts';

const dir = path.dirname(fileURLToPath(import.meta.url));
const keys = idpKeyPair('vector-idp');
const attacker = idpKeyPair('vector-attacker');
const now = Date.now();
const base: ResponseOptions = {
  keys,
  idpEntityId: IDP_ENTITY,
  spEntityId: `${SAML_ORIGIN}/api/saml/${SAML_ORG}/metadata`,
  acsUrl: `${SAML_ORIGIN}/api/saml/${SAML_ORG}/acs`,
  email: `alice@${DOMAIN}`,
  inResponseTo: '_req_vector',
};
const xmlOf = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
const samlify = async (o: Partial<ResponseOptions> = {}) => xmlOf(await signedResponse({ ...base, ...o }));
const auth0 = (o: Partial<ResponseOptions> = {}) => xmlOf(auth0SignedResponse({ ...base, ...o }));

const ASSERTION = /<saml:Assertion[\s\S]*<\/saml:Assertion>/;
const SIGNATURE = /<ds:Signature[\s\S]*<\/ds:Signature>/;
const MFA_STATEMENT = '<saml:AuthnStatement AuthnInstant="2026-01-01T00:00:00Z"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>';
const one = (re: RegExp, s: string) => {
  const m = re.exec(s);
  if (!m) throw new Error(`no match for ${re}`);
  return m[0];
};
/** The signed assertion turned into an unsigned one that names mallory. */
const evilCopy = (assertion: string, id: string) => assertion.replace(/ID="[^"]+"/, `ID="${id}"`).replace(SIGNATURE, '').replace(/alice@/g, 'mallory@');

type Vector = { description: string; now: number; xml: string } & ({ accept: { nameId: string; mfa: boolean; inResponseTo: string | null } } | { refuse: string });
const vectors: Record<string, Vector> = {};
const good = (name: string, description: string, xml: string, accept: { nameId: string; mfa: boolean; inResponseTo: string | null }) => (vectors[name] = { description, now, xml, accept });
const bad = (name: string, description: string, xml: string, refuse: string) => (vectors[name] = { description, now, xml, refuse });

const valid = await samlify();
const assertion = one(ASSERTION, valid);
const assertionId = /ID="([^"]+)"/.exec(assertion)![1]!;

good('good-samlify', 'samlify: a signed assertion, password only', valid, { nameId: `alice@${DOMAIN}`, mfa: false, inResponseTo: '_req_vector' });
good('good-samlify-mfa', 'samlify: a signed assertion whose AuthnContextClassRef is a two-factor class', await samlify({ mfa: true }), { nameId: `alice@${DOMAIN}`, mfa: true, inResponseTo: '_req_vector' });
good('good-auth0', 'auth0 `saml`: a signed assertion (default-namespace ds:Signature), password only', auth0(), { nameId: `alice@${DOMAIN}`, mfa: false, inResponseTo: '_req_vector' });
good('good-auth0-mfa', 'auth0 `saml`: a signed assertion with a two-factor AuthnContextClassRef', auth0({ mfa: true }), { nameId: `alice@${DOMAIN}`, mfa: true, inResponseTo: '_req_vector' });
const bothSigned = await samlify({ signResponse: true });
good('good-samlify-signed-response', 'samlify: the Response signed as well as the Assertion', bothSigned, { nameId: `alice@${DOMAIN}`, mfa: false, inResponseTo: '_req_vector' });

bad('xsw-unsigned-assertion-first', 'XSW3: an unsigned assertion for mallory placed before the signed one', valid.replace(assertion, evilCopy(assertion, '_evil') + assertion), 'exactly one Assertion');
bad('xsw-unsigned-assertion-last', 'XSW4-like: an unsigned assertion for mallory after the signed one', valid.replace(assertion, assertion + evilCopy(assertion, '_evil')), 'exactly one Assertion');
bad('xsw-wrapped-in-evil-assertion', 'XSW5/6: the signed assertion nested inside an unsigned one for mallory', valid.replace(assertion, evilCopy(assertion, '_evil').replace('</saml:Assertion>', `${assertion}</saml:Assertion>`)), 'exactly one Assertion');
bad('xsw-in-signature-object', 'XSW7/8: the signed assertion moved into ds:Object of an unsigned one for mallory that carries the signature', valid.replace(assertion, evilCopy(assertion, '_evil').replace('</saml:Issuer>', `</saml:Issuer>${one(SIGNATURE, assertion).replace('</ds:Signature>', `<ds:Object>${assertion}</ds:Object></ds:Signature>`)}`)), 'exactly one Assertion');
bad('xsw-response-extensions', 'XSW1/2: the original Response wrapped in samlp:Extensions of a Response whose assertion is unsigned', valid.replace(assertion, evilCopy(assertion, '_evil')).replace('</samlp:Status>', `</samlp:Status><samlp:Extensions>${valid.replace(/^<\?xml[^>]*>/, '')}</samlp:Extensions>`), 'exactly one Assertion');
bad('xsw-duplicate-id', 'ID duplication: another element carries the signed assertion’s ID, so a resolver could pick either', valid.replace('<samlp:Status>', `<samlp:Status ID="${assertionId}">`), 'appears more than once');
bad('mfa-in-signature-object', 'an AuthnStatement with a two-factor class injected into ds:Signature/ds:Object of a password-only assertion', valid.replace('</ds:Signature>', `<ds:Object>${MFA_STATEMENT}</ds:Object></ds:Signature>`), 'unexpected Object inside ds:Signature');
bad('mfa-in-keyinfo', 'a two-factor AuthnContextClassRef injected into ds:KeyInfo of a password-only assertion', valid.replace(/<ds:KeyInfo>/, `<ds:KeyInfo>${MFA_STATEMENT}`), 'SAML elements inside ds:Signature');
const longName = await samlify({ email: `alice@${DOMAIN}.evil.example` });
bad('comment-in-nameid', 'comment injection: a signed NameID alice@<domain>.evil.example split by a comment so a naive reader sees alice@<domain>', longName.replace(`alice@${DOMAIN}.evil.example`, `alice@${DOMAIN}<!---->.evil.example`), 'comments are not accepted');
const unsolicited = await samlify({ inResponseTo: null });
bad('inresponseto-unsigned-only', 'an unsolicited signed assertion whose unsigned Response claims to answer a pending request', unsolicited.replace(/(<samlp:Response[^>]*? InResponseTo=")"/, '$1_req_victim"'), 'InResponseTo only on the unsigned Response');
bad('inresponseto-swap', 'the unsigned Response InResponseTo changed to another pending request', valid.replace(/(<samlp:Response[^>]*InResponseTo=")_req_vector"/, '$1_req_victim"'), 'does not match the signed assertion');
bad('doctype-entity', 'a DOCTYPE with an internal entity expanded into the NameID', `<!DOCTYPE samlp:Response [<!ENTITY who "mallory">]>${valid.replace(/^<\?xml[^>]*>/, '').replace('alice@', '&who;@')}`, 'DOCTYPE not allowed');
bad('digest-mismatch', 'the NameID changed after signing', valid.replace(`alice@${DOMAIN}`, `mallory@${DOMAIN}`), 'digest mismatch');
bad('response-signature-broken', 'the Response is signed too, and its IssueInstant was changed after signing', bothSigned.replace(/(<samlp:Response[^>]*IssueInstant=")[^"]+"/, '$12020-01-01T00:00:00Z"'), 'digest mismatch (response altered after signing)');
bad('wrong-cert', 'signed by another key, its own certificate in KeyInfo', await samlify({ keys: attacker }), 'signature: invalid');

for (const f of readdirSync(dir)) if (f.endsWith('.json')) rmSync(path.join(dir, f));
for (const [name, v] of Object.entries(vectors)) writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(v, null, 2)}\n`);
writeFileSync(path.join(dir, 'idp-cert.pem'), keys.cert);
console.log(`${Object.keys(vectors).length} vectors written to ${dir}`);
