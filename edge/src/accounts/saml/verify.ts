/**
 * Verifying a SAML 2.0 Response (HTTP-POST binding) for an SP-initiated sign-in
 * (SAML 2.0 Core §2, Profiles §4.1.4.3). Every check answers with a reason; the first failure wins.
 *
 *   structure  exactly one Response with one Assertion as its child, no DOCTYPE, no comments,
 *              no EncryptedAssertion, every ID unique, ds:Signature only where a signature belongs
 *              (a child of the Assertion, optionally of the Response) holding nothing but
 *              SignedInfo, SignatureValue and KeyInfo
 *   signature  XML-DSig (exc-c14n, SHA-256, RSA-SHA256 only) by xml-crypto under the IdP
 *              certificate the admin configured, never a certificate from KeyInfo; the one
 *              Reference must name the Assertion (the Response, for a Response signature)
 *   claims     read ONLY from the canonical bytes that the signature covers
 *              (`SignedXml.getSignedReferences()`), parsed afresh: the enveloped-signature
 *              transform has removed ds:Signature, exc-c14n has dropped comments, and nothing
 *              outside the signed Assertion is in them. The document the browser posted is used
 *              for structure checks and to find the signature, never for a claim.
 *   issuer     Assertion Issuer = configured IdP entity id
 *   status     Response StatusCode = Success
 *   audience   AudienceRestriction contains our SP entity id
 *   recipient  SubjectConfirmation (bearer) Recipient = our ACS URL, and Response Destination too
 *   time       NotBefore ≤ now < NotOnOrAfter (Conditions and SubjectConfirmationData), ±SKEW_MS
 *   request    InResponseTo from the signed SubjectConfirmationData; the unsigned Response's
 *              attribute, when present, must agree and is never used on its own
 * Replay of the assertion id and the request id are refused by the route (they need the database).
 *
 * Why xml-crypto: with compatibility_date 2026-11-01 `nodejs_compat` is on by default (from
 * 2026-08-04), so node:crypto — createVerify, X509Certificate — exists in workerd and the
 * maintained implementation of exc-c14n and XML-DSig runs here; a hand-written one is one more
 * place for signature-wrapping bugs.
 */
import { createPublicKey } from 'node:crypto';
import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';

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
/** xml-crypto's ID attribute names: uniqueness is checked over the same set it resolves references with. */
const ID_ATTRS = new Set(['ID', 'Id', 'id']);
const SIGNATURE_CHILDREN = new Set(['SignedInfo', 'SignatureValue', 'KeyInfo']);

const ELEMENT = 1;
const COMMENT = 8;

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

const isEl = (n: Node | null, ns: string, local: string): n is Element =>
  !!n && n.nodeType === ELEMENT && (n as Element).namespaceURI === ns && (n as Element).localName === local;
const kids = (el: Element, ns: string, local: string): Element[] => {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) if (isEl(c, ns, local)) out.push(c);
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

function* walk(node: Node): Generator<Node> {
  yield node;
  for (let c = node.firstChild; c; c = c.nextSibling) yield* walk(c);
}

export function parseSamlXml(xml: string): Document {
  // Entity declarations live in the DOCTYPE: refusing it refuses entity expansion too.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new SamlError('DOCTYPE not allowed');
  try {
    const doc = new DOMParser({
      onError: (level, msg) => {
        if (level !== 'warning') throw new SamlError(`not XML: ${msg}`);
      },
    }).parseFromString(xml, 'text/xml');
    if (!doc.documentElement) throw new SamlError('not XML');
    return doc;
  } catch (err) {
    throw err instanceof SamlError ? err : new SamlError('not XML');
  }
}

