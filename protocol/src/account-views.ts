/**
 * What the accounts and administration routes answer, as schemas: the web client parses every
 * answer with them instead of trusting its shape. Loose objects: a field the server adds later
 * reaches the client untouched, while the fields the client reads are checked.
 */
import { z } from 'zod';
import { OrgRole, SessionInfo, Tier } from './accounts.ts';

/** POST /api/auth/signin and GET /api/auth/session: a session, or one still waiting for its MFA code. */
export const SignInResult = z.union([SessionInfo, z.strictObject({ mfaRequired: z.literal(true), csrfToken: z.string() })]);
export type SignInResult = z.infer<typeof SignInResult>;

/** POST /api/account/mfa/enroll: the new TOTP secret, as text and as an otpauth:// URI. */
export const MfaEnrolment = z.looseObject({ secret: z.string(), uri: z.string() });
export type MfaEnrolment = z.infer<typeof MfaEnrolment>;

/** POST /api/account/mfa/confirm: the one-time recovery codes and the session, rotated to carry MFA. */
export const MfaConfirmation = z.looseObject({ recoveryCodes: z.array(z.string()), session: SessionInfo });
export type MfaConfirmation = z.infer<typeof MfaConfirmation>;

/** A member of the organization as the admin routes show it. */
export const UserView = z.looseObject({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: OrgRole,
  disabled: z.boolean(),
  mfaEnabled: z.boolean(),
  sso: z.boolean(),
});
export type UserView = z.infer<typeof UserView>;

export const UserList = z.looseObject({ users: z.array(UserView) });
export type UserList = z.infer<typeof UserList>;

/** DELETE /api/admin/users/:id: who was erased and how many data keys were shredded with them. */
export const UserErasure = z.looseObject({ erased: z.string(), shredded: z.number() });
export type UserErasure = z.infer<typeof UserErasure>;

/** PATCH /api/admin/org. */
export const OrgView = z.looseObject({ id: z.string(), name: z.string(), tier: Tier });
export type OrgView = z.infer<typeof OrgView>;

/** One row of the organization's audit trail. */
export const AuditEntry = z.looseObject({
  seq: z.number(),
  at: z.number(),
  actor: z.string().nullable(),
  actor_role: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  result: z.string(),
  ip: z.string().nullable(),
  detail: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditEntries = z.looseObject({ entries: z.array(AuditEntry) });
export type AuditEntries = z.infer<typeof AuditEntries>;

/** GET /api/admin/audit/verify: whether the hash chain holds, its head, and where it first breaks. */
export const AuditVerification = z.looseObject({
  ok: z.boolean(),
  checked: z.number(),
  head: z.looseObject({ seq: z.number(), hash: z.string() }).nullable(),
  breaksAt: z.looseObject({ seq: z.number(), reason: z.string() }).nullable(),
});
export type AuditVerification = z.infer<typeof AuditVerification>;

/** One UTC day of the organization's meetings. */
export const UsageDay = z.looseObject({ day: z.string(), meetings: z.number(), participantMinutes: z.number(), peakConcurrent: z.number() });
export type UsageDay = z.infer<typeof UsageDay>;

/** GET /api/admin/usage. */
export const UsageReport = z.looseObject({ from: z.number(), to: z.number(), days: z.array(UsageDay) });
export type UsageReport = z.infer<typeof UsageReport>;
