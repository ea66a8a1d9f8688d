/** Administration of one organization: org and tier, security policy, users, audit, usage. */
import { AuditQuery, type OrgRole, OrgPatchInput, SecurityPolicyPatch, UsageQuery, UserCreateInput, UserPatchInput } from '@sealroom/protocol';
import { Hono } from 'hono';
import { requires } from '../policy/guard.ts';
import { type AppEnv, type Authenticated, auditRequest, caller, clientIp, kmsOf } from '../accounts/context.ts';
import { eraseOrg, eraseUser, exportUser } from '../accounts/data-rights.ts';
import { fail } from '../http/errors.ts';
import { assertShape } from '../accounts/password-change.ts';
import { hashAccountPassword, scryptLogN } from '../accounts/password-cost.ts';
import { clearSessionCookie, endUserSessions } from '../accounts/sessions.ts';
import { type User, countOwners, createUser, getUser, listUsers, orgView, patchUser, updateOrg, userView } from '../accounts/store.ts';
import { verifyChain } from '../audit/chain.ts';
import { jsonBody, queryOf } from '../http/body.ts';
import { sealField } from '../kms/envelope.ts';
import { ipAllowed, parseCidr } from '../policy/ip.ts';
import { auditCsv, queryAudit } from './audit-export.ts';
import { usageReport } from './usage.ts';

/** A user of the caller's organization, or 404 (never reveal users of other organizations). */
async function memberOf(db: D1Database, p: Authenticated, id: string): Promise<User> {
  const u = /^[A-Za-z0-9_-]{8,64}$/.test(id) ? await getUser(db, id) : null;
  if (!u || u.orgId !== p.org.id) fail(404, 'not_found', 'no such user');
  return u;
}

/** Admins manage members and admins; only an owner touches an owner or makes one. */
function assertMayManage(p: Authenticated, target: User, newRole?: OrgRole): void {
  if ((target.role === 'owner' || newRole === 'owner') && p.user.role !== 'owner') fail(403, 'forbidden', 'only an owner can change an owner');
}

