/**
 * `POST /api/auth/verify-email` uses a link; `POST /api/account/verify-email/resend` mails a new
 * one. Using a link needs the signed-in account it was mailed for: the token proves the inbox,
 * the sign-in proves the account, and only both together bind the two. Someone who signs up with
 * another person's address cannot get it verified by that person clicking the link.
 */
import { type ResendVerificationResult, VerifyEmailInput, type VerifyEmailResult } from '@sealroom/protocol';
import { Hono } from 'hono';
import { requires } from '../policy/guard.ts';
import { jsonBody } from '../http/body.ts';
import { MailError, MailNotConfigured, mailProviderFromEnv } from '../mail/index.ts';
import { type AppEnv, type Ctx, auditRequest, caller } from './context.ts';
import { RESEND_INTERVAL_MS, consumeVerification, resendWait, sendVerification } from './email-verification.ts';
import { fail } from '../http/errors.ts';
import type { User } from './store.ts';

const log = (event: Record<string, unknown>) => console.log(JSON.stringify(event));

/** The origin links point to: the configured public one, so a forged Host header cannot redirect them. */
const originOf = (c: Ctx) => c.env.PUBLIC_ORIGIN ?? new URL(c.req.url).origin;

export type MailOutcome = 'sent' | 'rate_limited' | 'unconfigured' | 'failed';

/**
 * Mails a verification link to `user`; failures of the mail path are logged and audited, and
 * the caller decides whether they fail its request (sign-up: no; resend: yes).
 */
export async function mailVerificationLink(c: Ctx, user: User, audit: { orgId: string; role: string }, opts: { limited?: boolean } = {}): Promise<MailOutcome> {
  const facts = { actor: user.id, target: user.id, ...audit };
  try {
    if (!(await sendVerification(c.env.DB, mailProviderFromEnv(c.env), user, originOf(c), opts))) return 'rate_limited';
    await auditRequest(c, { action: 'email.verification_sent', result: 'ok', ...facts });
    return 'sent';
  } catch (err) {
    if (!(err instanceof MailNotConfigured || err instanceof MailError)) throw err;
    log({ event: 'mail_failed', kind: err.name, message: err.message, userId: user.id });
    await auditRequest(c, { action: 'email.verification_sent', result: 'mail_unavailable', detail: err.message.slice(0, 200), ...facts });
    return err instanceof MailNotConfigured ? 'unconfigured' : 'failed';
  }
}

export const emailVerificationRoutes = new Hono<AppEnv>()
  .post('/auth/verify-email', requires('self:manage'), jsonBody(VerifyEmailInput), async (c) => {
    // A full principal of the account (MFA done where the organization asks for it): it gains rights by this.
    const p = caller(c);
    const { token } = c.req.valid('json');
    const outcome = await consumeVerification(c.env.DB, p.user.id, token);
    if (!outcome.ok) {
      await auditRequest(c, { action: 'email.verify', result: outcome.reason });
      if (outcome.reason === 'expired') fail(410, 'verification_expired', 'this link has expired; ask for a new one');
      if (outcome.reason === 'other_account') fail(403, 'verification_invalid', 'this link was sent for another account; sign in to that one');
      fail(400, 'verification_invalid', 'this link is not valid or was already used');
    }
    await auditRequest(c, { action: 'email.verify', result: 'ok', target: p.user.id });
    return c.json({ emailVerified: true, email: outcome.email } satisfies VerifyEmailResult);
  })
  .post('/account/verify-email/resend', requires('self:manage'), async (c) => {
    const p = caller(c);
    if (p.user.emailVerifiedAt !== null) fail(409, 'already_verified', 'this email address is already verified');
    const outcome = await mailVerificationLink(c, p.user, { orgId: p.org.id, role: p.user.role }, { limited: true });
    if (outcome === 'rate_limited') {
      const wait = Math.max(1, await resendWait(c.env.DB, p.user.id));
      c.header('retry-after', String(wait));
      fail(429, 'rate_limited', `a link was sent recently; try again in ${wait} s`);
    }
    if (outcome === 'unconfigured') fail(503, 'mail_unavailable', 'outgoing mail is not configured on this server; ask its operator');
    if (outcome === 'failed') fail(503, 'mail_unavailable', 'the mail server could not take the message; try again later');
    return c.json({ sentTo: p.user.email, retryAfterSeconds: RESEND_INTERVAL_MS / 1000 } satisfies ResendVerificationResult);
  });
