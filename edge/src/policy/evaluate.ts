/**
 * The policy decision, pure: a role, an action and the request's facts in, allow or a reason out.
 * The middleware (middleware.ts) gathers the facts; this file decides, so it is tested as a table.
 */
import type { AccountErrorCode, Action, OrgRole, SecurityPolicy, TimeWindow } from '@sealroom/protocol';
import { ipAllowed } from './ip.ts';
import { ENROLMENT_ACTIONS, STATEMENTS, type Statement } from './statements.ts';

export interface Facts {
  role: OrgRole;
  action: Action;
  /** Did this credential prove a second factor (session after TOTP, or minted by such a session)? */
  mfa: boolean;
  ip: string | null;
  now: number;
  /** For scoped tokens: the actions the token carries. Absent for sessions and API keys. */
  scopes?: readonly Action[];
  policy: SecurityPolicy;
  /** The password is older than the policy's maximum age: only enrolment-level actions remain. */
  passwordExpired?: boolean;
}

export type Decision = { allow: true } | { allow: false; code: AccountErrorCode; reason: string };

export function inWindow(w: TimeWindow, now: number): boolean {
  const d = new Date(now);
  const day = d.getUTCDay();
  const minute = d.getUTCHours() * 60 + d.getUTCMinutes();
  if (w.startMinute <= w.endMinute) return w.days.includes(day) && minute >= w.startMinute && minute < w.endMinute;
  // Overnight window: it belongs to the day it starts on.
  if (minute >= w.startMinute) return w.days.includes(day);
  return minute < w.endMinute && w.days.includes((day + 6) % 7);
}

function conditionFailure(s: Statement, f: Facts): Decision | null {
  if (s.conditions.ip && !ipAllowed(f.ip, f.policy.allowedIpRanges))
    return { allow: false, code: 'policy_denied', reason: 'source address outside the allowed ranges' };
  if (s.conditions.mfa === 'if-required' && f.policy.mfaRequired && !f.mfa)
    return { allow: false, code: 'mfa_required', reason: 'this organization requires multi-factor authentication' };
  if (s.conditions.window === 'admin' && f.policy.adminWindow && !inWindow(f.policy.adminWindow, f.now))
    return { allow: false, code: 'policy_denied', reason: 'outside the administration time window' };
  return null;
}

export function evaluate(f: Facts): Decision {
  if (f.scopes && !f.scopes.includes(f.action)) return { allow: false, code: 'scope_exceeded', reason: `token scope does not include ${f.action}` };
  const granting = STATEMENTS.filter((s) => s.roles.includes(f.role) && s.actions.includes(f.action));
  if (granting.length === 0) return { allow: false, code: 'forbidden', reason: `${f.role} may not ${f.action}` };
  if (f.passwordExpired && !ENROLMENT_ACTIONS.includes(f.action)) return { allow: false, code: 'password_expired', reason: 'change your password first' };
  let firstFailure: Decision | null = null;
  for (const s of granting) {
    const failure = conditionFailure(s, f);
    if (!failure) return { allow: true };
    firstFailure ??= failure;
  }
  return firstFailure!;
}
