/** Our side of SAML: entity id and ACS URL, the metadata document, and AuthnRequests (HTTP-Redirect binding). */
import { randomToken } from '../../random.ts';
import { toBase64 } from '@sealroom/crypto/bytes';

export interface SpUrls {
  entityId: string;
  acsUrl: string;
}

export function spUrls(origin: string, orgId: string): SpUrls {
  return { entityId: `${origin}/api/saml/${orgId}/metadata`, acsUrl: `${origin}/api/saml/${orgId}/acs` };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function spMetadata(sp: SpUrls): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${esc(sp.entityId)}">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(sp.acsUrl)}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
`;
}

async function deflateRaw(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** @returns the request id (to match InResponseTo) and the IdP URL to redirect the browser to. */
export async function authnRequestRedirect(sp: SpUrls, idpSsoUrl: string, relayState: string, now = Date.now()): Promise<{ id: string; url: string }> {
  // IDs must start with a letter or underscore (xsd:ID).
  const id = `_${randomToken(32)}`;
  const xml =
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
    `ID="${id}" Version="2.0" IssueInstant="${new Date(now).toISOString()}" Destination="${esc(idpSsoUrl)}" ` +
    `ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" AssertionConsumerServiceURL="${esc(sp.acsUrl)}">` +
    `<saml:Issuer>${esc(sp.entityId)}</saml:Issuer>` +
    `<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>` +
    `</samlp:AuthnRequest>`;
  const deflated = await deflateRaw(xml);
  const url = new URL(idpSsoUrl);
  url.searchParams.set('SAMLRequest', toBase64(deflated));
  url.searchParams.set('RelayState', relayState);
  return { id, url: url.toString() };
}
