/** Sign-up, sign-in (password, then MFA when enrolled), sign-out, and the current session. */
import { DEFAULT_SECURITY_POLICY, MfaVerifyInput, SignInInput, SignUpInput } from '@sealroom/protocol';
import { Hono } from 'hono';
import { publicRoute, sessionRoute } from '../policy/guard.ts';
import { jsonBody } from '../http/body.ts';
import { type AppEnv, auditRequest, clientIp, kmsOf } from './context.ts';
import { fail } from '../http/errors.ts';
import { verifySecondFactor } from './mfa.ts';
import { hashAccountPassword, scryptLogN } from './password-cost.ts';
import { checkPasswordShape } from './password-policy.ts';
import { rotateSession, sessionInfo } from './session-info.ts';
import { checkPassword } from './signin.ts';
import { mailVerificationLink } from './email-verification-routes.ts';
import { clearSessionCookie, deleteSession } from './sessions.ts';
import { createOrg, createUser, getOrg } from './store.ts';

/** A `retry-after` value in whole seconds, at least 1 (0 would invite an immediate retry). */
const retryAfter = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));

export const authRoutes = new Hono<AppEnv>()
  .post('/signup', publicRoute(), jsonBody(SignUpInput), async (c) => {
    const input = c.req.valid('json');
    // A new organization starts from the default policy, so that is what the owner's password must meet.
    const problems = checkPasswordShape(input.password, DEFAULT_SECURITY_POLICY.password, input.email);
    if (problems.length) fail(400, 'password_policy', `password: ${problems.join(', ')}`);
    // Hash first: a busy scrypt gate then refuses before anything is written.
    const hash = await hashAccountPassword(input.password, scryptLogN(c.env.SCRYPT_LOG_N));
    const org = await createOrg(c.env.DB, input.orgName, 100);
    const user = await createUser(c.env.DB, { orgId: org.id, email: input.email, name: input.name, role: 'owner', passwordHash: hash });
    if (!user) {
      await c.env.DB.prepare('DELETE FROM orgs WHERE id = ?').bind(org.id).run();
      fail(409, 'conflict', 'an account with this email exists');
    }
    const session = await rotateSession(c, user, org, { mfa: false, pendingMfa: false });
    await auditRequest(c, { action: 'org.create', result: 'ok', actor: user.id, orgId: org.id, role: 'owner', target: org.id });
    // The account stands without a verified address (it only lacks rights granted by email), so a
    // mail failure does not undo the sign-up: the person can ask for another link once signed in.
    await mailVerificationLink(c, user, { orgId: org.id, role: 'owner' });
    return c.json(sessionInfo(user, org, session), 201);
  })
  .post('/signin', publicRoute(), jsonBody(SignInInput), async (c) => {
    const input = c.req.valid('json');
    const outcome = await checkPassword(c.env.DB, input.email, input.password, clientIp(c), scryptLogN(c.env.SCRYPT_LOG_N));
    if (!outcome.ok) {
      await auditRequest(c, {
        action: 'auth.signin',
        result: outcome.reason,
        actor: outcome.user?.id ?? null,
        orgId: outcome.user?.orgId ?? null,
        role: outcome.user?.role ?? null,
        detail: outcome.user ? 'password' : 'unknown email',
      });
      if (outcome.reason === 'account_locked') {
        c.header('retry-after', retryAfter(outcome.retryAfterMs));
        fail(429, 'account_locked', 'too many failed attempts; try again later');
      }
      if (outcome.reason === 'busy') {
        c.header('retry-after', retryAfter(outcome.retryAfterMs));
        fail(503, 'busy', 'too many sign-ins at once; try again shortly');
      }
      if (outcome.reason === 'account_disabled') fail(403, 'account_disabled', 'this account is disabled');
      fail(401, 'bad_credentials', 'wrong email or password');
    }
    const user = outcome.user;
    const org = await getOrg(c.env.DB, user.orgId);
    if (!org) fail(401, 'bad_credentials', 'wrong email or password');
    const pending = user.mfaEnabled;
    const session = await rotateSession(c, user, org, { mfa: false, pendingMfa: pending });
    await auditRequest(c, {
      action: 'auth.signin',
      result: pending ? 'mfa_pending' : 'ok',
      actor: user.id,
      orgId: org.id,
      role: user.role,
      detail: 'password',
    });
    // The pending session still needs its CSRF token: the code is sent with a POST.
    if (pending) return c.json({ mfaRequired: true as const, csrfToken: session.csrf });
    return c.json(sessionInfo(user, org, session));
  })
  .post('/mfa/verify', sessionRoute(), jsonBody(MfaVerifyInput), async (c) => {
    const p = c.get('principal');
    if (p.kind !== 'session') fail(401, 'unauthenticated', 'sign in first');
    const { code } = c.req.valid('json');
    if (!p.user.mfaEnabled) fail(400, 'mfa_not_enrolled', 'no authenticator is enrolled');
    const outcome = await verifySecondFactor(c.env.DB, await kmsOf(c.env), p.user.id, code);
    if (!outcome.ok) {
      await auditRequest(c, { action: 'auth.mfa', result: outcome.reason });
      if (outcome.reason === 'account_locked') {
        c.header('retry-after', retryAfter(outcome.retryAfterMs));
        fail(429, 'account_locked', 'too many failed attempts; try again later');
      }
      if (outcome.reason === 'mfa_not_enrolled') fail(400, 'mfa_not_enrolled', 'no authenticator is enrolled');
      fail(401, 'mfa_invalid', 'wrong or already used code');
    }
    const { user, kind } = outcome;
    const session = await rotateSession(c, user, p.org, { mfa: true, pendingMfa: false });
    await auditRequest(c, { action: 'auth.mfa', result: 'ok', detail: kind });
    return c.json(sessionInfo(user, p.org, session));
  })
  .post('/signout', sessionRoute(), async (c) => {
    const p = c.get('principal');
    if (p.kind === 'session') {
      await deleteSession(c.env.DB, p.session.idHash);
      await auditRequest(c, { action: 'auth.signout', result: 'ok' });
    }
    clearSessionCookie(c);
    return c.body(null, 204);
  })
  .get('/session', sessionRoute(), (c) => {
    const p = c.get('principal');
    if (p.kind !== 'session') fail(401, 'unauthenticated', 'sign in first');
    if (p.session.pendingMfa) return c.json({ mfaRequired: true as const, csrfToken: p.session.csrf });
    return c.json(sessionInfo(p.user, p.org, p.session));
  });
