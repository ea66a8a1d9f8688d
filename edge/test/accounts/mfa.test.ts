import * as OTPAuth from 'otpauth';
import { describe, expect, it, vi } from 'vitest';
import { Agent, GOOD_PASSWORD, addUser, env, newOrg } from './helpers.ts';

// Every sign-in runs scrypt and several D1 round trips; under a full parallel run that needs more than 5 s.
vi.setConfig({ testTimeout: 30_000 });

/** The reference: codes straight from `otpauth`, never through totp.ts's window and replay rules. */
const reference = (secret: string) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });

async function enrol(agent: Agent) {
  const { secret, uri } = await agent.ok('POST', '/api/account/mfa/enroll');
  const totp = reference(secret);
  // Use the previous step so the sign-in that follows can use the current one (a step is accepted once).
  const confirm = await agent.ok('POST', '/api/account/mfa/confirm', { code: totp.generate({ timestamp: Date.now() - 30_000 }) });
  return { secret, uri, totp, recoveryCodes: confirm.recoveryCodes as string[] };
}

describe('MFA enrolment and sign-in', () => {
  it('enrols, then sign-in needs the code; the session is rotated and carries MFA', async () => {
    const { owner, email } = await newOrg();
    const { uri, totp, recoveryCodes } = await enrol(owner);
    expect(uri).toMatch(/^otpauth:\/\/totp\/Sealroom:/);
    expect(recoveryCodes).toHaveLength(10);

    const a = new Agent();
    const first = await a.ok('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD });
    expect(first).toMatchObject({ mfaRequired: true });
    expect(first.user).toBeUndefined();
    const pendingCookie = a.cookie;
    expect(await a.fails('GET', '/api/account', undefined, 401)).toBe('mfa_required');
    const info = await a.ok('POST', '/api/auth/mfa/verify', { code: totp.generate() });
    expect(info.mfa).toBe(true);
    expect(a.cookie).not.toBe(pendingCookie);
    await a.ok('GET', '/api/account');
  });

  it('stores the TOTP secret sealed, never in clear', async () => {
    const { owner, email } = await newOrg();
    const { secret } = await enrol(owner);
    const row = await env.DB.prepare('SELECT mfa_secret_sealed FROM users WHERE email = ?').bind(email).first<{ mfa_secret_sealed: string }>();
    expect(row!.mfa_secret_sealed).toMatch(/^ev2\./);
    expect(row!.mfa_secret_sealed).not.toContain(secret);
  });

  it('refuses a replayed code and a wrong code, and counts wrong codes toward lockout', async () => {
    const { owner, email } = await newOrg();
    const { totp } = await enrol(owner);
    const a = new Agent();
    await a.ok('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD });
    const code = totp.generate();
    await a.ok('POST', '/api/auth/mfa/verify', { code });
    const b = new Agent();
    await b.ok('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD });
    expect(await b.fails('POST', '/api/auth/mfa/verify', { code }, 401)).toBe('mfa_invalid');
    const wrong = code === '000000' ? '111111' : '000000';
    expect(await b.fails('POST', '/api/auth/mfa/verify', { code: wrong }, 401)).toBe('mfa_invalid');
    const row = await env.DB.prepare('SELECT failed_count FROM users WHERE email = ?').bind(email).first<{ failed_count: number }>();
    expect(row!.failed_count).toBe(2);
  });

  it('accepts each recovery code once, stored only hashed', async () => {
    const { owner, email, info } = await newOrg();
    const { recoveryCodes } = await enrol(owner);
    const stored = await env.DB.prepare('SELECT code_hash FROM recovery_codes WHERE user_id = ?').bind(info.user.id).all<{ code_hash: string }>();
    expect(stored.results).toHaveLength(10);
    expect(stored.results.map((r) => r.code_hash)).not.toContain(recoveryCodes[0]);
    const a = new Agent();
    await a.ok('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD });
    await a.ok('POST', '/api/auth/mfa/verify', { code: recoveryCodes[0] });
    const b = new Agent();
    await b.ok('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD });
    expect(await b.fails('POST', '/api/auth/mfa/verify', { code: recoveryCodes[0] }, 401)).toBe('mfa_invalid');
  });

  it('"MFA required": members without MFA may only enrol; after enrolment they may act', async () => {
    const { owner } = await newOrg();
    // The admin must hold MFA before requiring it.
    expect(await owner.fails('PATCH', '/api/admin/policy', { mfaRequired: true }, 409)).toBe('conflict');
    await enrol(owner);
    const m = await addUser(owner, 'member');
    await owner.ok('PATCH', '/api/admin/policy', { mfaRequired: true });
    expect(await m.agent.fails('POST', '/api/account/tokens', { scopes: ['meeting:create'] }, 403)).toBe('mfa_required');
    await m.agent.ok('GET', '/api/account');
    await enrol(m.agent);
    await m.agent.ok('POST', '/api/account/tokens', { scopes: ['meeting:create'] }, 201);
    // With MFA required, removing the authenticator is refused.
    expect(await m.agent.fails('DELETE', '/api/account/mfa', undefined, 403)).toBe('policy_denied');
  });
});
