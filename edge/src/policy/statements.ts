/**
 * Who may do what, as data. Each statement allows some roles some actions under conditions;
 * anything no statement allows is denied. Conditions come from the organization's security
 * policy, so an admin tightens them without code changes:
 *
 *   ip      — the request's source address must be in `allowedIpRanges` (when the list is non-empty)
 *   mfa     — 'if-required': the credential must carry MFA when the org sets `mfaRequired`
 *   window  — 'admin': the action must fall inside `adminWindow` (when set)
 */
import type { Action, OrgRole } from '@sealroom/protocol';

export interface Statement {
  roles: readonly OrgRole[];
  actions: readonly Action[];
  conditions: { ip: boolean; mfa: 'if-required' | 'never'; window: 'admin' | 'none' };
}

/** Reachable before MFA is set up, or nobody could enrol when the org requires it. */
export const ENROLMENT_ACTIONS: readonly Action[] = ['self:read', 'self:manage'];

export const MEMBER_ACTIONS: readonly Action[] = [
  'meeting:create',
  'meeting:update',
  'meeting:delete',
  'meeting:host',
  'meeting:read-details',
  'recording:create',
  'recording:read',
  'recording:share',
  'recording:delete',
  'org:read',
  'apikey:manage',
  'token:create',
  'data:export',
];

export const ADMIN_ACTIONS: readonly Action[] = [
  'user:read',
  'user:manage',
  'policy:manage',
  'audit:read',
  'audit:verify',
  'usage:read',
  'data:erase',
  // How long the organization keeps every member's recordings is an organization setting.
  'recording:retention',
];

export const OWNER_ACTIONS: readonly Action[] = ['org:manage'];

export const STATEMENTS: readonly Statement[] = [
  { roles: ['owner', 'admin', 'member'], actions: ENROLMENT_ACTIONS, conditions: { ip: true, mfa: 'never', window: 'none' } },
  { roles: ['owner', 'admin', 'member'], actions: MEMBER_ACTIONS, conditions: { ip: true, mfa: 'if-required', window: 'none' } },
  { roles: ['owner', 'admin'], actions: ADMIN_ACTIONS, conditions: { ip: true, mfa: 'if-required', window: 'admin' } },
  { roles: ['owner'], actions: OWNER_ACTIONS, conditions: { ip: true, mfa: 'if-required', window: 'admin' } },
];

/** Every action a role could ever be allowed (ignoring conditions): the ceiling for scoped tokens. */
export function actionsOfRole(role: OrgRole): Action[] {
  return STATEMENTS.filter((s) => s.roles.includes(role)).flatMap((s) => s.actions);
}
