/**
 * Accounts in Chromium over the real stack: password sign-in through the sign-in page, TOTP
 * enrolment (codes from the independent `otpauth` package), sign-in with the second factor,
 * recovery codes, admin actions that show in the audit view, a member refused the console,
 * SSO from the sign-in form through a samlify IdP and back, and joining an org's meeting by
 * link without an account while the owner's policy allows it.
 *
 * The steps build on each other (one organization, one owner), so they run in order.
 */
import { inflateRawSync } from 'node:zlib';
import { signRequest } from '@sealroom/protocol';
import * as OTPAuth from 'otpauth';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { idpKeyPair, signedResponse } from '../../edge/test/accounts/saml-idp.ts';
import { openBrowser } from '../lib/browser.ts';
import { join } from '../lib/meeting.ts';

const stack = inject('stackUrl');
const stamp = Date.now().toString(36);
const PASSWORD = 'Correct-horse-42';
const ORG = `Acme ${stamp}`;
const owner = { email: `olive.${stamp}@acme-e2e.example`, name: 'Olive Owner' };
const member = { email: `mo.${stamp}@acme-e2e.example`, name: 'Mo Member' };
const leaver = { email: `dee.${stamp}@acme-e2e.example`, name: 'Dee Disabled' };
const SSO_DOMAIN = `sso-${stamp}.example`;
const IDP_SSO_URL = 'http://idp.sealroom.test/sso';
const IDP_ENTITY = 'http://idp.sealroom.test/metadata';

const contexts: BrowserContext[] = [];
async function newPage(): Promise<Page> {
  const ctx = await openBrowser();
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  return page;
}