/** A PEM certificate from what the admin pasted (PEM or bare base64), or a SamlError. */
function certificatePem(cert: string): string {
  const body = cert.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  const pem = `-----BEGIN CERTIFICATE-----\n${(body.match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
  try {
    createPublicKey(pem);
  } catch {
    throw new SamlError('signature: the configured IdP certificate cannot be read');
  }
  return pem;
}

/** Structure checks on the posted document, before any signature maths. */
function checkStructure(doc: Document, response: Element, assertion: Element): void {
  const ids = new Set<string>();
  for (const n of walk(doc)) {
    if (n.nodeType === COMMENT) throw new SamlError('XML comments are not accepted (a signature does not cover them)');
    if (n.nodeType !== ELEMENT) continue;
    const el = n as Element;
    for (let i = 0; i < el.attributes.length; i++) {
      const a = el.attributes.item(i)!;
      if (!ID_ATTRS.has(a.localName ?? a.name)) continue;
      if (ids.has(a.value)) throw new SamlError(`signature wrapping: ID ${a.value} appears more than once`);
      ids.add(a.value);
    }
    if (isEl(el, NS.dsig, 'Signature')) {
      if (el.parentNode !== assertion && el.parentNode !== response)
        throw new SamlError('signature wrapping: a ds:Signature outside the Assertion or Response');
      for (let c = el.firstChild; c; c = c.nextSibling) {
        if (c.nodeType !== ELEMENT) continue;
        const child = c as Element;
        if (child.namespaceURI !== NS.dsig || !SIGNATURE_CHILDREN.has(child.localName ?? ''))
          throw new SamlError(`signature: unexpected ${child.localName} inside ds:Signature (it is not signed)`);
      }
      for (const inner of walk(el)) {
        const ns = (inner as Element).namespaceURI;
        if (inner.nodeType === ELEMENT && (ns === NS.assertion || ns === NS.protocol))
          throw new SamlError('signature: SAML elements inside ds:Signature are not signed');
      }
    }
  }
}

/**
 * Checks the signature that is a child of `signedEl` and returns the canonical bytes it covers.
 * @throws SamlError with the reason
 */
function signedBytes(xml: string, signedEl: Element, what: 'assertion' | 'response', cert: string): string {
  const sig = one(signedEl, NS.dsig, 'Signature', what === 'assertion' ? 'Assertion' : 'Response');
  const signedInfo = one(sig, NS.dsig, 'SignedInfo', 'Signature');
  const id = signedEl.getAttribute('ID') ?? '';
  const ref = one(signedInfo, NS.dsig, 'Reference', 'SignedInfo');
  if (!id || ref.getAttribute('URI') !== `#${id}`) throw new SamlError(`signature: the reference does not point at this ${what}`);
  const transforms = kids(one(ref, NS.dsig, 'Transforms', 'Reference'), NS.dsig, 'Transform').map((t) => t.getAttribute('Algorithm'));
  if (!transforms.includes(ENVELOPED)) throw new SamlError('signature: expected an enveloped signature');
  const sx = new SignedXml({ publicCert: cert, getCertFromKeyInfo: () => null });
  // Only what SAML needs: no SHA-1, no inclusive c14n, no *WithComments (comments would be signed and read).
  sx.CanonicalizationAlgorithms = { [NS.excC14n]: sx.CanonicalizationAlgorithms[NS.excC14n]!, [ENVELOPED]: sx.CanonicalizationAlgorithms[ENVELOPED]! };
  sx.HashAlgorithms = { [SHA256]: sx.HashAlgorithms[SHA256]! };
  sx.SignatureAlgorithms = { [RSA_SHA256]: sx.SignatureAlgorithms[RSA_SHA256]! };
  let ok: boolean;
  try {
    // xml-crypto types its nodes as the DOM's Node; at run time it works on xmldom's, which these are.
    sx.loadSignature(sig as unknown as Parameters<SignedXml['loadSignature']>[0]);
    ok = sx.checkSignature(xml);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/signature value .* is incorrect/.test(msg)) throw new SamlError('signature: invalid (not made by the configured IdP certificate)');
    if (/same value for the ID|same SignatureValue/.test(msg)) throw new SamlError('signature wrapping: duplicate ID or signature');
    const alg = /(canonicalization|hash|signature) algorithm '([^']*)' is not supported/.exec(msg);
    if (alg) throw new SamlError(`signature: ${alg[1]} algorithm ${alg[2]} not accepted`);
    throw new SamlError(`signature: ${msg.slice(0, 200)}`);
  }
  // checkSignature answers false (not a throw) when a reference's digest does not match.
  if (!ok) throw new SamlError(`signature: digest mismatch (${what} altered after signing)`);
  const refs = sx.getSignedReferences();
  if (refs.length !== 1) throw new SamlError('signature: expected exactly one signed reference');
  return refs[0]!;
}

