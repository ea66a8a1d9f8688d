/// <reference types="vite/client" />
/**
 * The SAML vectors (saml-vectors/*.json, written by saml-vectors/generate.ts) against the verifier
 * in workerd: every good response from either IdP library is accepted with its claims, every
 * forgery is refused with its reason.
 */
import { describe, expect, it } from 'vitest';
import { verifySamlResponse } from '../../src/accounts/saml/verify.ts';
import cert from './saml-vectors/idp-cert.pem?raw';
import { DOMAIN, IDP_ENTITY, SAML_ORG, SAML_ORIGIN } from './saml-constants.ts';

interface Vector {
  description: string;
  now: number;
  xml: string;
  accept?: { nameId: string; mfa: boolean; inResponseTo: string | null };
  refuse?: string;
}

const files = import.meta.glob<Vector>('./saml-vectors/*.json', { eager: true, import: 'default' });
const vectors = Object.entries(files).map(([file, v]) => [file.replace(/^.*\/|\.json$/g, ''), v] as const);
const expectations = (now: number) => ({
  idpEntityId: IDP_ENTITY,
  idpCertificate: cert,
  spEntityId: `${SAML_ORIGIN}/api/saml/${SAML_ORG}/metadata`,
  acsUrl: `${SAML_ORIGIN}/api/saml/${SAML_ORG}/acs`,
  now,
});

describe('SAML vectors', () => {
  it('has good fixtures from both IdP libraries and every forgery class', () => {
    const names = vectors.map(([n]) => n);
    expect(names).toEqual(
      expect.arrayContaining([
        'good-samlify',
        'good-auth0',
        'good-auth0-mfa',
        'xsw-duplicate-id',
        'mfa-in-signature-object',
        'comment-in-nameid',
        'inresponseto-unsigned-only',
        'doctype-entity',
        'digest-mismatch',
        'wrong-cert',
      ]),
    );
    expect(vectors.filter(([, v]) => v.refuse).length).toBeGreaterThanOrEqual(14);
  });

  it.each(vectors.filter(([, v]) => v.accept))('accepts %s', async (_name, v) => {
    const got = await verifySamlResponse(v.xml, expectations(v.now));
    expect({ nameId: got.nameId, mfa: got.mfa, inResponseTo: got.inResponseTo }).toEqual(v.accept);
    expect(got.nameId.endsWith(`@${DOMAIN}`)).toBe(true);
  });

  it.each(vectors.filter(([, v]) => v.refuse))('refuses %s', async (_name, v) => {
    await expect(verifySamlResponse(v.xml, expectations(v.now))).rejects.toThrow(v.refuse!);
  });

  it('a good vector stops verifying once it has expired, and under another certificate', async () => {
    const [, v] = vectors.find(([n]) => n === 'good-auth0')!;
    await expect(verifySamlResponse(v.xml, expectations(v.now + 60 * 60_000))).rejects.toThrow(/expired/);
    const other = vectors.find(([n]) => n === 'wrong-cert')![1].xml.match(/<ds:X509Certificate>([^<]+)</)![1]!;
    await expect(verifySamlResponse(v.xml, { ...expectations(v.now), idpCertificate: other })).rejects.toThrow(/signature: invalid/);
  });
});