/** A request as the signed-in browser of `page` would make it: its session cookie and CSRF token. */
async function apiAs(page: Page, method: string, path: string, body?: unknown): Promise<Response> {
  const cookie = (await page.context().cookies()).find((c) => c.name === '__Host-sealroom_session');
  if (!cookie) throw new Error('no session cookie in this browser');
  const headers: Record<string, string> = { cookie: `${cookie.name}=${cookie.value}`, 'content-type': 'application/json' };
  const session = (await (await fetch(`${stack}/api/auth/session`, { headers })).json()) as { csrfToken: string };
  headers['x-csrf-token'] = session.csrfToken;
  return fetch(`${stack}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function signIn(page: Page, email: string, password: string) {
  await page.goto(`${stack}/signin`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

const consoleHeading = (page: Page) => page.getByRole('heading', { name: `Administration · ${ORG}` });
const alert = (page: Page) => page.getByRole('alert');

/** RFC 6238 codes from the `otpauth` package; each step is used once, as the server accepts a step once. */
class Authenticator {
  #lastStep = 0;
  readonly totp: OTPAuth.TOTP;
  constructor(totp: OTPAuth.TOTP) {
    this.totp = totp;
  }

  async next(): Promise<string> {
    const period = this.totp.period * 1000;
    // The server accepts one step ahead; beyond that, wait for the clock.
    while (this.#lastStep + 1 > Math.floor(Date.now() / period) + 1) await new Promise((r) => setTimeout(r, 500));
    const step = Math.max(Math.floor(Date.now() / period), this.#lastStep + 1);
    this.#lastStep = step;
    return this.totp.generate({ timestamp: step * period });
  }

  /** Six digits that match no step the server would accept now. */
  wrong(): string {
    const period = this.totp.period * 1000;
    const now = Math.floor(Date.now() / period);
    const near = new Set([-2, -1, 0, 1, 2].map((d) => this.totp.generate({ timestamp: (now + d) * period })));
    for (let n = 0; ; n++) {
      const candidate = String((Number(this.totp.generate()) + 1 + n) % 1_000_000).padStart(6, '0');
      if (!near.has(candidate)) return candidate;
    }
  }
}

describe('accounts in the browser', () => {
  let ownerPage: Page;
  let auth: Authenticator;
  let recoveryCodes: string[] = [];

  beforeAll(async () => {
    const res = await fetch(`${stack}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orgName: ORG, name: owner.name, email: owner.email, password: PASSWORD }),
    });
    expect(res.status).toBe(201);
    ownerPage = await newPage();
  });

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
  });

  it('signs in with a password through the sign-in page', async () => {
    await signIn(ownerPage, owner.email, 'Wrong-password-99');
    await expect.poll(() => alert(ownerPage).textContent(), { timeout: 20_000 }).toBe('Wrong email or password.');
    await ownerPage.getByLabel('Password').fill(PASSWORD);
    await ownerPage.getByRole('button', { name: 'Sign in', exact: true }).click();
    await consoleHeading(ownerPage).waitFor({ timeout: 20_000 });
    await ownerPage.getByText(owner.email, { exact: true }).waitFor();
  });

  it('enrols an authenticator through the UI; the otpauth URI parses in an independent implementation', async () => {
    await ownerPage.getByRole('link', { name: 'Set up two-step verification' }).click();
    await ownerPage.waitForURL(/\/account\/mfa$/);
    const link = ownerPage.getByTestId('otpauth-link');
    await link.waitFor({ timeout: 20_000 });
    const parsed = OTPAuth.URI.parse((await link.getAttribute('href'))!);
    if (!(parsed instanceof OTPAuth.TOTP)) throw new Error('the otpauth URI is not a TOTP');
    expect([parsed.algorithm, parsed.digits, parsed.period]).toEqual(['SHA1', 6, 30]);
    expect(parsed.label).toContain(owner.email);
    // The key shown for typing by hand is the same secret.
    expect((await ownerPage.getByTestId('totp-secret').textContent())!.replace(/\s+/g, '')).toBe(parsed.secret.base32);
    // The QR code is rendered from it.
    expect(await ownerPage.getByRole('img', { name: 'otpauth QR' }).getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    auth = new Authenticator(parsed);

    await ownerPage.getByLabel('Code').fill(await auth.next());
    await ownerPage.getByRole('button', { name: 'Confirm' }).click();
    const codes = ownerPage.getByTestId('recovery-codes').locator('code');
    await codes.first().waitFor({ timeout: 20_000 });
    recoveryCodes = await codes.allTextContents();
    expect(recoveryCodes).toHaveLength(10);
    for (const c of recoveryCodes) expect(c).toMatch(/^[a-z0-9]{5}-[a-z0-9]{5}$/);
    await ownerPage.getByRole('button', { name: 'Save', exact: true }).click();
    await consoleHeading(ownerPage).waitFor({ timeout: 20_000 });
    // Enrolled: the console no longer offers to set it up.
    expect(await ownerPage.getByRole('link', { name: 'Set up two-step verification' }).count()).toBe(0);
  });

  it('after signing out, signing in asks for the code: a wrong one is refused visibly, the right one admits', async () => {
    await ownerPage.getByRole('button', { name: 'Sign out' }).click();
    await ownerPage.getByRole('heading', { name: 'Sign in' }).waitFor();
    // Signed out for real: the API no longer knows this browser.
    expect(await ownerPage.evaluate(() => fetch('/api/auth/session').then((r) => r.status))).toBe(401);

    await signIn(ownerPage, owner.email, PASSWORD);
    await ownerPage.getByRole('heading', { name: 'Two-step verification' }).waitFor({ timeout: 20_000 });
    // Password alone opens nothing: the pending session cannot reach the admin API.
    expect(await ownerPage.evaluate(() => fetch('/api/admin/users').then((r) => r.status))).toBe(401);
    await ownerPage.getByLabel('Code').fill(auth.wrong());
    await ownerPage.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => alert(ownerPage).textContent(), { timeout: 20_000 }).toBe('That code is wrong or was already used.');
    await ownerPage.getByLabel('Code').fill(await auth.next());
    await ownerPage.getByRole('button', { name: 'Verify' }).click();
    await consoleHeading(ownerPage).waitFor({ timeout: 20_000 });
  });

  it('admin actions in the console (add users, disable one, tighten the password policy) show in the audit view', async () => {
    const p = ownerPage;
    await p.getByRole('tab', { name: 'Users' }).click();
    for (const u of [member, leaver]) {
      await p.getByPlaceholder('Email', { exact: true }).fill(u.email);
      await p.getByPlaceholder('Name', { exact: true }).fill(u.name);
      await p.getByPlaceholder('Initial password', { exact: true }).fill(PASSWORD);
      await p.getByRole('button', { name: 'Add user' }).click();
      await p.getByRole('row', { name: new RegExp(u.email.replace(/\./g, '\\.')) }).waitFor({ timeout: 20_000 });
    }
    const leaverRow = p.getByRole('row', { name: new RegExp(leaver.email.replace(/\./g, '\\.')) });
    await leaverRow.getByRole('button', { name: 'Disable' }).click();
    await leaverRow.getByRole('cell', { name: 'Disabled', exact: true }).waitFor({ timeout: 20_000 });

    await p.getByRole('tab', { name: 'Security policy' }).click();
    await p.getByLabel('Minimum password length').fill('14');
    await p.getByRole('button', { name: 'Save policy' }).click();
    await p.getByRole('status').filter({ hasText: 'Saved.' }).waitFor({ timeout: 20_000 });
    const saved = (await (await apiAs(p, 'GET', '/api/admin/policy')).json()) as { password: { minLength: number } };
    expect(saved.password.minLength).toBe(14);

    await p.getByRole('tab', { name: 'Audit log' }).click();
    const cells = p.getByRole('cell');
    await cells
      .filter({ hasText: /^policy\.update/ })
      .first()
      .waitFor({ timeout: 20_000 });
    expect(await cells.filter({ hasText: /^user\.create/ }).count()).toBe(2);
    expect(await cells.filter({ hasText: /^user\.update/ }).count()).toBe(1);
    // The refused code from the previous step is on record too.
    expect(await p.getByRole('row').filter({ hasText: 'auth.mfa' }).filter({ hasText: 'mfa_invalid' }).count()).toBe(1);
    // Filtering narrows the view; the chain verifies.
    await p.getByPlaceholder('Action (e.g. auth.*)').fill('user.*');
    await p.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => cells.filter({ hasText: /^policy\.update/ }).count(), { timeout: 20_000 }).toBe(0);
    expect(await cells.filter({ hasText: /^user\./ }).count()).toBe(3);
    await p.getByRole('button', { name: 'Verify chain' }).click();
    await expect.poll(() => p.getByTestId('audit-verdict').textContent(), { timeout: 20_000 }).toMatch(/^Chain intact: \d+ entries checked/);
  });

  it('a member is refused the admin console, visibly and by the API; a disabled user cannot sign in', async () => {
    const m = await newPage();
    await signIn(m, member.email, PASSWORD);
    const refused = m.getByTestId('console-refused');
    await refused.waitFor({ timeout: 20_000 });
    expect(await refused.textContent()).toBe(`The admin console is only for owners and admins of ${ORG}. Your account is a member.`);
    expect(await consoleHeading(m).count()).toBe(0);
    const direct = await m.evaluate(() =>
      fetch('/api/admin/users').then(async (r) => [r.status, ((await r.json()) as { error: { code: string } }).error.code]),
    );
    expect(direct).toEqual([403, 'forbidden']);

    const d = await newPage();
    await signIn(d, leaver.email, PASSWORD);
    await expect.poll(() => alert(d).textContent(), { timeout: 20_000 }).toBe('This account is disabled.');
    expect(await consoleHeading(d).count()).toBe(0);
  });

  it('a recovery code admits once, and only once', async () => {
    const p = ownerPage;
    const code = recoveryCodes[0]!;
    await p.getByRole('button', { name: 'Sign out' }).click();
    await signIn(p, owner.email, PASSWORD);
    await p.getByRole('heading', { name: 'Two-step verification' }).waitFor({ timeout: 20_000 });
    await p.getByLabel('Code').fill(code);
    await p.getByRole('button', { name: 'Verify' }).click();
    await consoleHeading(p).waitFor({ timeout: 20_000 });

    await p.getByRole('button', { name: 'Sign out' }).click();
    await signIn(p, owner.email, PASSWORD);
    await p.getByRole('heading', { name: 'Two-step verification' }).waitFor({ timeout: 20_000 });
    await p.getByLabel('Code').fill(code);
    await p.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => alert(p).textContent(), { timeout: 20_000 }).toBe('That code is wrong or was already used.');
    expect(await consoleHeading(p).count()).toBe(0);
    // Another recovery code still works.
    await p.getByLabel('Code').fill(recoveryCodes[1]!);
    await p.getByRole('button', { name: 'Verify' }).click();
    await consoleHeading(p).waitFor({ timeout: 20_000 });
  });

  it('SSO from the sign-in form: the IdP receives a valid AuthnRequest, and its signed answer signs the user in', async () => {
    const org = (await (await apiAs(ownerPage, 'GET', '/api/admin/org')).json()) as { id: string };
    const keys = idpKeyPair('e2e-idp');
    const configured = await apiAs(ownerPage, 'PUT', '/api/admin/saml', {
      idpEntityId: IDP_ENTITY,
      idpSsoUrl: IDP_SSO_URL,
      idpCertificate: keys.cert,
      emailDomain: SSO_DOMAIN,
      defaultRole: 'admin',
    });
    expect(configured.status).toBe(200);
    // The domain routes nobody until it is proven: locally, by the operator approving its challenge.
    const { domain } = (await configured.json()) as { domain: { status: string; challenge: { value: string } } };
    expect(domain.status).toBe('pending');
    const approval = JSON.stringify({ orgId: org.id, domain: SSO_DOMAIN, token: domain.challenge.value.split('=')[1] });
    const approved = await fetch(`${stack}/internal/sso-domains/approve`, {
      method: 'POST',
      body: approval,
      headers: await signRequest(inject('secret'), 'POST', '/internal/sso-domains/approve', approval),
    });
    expect(approved.status).toBe(200);

    const ssoUser = `sam.${stamp}@${SSO_DOMAIN}`;
    const seen: Array<{ xml: string; relayState: string | null }> = [];
    const page = await newPage();
    // The IdP: reads the AuthnRequest from the HTTP-Redirect binding, then posts a samlify-signed Response to the ACS it names.
    await page.context().route(`${IDP_SSO_URL}**`, async (route) => {
      const url = new URL(route.request().url());
      const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
      const relayState = url.searchParams.get('RelayState');
      seen.push({ xml, relayState });
      const id = /\bID="([^"]+)"/.exec(xml)?.[1] ?? null;
      const acsUrl = /AssertionConsumerServiceURL="([^"]+)"/.exec(xml)?.[1] ?? '';
      const spEntityId = /<saml:Issuer>([^<]+)<\/saml:Issuer>/.exec(xml)?.[1] ?? '';
      const samlResponse = await signedResponse({ keys, idpEntityId: IDP_ENTITY, spEntityId, acsUrl, email: ssoUser, inResponseTo: id });
      const field = (name: string, value: string) => `<input type="hidden" name="${name}" value="${value.replace(/"/g, '&quot;')}">`;
      await route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><title>IdP</title><form method="post" action="${acsUrl}">${field('SAMLResponse', samlResponse)}${field('RelayState', relayState ?? '')}</form><script>document.forms[0].submit()</script>`,
      });
    });

    await page.goto(`${stack}/signin`);
    // A domain nobody configured is answered in the form, without leaving the page.
    await page.getByRole('button', { name: "Sign in with your organization's SSO" }).click();
    await page.locator('input[name=organization]').fill('nobody-here.example');
    await page.getByRole('button', { name: 'Continue to your organization' }).click();
    await expect
      .poll(() => alert(page).textContent(), { timeout: 20_000 })
      .toBe('No single sign-on is set up for that domain. Check it, or sign in with your password.');
    expect(seen).toHaveLength(0);

    await page.locator('input[name=organization]').fill(SSO_DOMAIN);
    await page.getByRole('button', { name: 'Continue to your organization' }).click();
    await consoleHeading(page).waitFor({ timeout: 30_000 });
    await page.getByText(ssoUser).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin');

    // What reached the IdP was one well-formed AuthnRequest for this org's SP.
    expect(seen).toHaveLength(1);
    const { xml, relayState } = seen[0]!;
    const attr = (name: string) => new RegExp(`\\b${name}="([^"]+)"`).exec(xml)?.[1];
    expect(xml).toMatch(/^<samlp:AuthnRequest /);
    expect(attr('ID')).toMatch(/^_[A-Za-z0-9_-]{32}$/);
    expect(attr('Version')).toBe('2.0');
    expect(Math.abs(Date.parse(attr('IssueInstant')!) - Date.now())).toBeLessThan(5 * 60_000);
    expect(attr('Destination')).toBe(IDP_SSO_URL);
    expect(attr('ProtocolBinding')).toBe('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect(attr('AssertionConsumerServiceURL')).toBe(`${stack}/api/saml/${org.id}/acs`);
    expect(xml).toContain(`<saml:Issuer>${stack}/api/saml/${org.id}/metadata</saml:Issuer>`);
    expect(relayState).toMatch(/^[0-9a-f]{24}$/);
    // The user was created just in time, in this organization, with the configured role.
    const users = (await (await apiAs(ownerPage, 'GET', '/api/admin/users')).json()) as { users: Array<{ email: string; role: string; sso: boolean }> };
    expect(users.users.find((u) => u.email === ssoUser)).toMatchObject({ role: 'admin', sso: true });
  });

  it("an org's meeting is joined by link without an account while the owner allows it, and refused once the policy says no", async () => {
    const create = async () => {
      const res = await apiAs(ownerPage, 'POST', '/api/meetings', { topic: 'Accounts e2e' });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    const open = await create();
    const guest = await newPage();
    await guest.goto(`${stack}/m/${open}`);
    expect(await join(guest, 'Guest without account')).toMatch(/.+/);
    expect((await guest.context().cookies()).some((c) => c.name === '__Host-sealroom_session')).toBe(false);

    await ownerPage.getByRole('tab', { name: 'Security policy' }).click();
    await ownerPage.getByLabel('People without an account may join meetings by link').uncheck();
    await ownerPage.getByRole('button', { name: 'Save policy' }).click();
    await ownerPage.getByRole('status').filter({ hasText: 'Saved.' }).waitFor({ timeout: 20_000 });

    const closed = await create();
    const refusedGuest = await newPage();
    await refusedGuest.goto(`${stack}/m/${closed}`);
    await refusedGuest.getByTestId('name-input').fill('Guest without account');
    await refusedGuest.getByTestId('join-button').click();
    const reason = refusedGuest.locator('[data-testid=join-error], [data-testid=refused-reason]');
    await reason.first().waitFor({ timeout: 20_000 });
    expect(await reason.first().textContent()).toContain('You are not allowed to do that.');
  });
});
