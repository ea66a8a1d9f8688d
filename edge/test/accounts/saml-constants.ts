/** Shared by the Node-side IdP (saml-idp.global-setup.ts) and the workerd SAML tests. */
export const SAML_ORG = 'samlOrg0000000001';
export const SAML_ORIGIN = 'http://sealroom.test';
export const IDP_ENTITY = 'https://idp.example.test/metadata';
export const DOMAIN = 'idp.example.test';
