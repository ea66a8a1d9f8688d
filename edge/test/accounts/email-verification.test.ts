/**
 * Verified email: sign-up mails a single-use link through a real SMTP session (to the sink of
 * mail-sink.global-setup.ts), the link works once, for its own account, before it expires, and
 * rights granted by email (alternative host) wait for it.
 */
import type { SessionInfo } from '@sealroom/protocol';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { consumeVerification, issueVerification } from '../../src/accounts/email-verification.ts';
import { createUser } from '../../src/accounts/store.ts';
import { sha256HexOf } from '../../src/digest.ts';
import { smtpConfigFromEnv } from '../../src/mail/config.ts';
import { MailError, MailNotConfigured } from '../../src/mail/provider.ts';
import { buildMessage } from '../../src/mail/message.ts';
import { SmtpProvider } from '../../src/mail/smtp.ts';
import { app } from '../../src/index.ts';
import { TestClient, fakePublicKey } from '../helpers.ts';
import { Agent, GOOD_PASSWORD, addUser, auditRows, newOrg, uniqueEmail } from './helpers.ts';
import { mailsTo, tokenOf, verifyByMail, waitForMails } from './mail.ts';

const SCRYPT_MS = 90_000;

async function signUp(email = uniqueEmail('signup')) {
  const agent = new Agent();
  const info = await agent.ok<SessionInfo>('POST', '/api/auth/signup', { orgName: 'Inbox Co', name: 'Ivy', email, password: GOOD_PASSWORD }, 201);
  return { agent, info, email };
}

const session = (agent: Agent) => agent.ok<SessionInfo>('GET', '/api/auth/session');

async function joinAs(meetingId: string, cookie: string, name: string, seed: number) {
  const c = await TestClient.connect(meetingId, { cookie });
  c.send({ type: 'join', name, publicKey: fakePublicKey(seed) });
  return (await c.next('welcome')).self.role;
}

