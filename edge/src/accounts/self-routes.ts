/** The caller's own account: password, MFA enrolment, recovery codes, API keys, tokens, export, erasure. */
import { ApiKeyCreateInput, ApiKeyPatchInput, MfaConfirmInput, PasswordChangeInput, TokenCreateInput } from '@sealroom/protocol';
import { Hono } from 'hono';
import { requires } from '../policy/guard.ts';
import { jsonBody } from '../http/body.ts';
import { openField, sealField, shredField } from '../kms/envelope.ts';
import { actionsOfRole } from '../policy/statements.ts';
import { apiKeyView, createApiKey, deleteApiKey, getApiKey, listApiKeys, rotateApiKey } from './apikeys.ts';
import { type AppEnv, auditRequest, caller, kmsOf } from './context.ts';
import { eraseUser, exportUser } from './data-rights.ts';
import { fail } from '../http/errors.ts';
import { changePassword } from './password-change.ts';
import { scryptLogN, verifyAccountPassword } from './password-cost.ts';
import { issueRecoveryCodes, remainingRecoveryCodes } from './recovery.ts';
import { rotateSession, sessionInfo } from './session-info.ts';
import { clearSessionCookie, endUserSessions } from './sessions.ts';
import { countOwners, getUser, userView } from './store.ts';
import { createToken } from './tokens.ts';
import { newTotpSecret, otpauthUri, verifyTotp } from './totp.ts';

