/**
 * Verifying a SAML 2.0 Response (HTTP-POST binding) for an SP-initiated sign-in
 * (SAML 2.0 Core §2, Profiles §4.1.4.3). Every check answers with a reason; the first failure wins.
 *
 *   structure  exactly one Response with one Assertion, no DOCTYPE, no EncryptedAssertion
 *   signature  the Assertion carries an enveloped XML-DSig signature whose Reference points at
 *              that Assertion's ID (and no other element has that ID: no signature wrapping);
 *              exc-c14n, SHA-256 digest, RSA-SHA256 under the IdP certificate configured by the admin
 *   issuer     Assertion Issuer = configured IdP entity id
 *   status     Response StatusCode = Success
 *   audience   AudienceRestriction contains our SP entity id
 *   recipient  SubjectConfirmation (bearer) Recipient = our ACS URL, and Response Destination too
 *   time       NotBefore ≤ now < NotOnOrAfter (Conditions and SubjectConfirmationData), ±SKEW_MS
 *   request    InResponseTo = an AuthnRequest id we issued and have not seen answered
 * Replay of the assertion id is refused by the route (it needs the database).
 */
import { DOMParser, type Element } from '@xmldom/xmldom';
import { importX509 } from 'jose';
import { b64urlDecode } from '../../kms/bytes.ts';
import { excC14n } from './c14n.ts';

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
} as const;

const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
/** Authentication contexts that mean the IdP checked a second factor. */
const MFA_CONTEXTS = new Set([
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken',
  'http://schemas.microsoft.com/claims/multipleauthn',
]);
export const SKEW_MS = 120_000;

export class SamlError extends Error {}

export interface SamlExpectations {
  idpEntityId: string;
  idpCertificate: string;
  spEntityId: string;
  acsUrl: string;
  now: number;
}

export interface VerifiedAssertion {
  assertionId: string;
  nameId: string;
  inResponseTo: string | null;
  /** When the assertion stops being valid: replay records are kept until then. */
  expiresAt: number;
  mfa: boolean;
  attributes: Record<string, string[]>;
}

const kids = (el: Element, ns: string, local: string): Element[] => {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 1 && (c as Element).namespaceURI === ns && (c as Element).localName === local) out.push(c as Element);
  return out;
};
const one = (el: Element, ns: string, local: string, what: string): Element => {
  const k = kids(el, ns, local);
  if (k.length !== 1) throw new SamlError(`${what}: expected exactly one ${local}`);
  return k[0]!;
};
const text = (el: Element) => (el.textContent ?? '').trim();
const time = (v: string | null, what: string): number | null => {
  if (!v) return null;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new SamlError(`${what}: not a time`);
  return t;
};

function pemBody(cert: string): string {
  return cert.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

const b64 = (s: string) => b64urlDecode(s.replace(/\s+/g, '').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));

async function sha256b64(text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...d));
}

async function checkSignature(doc: any, assertion: Element, cert: string): Promise<void> {
  const sig = one(assertion, NS.dsig, 'Signature', 'Assertion');
  const signedInfo = one(sig, NS.dsig, 'SignedInfo', 'Signature');
  const c14nMethod = one(signedInfo, NS.dsig, 'CanonicalizationMethod', 'SignedInfo').getAttribute('Algorithm');
  if (c14nMethod !== NS.excC14n) throw new SamlError(`signature: canonicalization ${c14nMethod} not accepted`);
  const sigMethod = one(signedInfo, NS.dsig, 'SignatureMethod', 'SignedInfo').getAttribute('Algorithm');
  if (sigMethod !== RSA_SHA256) throw new SamlError(`signature: algorithm ${sigMethod} not accepted (RSA-SHA256 only)`);
  const ref = one(signedInfo, NS.dsig, 'Reference', 'SignedInfo');
  const id = assertion.getAttribute('ID') ?? '';
  if (!id || ref.getAttribute('URI') !== `#${id}`) throw new SamlError('signature: the reference does not point at this assertion');
  // Signature wrapping: the referenced id must name exactly one element, the one we read.
  let sameId = 0;
  const all = doc.getElementsByTagName('*');
  for (let i = 0; i < all.length; i++) if (all.item(i).getAttribute('ID') === id) sameId++;
  if (sameId !== 1) throw new SamlError('signature: duplicate ID in document');
  const transforms = kids(one(ref, NS.dsig, 'Transforms', 'Reference'), NS.dsig, 'Transform');
  let inclusive: string[] = [];
  for (const t of transforms) {
    const alg = t.getAttribute('Algorithm');
    if (alg === ENVELOPED) continue;
    if (alg !== NS.excC14n) throw new SamlError(`signature: transform ${alg} not accepted`);
    const incl = kids(t, NS.excC14n, 'InclusiveNamespaces')[0];
    if (incl) inclusive = (incl.getAttribute('PrefixList') ?? '').split(/\s+/).filter(Boolean);
  }
  if (!transforms.some((t) => t.getAttribute('Algorithm') === ENVELOPED)) throw new SamlError('signature: expected an enveloped signature');
  const digestMethod = one(ref, NS.dsig, 'DigestMethod', 'Reference').getAttribute('Algorithm');
  if (digestMethod !== SHA256) throw new SamlError(`signature: digest ${digestMethod} not accepted (SHA-256 only)`);
  const digest = await sha256b64(excC14n(assertion, sig, inclusive));
  if (digest !== text(one(ref, NS.dsig, 'DigestValue', 'Reference')).replace(/\s+/g, '')) throw new SamlError('signature: digest mismatch (assertion altered)');
  const siInclusive = kids(one(signedInfo, NS.dsig, 'CanonicalizationMethod', 'SignedInfo'), NS.excC14n, 'InclusiveNamespaces')[0];
  const canonicalSignedInfo = excC14n(signedInfo, null, (siInclusive?.getAttribute('PrefixList') ?? '').split(/\s+/).filter(Boolean));
  let key: CryptoKey;
  try {
    const body = pemBody(cert);
    key = await importX509(`-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----`, 'RS256');
  } catch {
    throw new SamlError('signature: the configured IdP certificate cannot be read');
  }
  const ok = await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, b64(text(one(sig, NS.dsig, 'SignatureValue', 'Signature'))) as Uint8Array<ArrayBuffer>, new TextEncoder().encode(canonicalSignedInfo));
  if (!ok) throw new SamlError('signature: invalid');
}