describe('email verification', () => {
  it(
    'sign-up mails a link through the SMTP sink; only its hash is stored',
    async () => {
      const { agent, info, email } = await signUp();
      expect(info.user.emailVerified).toBe(false);
      const [mail] = await waitForMails(email);
      expect(mail!.from).toBe('no-reply@sealroom.test');
      expect(mail!.to).toEqual([email]);
      expect(mail!.subject).toBe('Verify your email for Sealroom / 验证你的 Sealroom 邮箱');
      expect(mail!.text).toContain('请确认这是你的 Sealroom 邮箱地址');
      const token = tokenOf(mail!);
      expect(mail!.text).toContain(`http://sealroom.test/verify-email?token=${token}`);
      const rows = (await env.DB.prepare('SELECT * FROM email_verifications WHERE user_id = ?').bind(info.user.id).all<Record<string, unknown>>()).results;
      expect(rows).toHaveLength(1);
      expect(rows[0]!.token_hash).toBe(await sha256HexOf(token));
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(rows[0]!.expires_at as number).toBe((rows[0]!.created_at as number) + 24 * 3600_000);
      expect((await session(agent)).user.emailVerified).toBe(false);
    },
    SCRYPT_MS,
  );

  it(
    'a link verifies once, and not a second time',
    async () => {
      const { agent, email, info } = await signUp();
      const token = tokenOf((await waitForMails(email))[0]!);
      expect(await agent.ok('POST', '/api/auth/verify-email', { token })).toEqual({ emailVerified: true, email });
      expect((await session(agent)).user.emailVerified).toBe(true);
      expect(await agent.fails('POST', '/api/auth/verify-email', { token }, 400)).toBe('verification_invalid');
      const audit = await auditRows(info.org.id);
      expect(audit.filter((r) => r.action === 'email.verify').map((r) => r.result)).toEqual(['ok', 'invalid']);
    },
    SCRYPT_MS,
  );

  it(
    'an expired link is refused and leaves the address unverified',
    async () => {
      const { agent, email, info } = await signUp();
      const token = tokenOf((await waitForMails(email))[0]!);
      await env.DB.prepare('UPDATE email_verifications SET expires_at = ? WHERE user_id = ?')
        .bind(Date.now() - 1, info.user.id)
        .run();
      expect(await agent.fails('POST', '/api/auth/verify-email', { token }, 410)).toBe('verification_expired');
      expect((await session(agent)).user.emailVerified).toBe(false);
      // Refused once expired, and gone: it does not come back to life.
      expect(await agent.fails('POST', '/api/auth/verify-email', { token }, 400)).toBe('verification_invalid');
    },
    SCRYPT_MS,
  );

  it(
    'the expiry is 24 hours: a link issued 24 h ago no longer works, one issued just under does',
    async () => {
      const { info } = await signUp();
      const user = { id: info.user.id, email: info.user.email };
      const day = 24 * 3600_000;
      const old = (await issueVerification(env.DB, user, { now: Date.now() - day }))!;
      expect(await consumeVerification(env.DB, user.id, old)).toEqual({ ok: false, reason: 'expired' });
      const fresh = (await issueVerification(env.DB, user, { now: Date.now() - day + 60_000 }))!;
      expect(await consumeVerification(env.DB, user.id, fresh)).toEqual({ ok: true, email: user.email });
    },
    SCRYPT_MS,
  );

  it(
    'a link works only for the account it was sent for; someone else opening it changes nothing',
    async () => {
      const victim = await signUp();
      const token = tokenOf((await waitForMails(victim.email))[0]!);
      const stranger = await signUp();
      expect(await stranger.agent.fails('POST', '/api/auth/verify-email', { token }, 403)).toBe('verification_invalid');
      expect((await session(stranger.agent)).user.emailVerified).toBe(false);
      // Without a session nobody can use it at all.
      expect(await new Agent().fails('POST', '/api/auth/verify-email', { token }, 401)).toBe('unauthenticated');
      await victim.agent.ok('POST', '/api/auth/verify-email', { token });
      expect((await session(victim.agent)).user.emailVerified).toBe(true);
    },
    SCRYPT_MS,
  );

  it(
    'two uses of one link at once verify exactly once',
    async () => {
      const { agent, email, info } = await signUp();
      const token = tokenOf((await waitForMails(email))[0]!);
      const results = await Promise.all(Array.from({ length: 6 }, () => agent.req('POST', '/api/auth/verify-email', JSON.stringify({ token }))));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 400, 400, 400, 400, 400]);
      const audit = await auditRows(info.org.id);
      expect(audit.filter((r) => r.action === 'email.verify' && r.result === 'ok')).toHaveLength(1);
    },
    SCRYPT_MS,
  );

  it(
    'malformed tokens get a clear error code',
    async () => {
      const { agent } = await signUp();
      for (const token of ['', 'short', 'x'.repeat(44), `${'a'.repeat(42)}!`]) {
        expect(await agent.fails('POST', '/api/auth/verify-email', { token }, 400)).toBe('bad_message');
      }
      expect(await agent.fails('POST', '/api/auth/verify-email', { token: 'a'.repeat(43), extra: 1 }, 400)).toBe('bad_message');
      expect(await agent.fails('POST', '/api/auth/verify-email', { token: 'a'.repeat(43) }, 400)).toBe('verification_invalid');
    },
    SCRYPT_MS,
  );

  it(
    'resend is rate-limited, mails a new working link, and stops once verified',
    async () => {
      const { agent, email, info } = await signUp();
      await waitForMails(email, 1);
      // The sign-up mail was just sent: a resend must wait.
      const early = await agent.req('POST', '/api/account/verify-email/resend');
      expect(early.status).toBe(429);
      expect(Number(early.headers.get('retry-after'))).toBeGreaterThan(0);
      await env.DB.prepare('UPDATE email_verifications SET created_at = created_at - 61000 WHERE user_id = ?').bind(info.user.id).run();
      // Concurrent resends: the limit is checked by the insert itself, so exactly one gets through.
      const burst = await Promise.all(Array.from({ length: 4 }, () => agent.req('POST', '/api/account/verify-email/resend')));
      expect(burst.map((r) => r.status).sort()).toEqual([200, 429, 429, 429]);
      const mails = await waitForMails(email, 2);
      expect(tokenOf(mails[0]!)).not.toBe(tokenOf(mails[1]!));
      await verifyByMail(agent, email, 2);
      // Using one link retires the others.
      expect(await agent.fails('POST', '/api/auth/verify-email', { token: tokenOf(mails[1]!) }, 400)).toBe('verification_invalid');
      expect(await agent.fails('POST', '/api/account/verify-email/resend', undefined, 409)).toBe('already_verified');
    },
    SCRYPT_MS,
  );

  it(
    'at most five links an hour',
    async () => {
      const { agent, info } = await signUp();
      for (let i = 0; i < 4; i++) {
        await env.DB.prepare('UPDATE email_verifications SET created_at = created_at - 61000 WHERE user_id = ?').bind(info.user.id).run();
        expect((await agent.req('POST', '/api/account/verify-email/resend')).status).toBe(200);
      }
      await env.DB.prepare('UPDATE email_verifications SET created_at = created_at - 61000 WHERE user_id = ?').bind(info.user.id).run();
      expect(await agent.fails('POST', '/api/account/verify-email/resend', undefined, 429)).toBe('rate_limited');
    },
    SCRYPT_MS,
  );

  it(
    'users an admin creates start unverified and verify by asking for a link; SSO users start verified',
    async () => {
      const { owner } = await newOrg('Admin Co');
      const member = await addUser(owner, 'member');
      expect(member.info.user.emailVerified).toBe(false);
      expect(await mailsTo(member.email)).toHaveLength(0);
      expect((await member.agent.ok('POST', '/api/account/verify-email/resend')).sentTo).toBe(member.email);
      await verifyByMail(member.agent, member.email);
      expect((await session(member.agent)).user.emailVerified).toBe(true);

      const sso = await createUser(env.DB, {
        orgId: member.info.org.id,
        email: uniqueEmail('sso'),
        name: 'Sam',
        role: 'member',
        passwordHash: null,
        samlNameId: 'sam@idp',
      });
      expect(sso!.emailVerifiedAt).not.toBeNull();
    },
    SCRYPT_MS,
  );
});