export async function verifySamlResponse(xml: string, x: SamlExpectations): Promise<VerifiedAssertion> {
  const doc = parseSamlXml(xml);
  const response = doc.documentElement as Element;
  if (!isEl(response, NS.protocol, 'Response')) throw new SamlError('expected a samlp:Response');
  if (doc.getElementsByTagNameNS(NS.assertion, 'EncryptedAssertion').length) throw new SamlError('encrypted assertions are not supported');
  if (doc.getElementsByTagNameNS(NS.assertion, 'Assertion').length !== 1) throw new SamlError('signature wrapping: expected exactly one Assertion');
  const assertion = one(response, NS.assertion, 'Assertion', 'Response');
  checkStructure(doc, response, assertion);
  const destination = response.getAttribute('Destination');
  if (destination && destination !== x.acsUrl) throw new SamlError('response Destination is not our ACS');
  const status = one(one(response, NS.protocol, 'Status', 'Response'), NS.protocol, 'StatusCode', 'Status').getAttribute('Value');
  if (status !== SUCCESS) throw new SamlError(`IdP status ${status}`);
  const responseIssuer = kids(response, NS.assertion, 'Issuer')[0];
  if (responseIssuer && text(responseIssuer) !== x.idpEntityId) throw new SamlError('response Issuer is not the configured IdP');

  const cert = certificatePem(x.idpCertificate);
  // A Response-level signature is optional; when an IdP sends one it has to hold as well.
  if (kids(response, NS.dsig, 'Signature').length) signedBytes(xml, response, 'response', cert);
  const assertionId = assertion.getAttribute('ID') ?? '';
  const signedDoc = parseSamlXml(signedBytes(xml, assertion, 'assertion', cert));
  const signed = signedDoc.documentElement as Element;
  if (!isEl(signed, NS.assertion, 'Assertion') || signed.getAttribute('ID') !== assertionId)
    throw new SamlError('signature: the signed reference is not this assertion');
  if (kids(signed, NS.dsig, 'Signature').length) throw new SamlError('signature: expected an enveloped signature');

  // From here on every claim comes from `signed`: the canonical bytes the IdP's signature covers.
  if (text(one(signed, NS.assertion, 'Issuer', 'Assertion')) !== x.idpEntityId) throw new SamlError('issuer is not the configured IdP');
  const conditions = one(signed, NS.assertion, 'Conditions', 'Assertion');
  const notBefore = time(conditions.getAttribute('NotBefore'), 'Conditions NotBefore');
  const notOnOrAfter = time(conditions.getAttribute('NotOnOrAfter'), 'Conditions NotOnOrAfter');
  if (notBefore !== null && x.now + SKEW_MS < notBefore) throw new SamlError('assertion not yet valid');
  if (notOnOrAfter === null || x.now - SKEW_MS >= notOnOrAfter) throw new SamlError('assertion expired');
  const audiences = kids(conditions, NS.assertion, 'AudienceRestriction').flatMap((r) => kids(r, NS.assertion, 'Audience').map(text));
  if (!audiences.includes(x.spEntityId)) throw new SamlError('audience is not this service');

  const subject = one(signed, NS.assertion, 'Subject', 'Assertion');
  const nameId = text(one(subject, NS.assertion, 'NameID', 'Subject'));
  const bearer = kids(subject, NS.assertion, 'SubjectConfirmation').filter((s) => s.getAttribute('Method') === BEARER);
  const data = bearer.map((b) => kids(b, NS.assertion, 'SubjectConfirmationData')[0]).find((d) => d && d.getAttribute('Recipient') === x.acsUrl);
  if (!data) throw new SamlError('no bearer confirmation for our ACS (recipient mismatch)');
  const scdExpiry = time(data.getAttribute('NotOnOrAfter'), 'SubjectConfirmationData NotOnOrAfter');
  if (scdExpiry === null || x.now - SKEW_MS >= scdExpiry) throw new SamlError('subject confirmation expired');
  const inResponseTo = data.getAttribute('InResponseTo') || null;
  const unsignedInResponseTo = response.getAttribute('InResponseTo') || null;
  if (unsignedInResponseTo && unsignedInResponseTo !== inResponseTo) {
    throw new SamlError(
      inResponseTo
        ? 'InResponseTo of the Response does not match the signed assertion'
        : 'InResponseTo only on the unsigned Response (the signed assertion answers no request)',
    );
  }

  // Only AuthnStatement/AuthnContext/AuthnContextClassRef of the signed assertion: never a look-up anywhere below it.
  const classRefs = kids(signed, NS.assertion, 'AuthnStatement')
    .flatMap((s) => kids(s, NS.assertion, 'AuthnContext'))
    .flatMap((c) => kids(c, NS.assertion, 'AuthnContextClassRef'));
  const mfa = classRefs.some((r) => MFA_CONTEXTS.has(text(r)));
  const attributes: Record<string, string[]> = {};
  for (const st of kids(signed, NS.assertion, 'AttributeStatement'))
    for (const a of kids(st, NS.assertion, 'Attribute')) attributes[a.getAttribute('Name') ?? ''] = kids(a, NS.assertion, 'AttributeValue').map(text);

  return { assertionId, nameId, inResponseTo, expiresAt: Math.min(notOnOrAfter, scdExpiry) + SKEW_MS, mfa, attributes };
}