export const selfRoutes = new Hono<AppEnv>()
  .get('/', requires('self:read'), async (c) => {
    const p = caller(c);
    return c.json({
      user: userView(p.user),
      org: { id: p.org.id, name: p.org.name, tier: p.org.tier },
      via: p.kind,
      mfa: p.mfa,
      recoveryCodesRemaining: await remainingRecoveryCodes(c.env.DB, p.user.id),
    });
  })
  .post('/password', requires('self:manage'), jsonBody(PasswordChangeInput), async (c) => {
    const p = caller(c);
    const input = c.req.valid('json');
    if (p.kind !== 'session') fail(403, 'forbidden', 'passwords change in a browser session');
    if (!p.user.passwordHash || !(await verifyAccountPassword(input.current, p.user.passwordHash))) {
      await auditRequest(c, { action: 'account.password', result: 'bad_credentials' });
      fail(401, 'bad_credentials', 'current password is wrong');
    }
    await changePassword(c.env.DB, p.user.id, p.user.email, input.next, p.org.policy.password, scryptLogN(c.env.SCRYPT_LOG_N));
    // Everyone holding the old session (or any other) is signed out; this browser gets a fresh id.
    await endUserSessions(c.env.DB, p.user.id);
    const user = (await getUser(c.env.DB, p.user.id))!;
    const session = await rotateSession(c, user, p.org, { mfa: p.mfa, pendingMfa: false });
    await auditRequest(c, { action: 'account.password', result: 'ok' });
    return c.json(sessionInfo(user, p.org, session));
  })
  .post('/mfa/enroll', requires('self:manage'), async (c) => {
    const p = caller(c);
    if (p.kind !== 'session') fail(403, 'forbidden', 'MFA is enrolled in a browser session');
    if (p.user.mfaEnabled) fail(409, 'mfa_already_enrolled', 'an authenticator is already enrolled; remove it first');
    const kms = await kmsOf(c.env);
    const secret = newTotpSecret();
    const sealed = await sealField(c.env.DB, kms, { userId: p.user.id, orgId: p.org.id }, 'totp', secret);
    // A second enrol before confirming replaces the first secret; its data key is shredded.
    await shredField(c.env.DB, p.user.mfaSecretSealed);
    await c.env.DB.prepare('UPDATE users SET mfa_secret_sealed = ?, mfa_enabled = 0, mfa_last_step = 0 WHERE id = ?').bind(sealed, p.user.id).run();
    await auditRequest(c, { action: 'account.mfa.enroll', result: 'ok' });
    return c.json({ secret, uri: otpauthUri(secret, p.user.email) });
  })
  .post('/mfa/confirm', requires('self:manage'), jsonBody(MfaConfirmInput), async (c) => {
    const p = caller(c);
    if (p.kind !== 'session') fail(403, 'forbidden', 'MFA is enrolled in a browser session');
    const { code } = c.req.valid('json');
    if (p.user.mfaEnabled) fail(409, 'mfa_already_enrolled', 'an authenticator is already enrolled');
    if (!p.user.mfaSecretSealed) fail(400, 'mfa_not_enrolled', 'start enrolment first');
    const secret = await openField(c.env.DB, await kmsOf(c.env), { userId: p.user.id }, 'totp', p.user.mfaSecretSealed);
    const step = await verifyTotp(secret, code, Date.now(), p.user.mfaLastStep);
    if (step === null) {
      await auditRequest(c, { action: 'account.mfa.confirm', result: 'mfa_invalid' });
      fail(400, 'mfa_invalid', 'wrong code; check the time on your device');
    }
    await c.env.DB.prepare('UPDATE users SET mfa_enabled = 1, mfa_last_step = ? WHERE id = ?').bind(step, p.user.id).run();
    const codes = await issueRecoveryCodes(c.env.DB, p.user.id);
    const user = (await getUser(c.env.DB, p.user.id))!;
    // Privilege change: the session now carries MFA, so it gets a new id.
    const session = await rotateSession(c, user, p.org, { mfa: true, pendingMfa: false });
    await auditRequest(c, { action: 'account.mfa.confirm', result: 'ok' });
    return c.json({ recoveryCodes: codes, session: sessionInfo(user, p.org, session) });
  })
  .post('/mfa/recovery-codes', requires('self:manage'), async (c) => {
    const p = caller(c);
    if (!p.user.mfaEnabled || !p.mfa) fail(403, 'mfa_required', 'sign in with your authenticator first');
    const codes = await issueRecoveryCodes(c.env.DB, p.user.id);
    await auditRequest(c, { action: 'account.mfa.recovery_codes', result: 'ok' });
    return c.json({ recoveryCodes: codes });
  })
  .delete('/mfa', requires('self:manage'), async (c) => {
    const p = caller(c);
    if (!p.mfa) fail(403, 'mfa_required', 'sign in with your authenticator first');
    if (p.org.policy.mfaRequired) fail(403, 'policy_denied', 'this organization requires MFA');
    await shredField(c.env.DB, p.user.mfaSecretSealed);
    await c.env.DB.batch([
      c.env.DB.prepare('UPDATE users SET mfa_secret_sealed = NULL, mfa_enabled = 0, mfa_last_step = 0 WHERE id = ?').bind(p.user.id),
      c.env.DB.prepare('DELETE FROM recovery_codes WHERE user_id = ?').bind(p.user.id),
    ]);
    await auditRequest(c, { action: 'account.mfa.remove', result: 'ok' });
    return c.body(null, 204);
  })
  .get('/export', requires('data:export'), async (c) => {
    const p = caller(c);
    const archive = await exportUser(c.env.DB, await kmsOf(c.env), p.user, p.org);
    await auditRequest(c, { action: 'data.export', result: 'ok', target: p.user.id });
    return c.json(archive, 200, { 'content-disposition': `attachment; filename="sealroom-export-${p.user.id}.json"` });
  })
  .delete('/', requires('self:manage'), async (c) => {
    const p = caller(c);
    if (p.kind !== 'session') fail(403, 'forbidden', 'an account is deleted from a browser session');
    if (p.user.role === 'owner' && (await countOwners(c.env.DB, p.org.id)) <= 1)
      fail(409, 'last_owner', 'transfer ownership or delete the organization instead');
    const shredded = await eraseUser(c.env.DB, p.user.id);
    await auditRequest(c, { action: 'data.erase', result: 'ok', target: p.user.id, detail: `self; ${shredded} data keys shredded` });
    clearSessionCookie(c);
    return c.body(null, 204);
  })
  .get('/keys', requires('apikey:manage'), async (c) => {
    const p = caller(c);
    return c.json({ keys: (await listApiKeys(c.env.DB, p.user.id)).map(apiKeyView) });
  })
  .post('/keys', requires('apikey:manage'), jsonBody(ApiKeyCreateInput), async (c) => {
    const p = caller(c);
    const { label } = c.req.valid('json');
    // A key can mint more keys only through a browser session: a leaked key must not multiply itself.
    if (p.kind !== 'session') fail(403, 'forbidden', 'API keys are created in a browser session');
    const { id, secret } = await createApiKey(c.env.DB, await kmsOf(c.env), { userId: p.user.id, orgId: p.org.id }, label);
    await auditRequest(c, { action: 'apikey.create', result: 'ok', target: id });
    return c.json({ id, secret, label }, 201);
  })
  .patch('/keys/:id', requires('apikey:manage'), jsonBody(ApiKeyPatchInput), async (c) => {
    const p = caller(c);
    const { disabled } = c.req.valid('json');
    const key = await getApiKey(c.env.DB, c.req.param('id'));
    if (!key || key.user_id !== p.user.id) fail(404, 'not_found', 'no such key');
    await c.env.DB.prepare('UPDATE api_keys SET disabled = ? WHERE id = ?')
      .bind(disabled ? 1 : 0, key.id)
      .run();
    await auditRequest(c, { action: disabled ? 'apikey.disable' : 'apikey.enable', result: 'ok', target: key.id });
    return c.json(apiKeyView({ ...key, disabled: disabled ? 1 : 0 }));
  })
  .delete('/keys/:id', requires('apikey:manage'), async (c) => {
    const p = caller(c);
    const key = await getApiKey(c.env.DB, c.req.param('id'));
    if (!key || key.user_id !== p.user.id) fail(404, 'not_found', 'no such key');
    await deleteApiKey(c.env.DB, key);
    await auditRequest(c, { action: 'apikey.delete', result: 'ok', target: key.id });
    return c.body(null, 204);
  })
  .post('/keys/:id/rotate', requires('apikey:manage'), async (c) => {
    const p = caller(c);
    if (p.kind !== 'session') fail(403, 'forbidden', 'API keys are rotated in a browser session');
    const key = await getApiKey(c.env.DB, c.req.param('id'));
    if (!key || key.user_id !== p.user.id) fail(404, 'not_found', 'no such key');
    const secret = await rotateApiKey(c.env.DB, await kmsOf(c.env), key, p.org.id);
    await auditRequest(c, { action: 'apikey.rotate', result: 'ok', target: key.id });
    return c.json({ id: key.id, secret, label: key.label });
  })
  .post('/tokens', requires('token:create'), jsonBody(TokenCreateInput), async (c) => {
    const p = caller(c);
    const input = c.req.valid('json');
    // A token can only narrow: its scopes must be within the caller's role (and the caller's own scopes, for a token minting a token).
    const ceiling = p.kind === 'token' ? p.scopes.filter((a) => actionsOfRole(p.user.role).includes(a)) : actionsOfRole(p.user.role);
    const beyond = input.scopes.filter((s) => !ceiling.includes(s));
    if (beyond.length) fail(403, 'scope_exceeded', `not yours to grant: ${beyond.join(', ')}`);
    const { token, expiresAt } = await createToken(c.env.DB, p.user.id, [...new Set(input.scopes)], p.mfa, input.ttlSeconds);
    await auditRequest(c, { action: 'token.create', result: 'ok', detail: `${p.kind}; scopes ${input.scopes.join(' ')}; ttl ${input.ttlSeconds}s` });
    return c.json({ token, expiresAt, scopes: input.scopes }, 201);
  });