export const adminRoutes = new Hono<AppEnv>()
  .get('/org', requires('org:read'), (c) => {
    const p = caller(c);
    return c.json({ ...orgView(p.org), policy: p.org.policy });
  })
  .patch('/org', requires('org:manage'), jsonBody(OrgPatchInput), async (c) => {
    const p = caller(c);
    const input = c.req.valid('json');
    const next = { ...p.org, name: input.name ?? p.org.name, tier: input.tier ?? p.org.tier };
    await updateOrg(c.env.DB, next);
    await auditRequest(c, {
      action: 'org.update',
      result: 'ok',
      target: p.org.id,
      detail: JSON.stringify({ from: { name: p.org.name, tier: p.org.tier }, to: input }),
    });
    return c.json(orgView(next));
  })
  .delete('/org', requires('org:manage'), async (c) => {
    const p = caller(c);
    const { users, shredded } = await eraseOrg(c.env.DB, p.org.id);
    await auditRequest(c, { action: 'org.erase', result: 'ok', target: p.org.id, detail: `${users} users erased; ${shredded} data keys shredded` });
    clearSessionCookie(c);
    return c.json({ users, shredded });
  })
  .get('/policy', requires('org:read'), (c) => c.json(caller(c).org.policy))
  .patch('/policy', requires('policy:manage'), jsonBody(SecurityPolicyPatch), async (c) => {
    const p = caller(c);
    const patch = c.req.valid('json');
    for (const r of patch.allowedIpRanges ?? []) if (!parseCidr(r)) fail(400, 'bad_message', `allowedIpRanges: ${r} is not a valid CIDR range`);
    const policy = { ...p.org.policy, ...patch, password: { ...p.org.policy.password, ...patch.password } };
    // Refuse a policy that would shut out the admin setting it: they could not undo it.
    if (!ipAllowed(clientIp(c), policy.allowedIpRanges)) fail(409, 'conflict', 'allowedIpRanges would exclude your own address');
    if (policy.mfaRequired && !p.mfa) fail(409, 'conflict', 'enrol MFA yourself before requiring it');
    await updateOrg(c.env.DB, { ...p.org, policy });
    await auditRequest(c, { action: 'policy.update', result: 'ok', target: p.org.id, detail: JSON.stringify(patch) });
    return c.json(policy);
  })
  .get('/users', requires('user:read'), async (c) => {
    const p = caller(c);
    return c.json({ users: (await listUsers(c.env.DB, p.org.id)).map(userView) });
  })
  .post('/users', requires('user:manage'), jsonBody(UserCreateInput), async (c) => {
    const p = caller(c);
    const input = c.req.valid('json');
    assertMayManage(p, { role: input.role } as User, input.role);
    assertShape(input.password, p.org.policy.password, input.email);
    const hash = await hashAccountPassword(input.password, scryptLogN(c.env.SCRYPT_LOG_N));
    const user = await createUser(c.env.DB, { orgId: p.org.id, email: input.email, name: input.name, role: input.role, passwordHash: hash });
    if (!user) fail(409, 'conflict', 'an account with this email exists');
    if (input.phone) {
      const sealed = await sealField(c.env.DB, await kmsOf(c.env), { userId: user.id, orgId: p.org.id }, 'phone', input.phone);
      await c.env.DB.prepare('UPDATE users SET phone_sealed = ? WHERE id = ?').bind(sealed, user.id).run();
    }
    await auditRequest(c, { action: 'user.create', result: 'ok', target: user.id, detail: `role ${input.role}` });
    return c.json(userView(user), 201);
  })
  .patch('/users/:id', requires('user:manage'), jsonBody(UserPatchInput), async (c) => {
    const p = caller(c);
    const input = c.req.valid('json');
    const target = await memberOf(c.env.DB, p, c.req.param('id'));
    assertMayManage(p, target, input.role);
    const losesOwner = target.role === 'owner' && ((input.role && input.role !== 'owner') || input.disabled === true);
    if (losesOwner && (await countOwners(c.env.DB, p.org.id)) <= 1) fail(409, 'last_owner', 'an organization keeps at least one active owner');
    await patchUser(c.env.DB, target.id, input);
    // A privilege change (role or disabled) ends the target's sessions: they sign in again under the new role.
    if ((input.role && input.role !== target.role) || input.disabled !== undefined) await endUserSessions(c.env.DB, target.id);
    await auditRequest(c, { action: 'user.update', result: 'ok', target: target.id, detail: JSON.stringify(input) });
    return c.json(userView((await getUser(c.env.DB, target.id))!));
  })
  .delete('/users/:id', requires('data:erase'), async (c) => {
    const p = caller(c);
    const target = await memberOf(c.env.DB, p, c.req.param('id'));
    assertMayManage(p, target);
    if (target.role === 'owner' && (await countOwners(c.env.DB, p.org.id)) <= 1) fail(409, 'last_owner', 'an organization keeps at least one active owner');
    const shredded = await eraseUser(c.env.DB, target.id);
    await auditRequest(c, { action: 'data.erase', result: 'ok', target: target.id, detail: `${shredded} data keys shredded` });
    return c.json({ erased: target.id, shredded });
  })
  .get('/users/:id/export', requires('data:erase'), async (c) => {
    const p = caller(c);
    const target = await memberOf(c.env.DB, p, c.req.param('id'));
    const archive = await exportUser(c.env.DB, await kmsOf(c.env), target, p.org);
    await auditRequest(c, { action: 'data.export', result: 'ok', target: target.id });
    return c.json(archive, 200, { 'content-disposition': `attachment; filename="sealroom-export-${target.id}.json"` });
  })
  .get('/audit', requires('audit:read'), queryOf(AuditQuery), async (c) => {
    const p = caller(c);
    const q = c.req.valid('query');
    const rows = await queryAudit(c.env.DB, p.org.id, q);
    if (q.format === 'csv')
      return c.body(auditCsv(rows), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="sealroom-audit.csv"' });
    return c.json({ entries: rows });
  })
  .get('/audit/verify', requires('audit:verify'), async (c) => {
    const seq = c.req.query('seq');
    const hash = c.req.query('hash');
    const expected = seq && hash && /^[0-9]{1,15}$/.test(seq) && /^[0-9a-f]{64}$/.test(hash) ? { seq: Number(seq), hash } : undefined;
    if ((seq || hash) && !expected) fail(400, 'bad_message', 'seq and hash: a recorded head as seq=<n>&hash=<64 hex>');
    const result = await verifyChain(c.env.DB, expected);
    await auditRequest(c, {
      action: 'audit.verify',
      result: result.ok ? 'ok' : 'broken',
      detail: result.breaksAt ? `${result.breaksAt.reason} at ${result.breaksAt.seq}` : null,
    });
    return c.json(result);
  })
  .get('/usage', requires('usage:read'), queryOf(UsageQuery), async (c) => {
    const p = caller(c);
    const q = c.req.valid('query');
    const to = q.to ?? Date.now();
    const from = q.from ?? to - 30 * 86_400_000;
    if (to - from > 400 * 86_400_000 || to <= from) fail(400, 'bad_message', 'from/to: a range of at most 400 days');
    return c.json({ from, to, days: await usageReport(c.env.DB, p.org.id, from, to) });
  });