export function parseSamlXml(xml: string): any {
  if (/<!DOCTYPE/i.test(xml)) throw new SamlError('DOCTYPE not allowed');
  try {
    return new DOMParser({
      onError: (level: string, msg: string) => {
        if (level !== 'warning') throw new SamlError(`not XML: ${msg}`);
      },
    } as any).parseFromString(xml, 'text/xml');
  } catch (err) {
    throw err instanceof SamlError ? err : new SamlError('not XML');
  }
}

export async function verifySamlResponse(xml: string, x: SamlExpectations): Promise<VerifiedAssertion> {
  const doc = parseSamlXml(xml);
  const response = doc.documentElement as Element;
  if (response?.namespaceURI !== NS.protocol || response.localName !== 'Response') throw new SamlError('expected a samlp:Response');
  if (doc.getElementsByTagNameNS(NS.assertion, 'EncryptedAssertion').length) throw new SamlError('encrypted assertions are not supported');
  if (doc.getElementsByTagNameNS(NS.assertion, 'Assertion').length !== 1) throw new SamlError('expected exactly one Assertion');
  const destination = response.getAttribute('Destination');
  if (destination && destination !== x.acsUrl) throw new SamlError('response Destination is not our ACS');
  const status = one(one(response, NS.protocol, 'Status', 'Response'), NS.protocol, 'StatusCode', 'Status').getAttribute('Value');
  if (status !== SUCCESS) throw new SamlError(`IdP status ${status}`);
  const assertion = one(response, NS.assertion, 'Assertion', 'Response');

  await checkSignature(doc, assertion, x.idpCertificate);

  // From here on everything is read from the signed assertion only.
  if (text(one(assertion, NS.assertion, 'Issuer', 'Assertion')) !== x.idpEntityId) throw new SamlError('issuer is not the configured IdP');
  const conditions = one(assertion, NS.assertion, 'Conditions', 'Assertion');
  const notBefore = time(conditions.getAttribute('NotBefore'), 'Conditions NotBefore');
  const notOnOrAfter = time(conditions.getAttribute('NotOnOrAfter'), 'Conditions NotOnOrAfter');
  if (notBefore !== null && x.now + SKEW_MS < notBefore) throw new SamlError('assertion not yet valid');
  if (notOnOrAfter === null || x.now - SKEW_MS >= notOnOrAfter) throw new SamlError('assertion expired');
  const audiences = kids(conditions, NS.assertion, 'AudienceRestriction').flatMap((r) => kids(r, NS.assertion, 'Audience').map(text));
  if (!audiences.includes(x.spEntityId)) throw new SamlError('audience is not this service');

  const subject = one(assertion, NS.assertion, 'Subject', 'Assertion');
  const nameId = text(one(subject, NS.assertion, 'NameID', 'Subject'));
  const bearer = kids(subject, NS.assertion, 'SubjectConfirmation').filter((s) => s.getAttribute('Method') === BEARER);
  const data = bearer.map((b) => kids(b, NS.assertion, 'SubjectConfirmationData')[0]).find((d) => d && d.getAttribute('Recipient') === x.acsUrl);
  if (!data) throw new SamlError('no bearer confirmation for our ACS (recipient mismatch)');
  const scdExpiry = time(data.getAttribute('NotOnOrAfter'), 'SubjectConfirmationData NotOnOrAfter');
  if (scdExpiry === null || x.now - SKEW_MS >= scdExpiry) throw new SamlError('subject confirmation expired');
  const inResponseTo = data.getAttribute('InResponseTo') || response.getAttribute('InResponseTo') || null;

  const classRefs = assertion.getElementsByTagNameNS(NS.assertion, 'AuthnContextClassRef');
  let mfa = false;
  for (let i = 0; i < classRefs.length; i++) if (MFA_CONTEXTS.has(text(classRefs.item(i)!))) mfa = true;
  const attributes: Record<string, string[]> = {};
  for (const st of kids(assertion, NS.assertion, 'AttributeStatement'))
    for (const a of kids(st, NS.assertion, 'Attribute')) attributes[a.getAttribute('Name') ?? ''] = kids(a, NS.assertion, 'AttributeValue').map(text);

  return { assertionId: assertion.getAttribute('ID')!, nameId, inResponseTo, expiresAt: Math.min(notOnOrAfter, scdExpiry) + SKEW_MS, mfa, attributes };
}