describe('rights granted by email need a verified address', () => {
  it(
    'an unverified alternative host gets no host claim, no details and no listing; verified, they do',
    async () => {
      const { owner } = await newOrg('Board Co');
      const altEmail = uniqueEmail('alt');
      const { id } = await owner.ok<{ id: string }>(
        'POST',
        '/api/meetings',
        { topic: 'Board', alternativeHosts: [altEmail], startAt: Date.now() + 3_600_000 },
        201,
      );

      // Anyone can sign up with the invitee's address …
      const alt = await signUp(altEmail);
      expect(await joinAs(id, alt.agent.cookie, 'Alt', 1)).toBe('participant');
      expect(await alt.agent.fails('GET', `/api/meetings/${id}/details`, undefined, 403)).toBe('forbidden');
      expect(await alt.agent.fails('PATCH', `/api/meetings/${id}`, { password: null }, 403)).toBe('forbidden');
      expect((await alt.agent.ok<{ meetings: Array<{ id: string }> }>('GET', '/api/meetings')).meetings.map((m) => m.id)).not.toContain(id);

      // … but only the one who reads that inbox gets the host's rights.
      await verifyByMail(alt.agent, altEmail);
      // Nobody else holds host in the room, so the alternative host's claim makes them host.
      expect(await joinAs(id, alt.agent.cookie, 'Alt', 2)).toBe('host');
      expect((await alt.agent.ok<{ alternativeHosts: string[] }>('GET', `/api/meetings/${id}/details`)).alternativeHosts).toEqual([altEmail]);
      expect((await alt.agent.ok<{ meetings: Array<{ id: string }> }>('GET', '/api/meetings')).meetings.map((m) => m.id)).toContain(id);
    },
    SCRYPT_MS,
  );

  it(
    'the owner needs no verification for their own meeting',
    async () => {
      const { agent } = await signUp();
      const { id } = await agent.ok<{ id: string }>('POST', '/api/meetings', { topic: 'Mine' }, 201);
      expect(await joinAs(id, agent.cookie, 'Me', 3)).toBe('host');
    },
    SCRYPT_MS,
  );
});

