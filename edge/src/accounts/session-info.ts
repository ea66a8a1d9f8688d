/** Issuing and describing sessions: the one place that sets the cookie, so rotation is uniform. */
import type { SessionInfo } from '@sealroom/protocol';
import type { Ctx } from './context.ts';
import { clientIp } from './context.ts';
import { passwordExpired } from './password-policy.ts';
import { type Session, createSession, deleteSession, setSessionCookie, sessionToken, findSession } from './sessions.ts';
import type { Org, User } from './store.ts';

export function sessionInfo(user: User, org: Org, session: Session, now = Date.now()): SessionInfo {
  return {
    user: { id: user.id, email: user.email, name: user.name, role: user.role, mfaEnabled: user.mfaEnabled, emailVerified: user.emailVerifiedAt !== null },
    org: { id: org.id, name: org.name, tier: org.tier },
    mfa: session.mfa,
    csrfToken: session.csrf,
    passwordExpired: user.samlNameId === null && passwordExpired(user.passwordChangedAt, org.policy.password, now),
  };
}

/** Ends whatever session the request carried and starts a new one: a fresh id at every change of privilege. */
export async function rotateSession(c: Ctx, user: User, org: Org, opts: { mfa: boolean; pendingMfa: boolean }): Promise<Session> {
  const old = sessionToken(c);
  if (old) {
    const s = await findSession(c.env.DB, old);
    if (s) await deleteSession(c.env.DB, s.idHash);
  }
  const { token, session } = await createSession(c.env.DB, user.id, { ...opts, hours: org.policy.sessionHours, ip: clientIp(c) });
  setSessionCookie(c, token, Math.floor((session.expiresAt - session.createdAt) / 1000));
  return session;
}