describe('mail transport', () => {
  const config = () => smtpConfigFromEnv(env);

  it(
    'says clearly when mail is not configured; sign-up still works and resend answers 503',
    async () => {
      expect(() => smtpConfigFromEnv({})).toThrow(MailNotConfigured);
      expect(() => smtpConfigFromEnv({})).toThrow('outgoing mail is not configured: set SMTP_HOST and SMTP_FROM');
      expect(() => smtpConfigFromEnv({ SMTP_HOST: 'mail.example.com', SMTP_FROM: 'not an address' })).toThrow(/SMTP_FROM/);
      expect(() => smtpConfigFromEnv({ SMTP_HOST: 'mail.example.com', SMTP_FROM: 'a@b.c', SMTP_USER: 'u' })).toThrow(/SMTP_PASSWORD/);
      expect(smtpConfigFromEnv({ SMTP_HOST: 'mail.example.com', SMTP_FROM: 'Sealroom <a@b.c>' })).toMatchObject({
        port: 587,
        security: 'starttls',
        fromAddress: 'a@b.c',
      });
      expect(smtpConfigFromEnv({ SMTP_HOST: 'mail.example.com', SMTP_FROM: 'a@b.c', SMTP_SECURE: 'tls' })).toMatchObject({ port: 465, security: 'tls' });

      const unconfigured = { ...env, SMTP_HOST: undefined };
      const email = uniqueEmail('nomail');
      const signup = await app.request(
        '/api/auth/signup',
        {
          method: 'POST',
          headers: { 'cf-connecting-ip': '198.51.100.9' },
          body: JSON.stringify({ orgName: 'No Mail', name: 'Nia', email, password: GOOD_PASSWORD }),
        },
        unconfigured,
      );
      expect(signup.status).toBe(201);
      const info = await signup.json<SessionInfo>();
      const cookie = /__Host-sealroom_session=[^;]+/.exec(signup.headers.get('set-cookie')!)![0];
      const resend = await app.request(
        '/api/account/verify-email/resend',
        { method: 'POST', headers: { cookie, 'x-csrf-token': info.csrfToken } },
        unconfigured,
      );
      expect(resend.status).toBe(503);
      expect(await resend.json()).toEqual({ error: { code: 'mail_unavailable', message: 'outgoing mail is not configured on this server; ask its operator' } });
      expect(await mailsTo(email)).toHaveLength(0);
    },
    SCRYPT_MS,
  );

  it('dot-stuffs, encodes UTF-8 and sends both parts', async () => {
    const to = uniqueEmail('dots');
    const text = 'first\n.\n.. two dots\n.leading dot\nend = sign, trailing space \n' + 'long '.repeat(40) + '\n中文行';
    await new SmtpProvider(config()).send({ to, subject: 'Grüße — 你好 '.repeat(4), text, html: '<p>.hi</p>' });
    const [mail] = await waitForMails(to);
    expect(mail!.subject).toBe('Grüße — 你好 '.repeat(4));
    expect(mail!.text.replace(/\n$/, '')).toBe(text);
    expect(mail!.html).toContain('<p>.hi</p>');
  });

  it('builds 7-bit messages with lines of at most 76 characters and no header injection', () => {
    const raw = buildMessage(
      { to: 'a@b.test', subject: 'x\r\nBcc: evil@c.test ' + '长'.repeat(40), text: `${'é'.repeat(100)}\n${'='.repeat(90)}\ntrailing \n`, html: '<b>hi</b>' },
      { header: 'S <s@d.test>', address: 's@d.test' },
    );
    const lines = raw.split('\r\n');
    expect(lines.filter((l) => l.length > 76 || !/^[\x20-\x7e]*$/.test(l))).toEqual([]);
    expect(lines.some((l) => l.startsWith('Bcc:'))).toBe(false);
    expect(raw).toContain('trailing=20');
  });

  it('checks reply codes: a refused recipient and an unreachable relay are MailErrors', async () => {
    const refused = new SmtpProvider(config()).send({ to: 'nobody@refused.invalid', subject: 's', text: 't' });
    await expect(refused).rejects.toThrow(MailError);
    await expect(refused).rejects.toMatchObject({ replyCode: 550, message: expect.stringContaining('RCPT TO refused: 550') });
    const closed = new SmtpProvider({ ...config(), port: 1 }).send({ to: 'a@b.test', subject: 's', text: 't' });
    await expect(closed).rejects.toThrow(/cannot reach the SMTP server 127\.0\.0\.1:1/);
    // STARTTLS is required unless SMTP_SECURE=off: a relay that does not offer it gets nothing.
    const plainOnly = new SmtpProvider({ ...config(), security: 'starttls' }).send({ to: 'a@b.test', subject: 's', text: 't' });
    await expect(plainOnly).rejects.toThrow('the SMTP server does not offer STARTTLS');
    const credsInClear = new SmtpProvider({ ...config(), auth: { user: 'u', password: 'p' } }).send({ to: 'a@b.test', subject: 's', text: 't' });
    await expect(credsInClear).rejects.toThrow('refusing to send SMTP credentials without TLS');
  });

  it('refuses addresses that would inject SMTP commands', async () => {
    const bad = new SmtpProvider(config()).send({ to: 'a@b.test>\r\nRCPT TO:<c@d.test', subject: 's', text: 't' });
    await expect(bad).rejects.toThrow('the recipient is not a plain address');
  });
});
