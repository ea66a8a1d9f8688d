import { ACTIONS, type Action, DEFAULT_SECURITY_POLICY, type OrgRole, type SecurityPolicy } from '@sealroom/protocol';
import { describe, expect, it, vi } from 'vitest';
import { evaluate, inWindow } from '../../src/policy/evaluate.ts';
import { ipAllowed, parseCidr } from '../../src/policy/ip.ts';
import { guardedRoutes, ruleOf } from '../../src/policy/guard.ts';
import { ADMIN_ACTIONS, ENROLMENT_ACTIONS, MEMBER_ACTIONS, OWNER_ACTIONS } from '../../src/policy/statements.ts';
import { app } from '../../src/index.ts';
import { addUser, auditRows, call, newOrg } from './helpers.ts';

// Every sign-in runs scrypt and several D1 round trips; under a full parallel run that needs more than 5 s.
vi.setConfig({ testTimeout: 30_000 });

const ROLES: OrgRole[] = ['owner', 'admin', 'member'];
/** Monday 2026-11-30 10:00 UTC and 22:00 UTC. */
const MON_10 = Date.UTC(2026, 10, 30, 10, 0);
const MON_22 = Date.UTC(2026, 10, 30, 22, 0);

interface Cond {
  name: string;
  policy: Partial<SecurityPolicy>;
  ip: string;
  mfa: boolean;
  now: number;
}

const CONDITIONS: Cond[] = [
  { name: 'no conditions', policy: {}, ip: '198.51.100.7', mfa: false, now: MON_10 },
  { name: 'ip inside range', policy: { allowedIpRanges: ['198.51.100.0/24'] }, ip: '198.51.100.7', mfa: false, now: MON_10 },
  { name: 'ip outside range', policy: { allowedIpRanges: ['10.0.0.0/8', '2001:db8::/32'] }, ip: '198.51.100.7', mfa: false, now: MON_10 },
  { name: 'ipv6 inside range', policy: { allowedIpRanges: ['2001:db8::/32'] }, ip: '2001:db8:1::5', mfa: false, now: MON_10 },
  { name: 'mfa required, present', policy: { mfaRequired: true }, ip: '198.51.100.7', mfa: true, now: MON_10 },
  { name: 'mfa required, absent', policy: { mfaRequired: true }, ip: '198.51.100.7', mfa: false, now: MON_10 },
  {
    name: 'inside admin window',
    policy: { adminWindow: { days: [1, 2, 3, 4, 5], startMinute: 8 * 60, endMinute: 18 * 60 } },
    ip: '198.51.100.7',
    mfa: false,
    now: MON_10,
  },
  {
    name: 'outside admin window',
    policy: { adminWindow: { days: [1, 2, 3, 4, 5], startMinute: 8 * 60, endMinute: 18 * 60 } },
    ip: '198.51.100.7',
    mfa: false,
    now: MON_22,
  },
];

/**
 * Who may do each action, written out by hand rather than read from statements.ts, so a change to
 * the statements that moves an action between levels fails here. `Record<Action, …>` makes a new
 * action fail to compile until it is placed. 'enrol': every role, even without MFA.
 */
const LEVEL: Record<Action, 'enrol' | 'member' | 'admin' | 'owner'> = {
  'self:read': 'enrol',
  'self:manage': 'enrol',
  'meeting:create': 'member',
  'meeting:update': 'member',
  'meeting:delete': 'member',
  'meeting:host': 'member',
  'meeting:read-details': 'member',
  'recording:create': 'member',
  'recording:read': 'member',
  'recording:share': 'member',
  'recording:delete': 'member',
  'org:read': 'member',
  'apikey:manage': 'member',
  'token:create': 'member',
  'data:export': 'member',
  'recording:retention': 'admin',
  'user:read': 'admin',
  'user:manage': 'admin',
  'policy:manage': 'admin',
  'audit:read': 'admin',
  'audit:verify': 'admin',
  'usage:read': 'admin',
  'data:erase': 'admin',
  'org:manage': 'owner',
};
const RANK = { member: 1, admin: 2, owner: 3 } as const;

/** The expected decision, from LEVEL and the conditions' meaning alone. */
function expected(role: OrgRole, action: Action, c: Cond): string {
  const level = LEVEL[action];
  if (level !== 'enrol' && RANK[role] < RANK[level]) return 'forbidden';
  if (c.name === 'ip outside range') return 'policy_denied';
  if (c.name === 'mfa required, absent' && level !== 'enrol') return 'mfa_required';
  if (c.name === 'outside admin window' && (level === 'admin' || level === 'owner')) return 'policy_denied';
  return 'allow';
}

describe('policy: roles × actions × conditions', () => {
  const table = ROLES.flatMap((role) => ACTIONS.flatMap((action) => CONDITIONS.map((c) => [role, action, c.name, c] as const)));
  it.each(table)('%s / %s / %s', (role, action, _n, c) => {
    const d = evaluate({ role, action, mfa: c.mfa, ip: c.ip, now: c.now, policy: { ...DEFAULT_SECURITY_POLICY, ...c.policy } });
    expect(d.allow ? 'allow' : d.code).toBe(expected(role, action, c));
  });

  it('the statements grant exactly the levels written above', () => {
    const byLevel = (l: string) => ACTIONS.filter((a) => LEVEL[a] === l).sort();
    expect([...ENROLMENT_ACTIONS].sort()).toEqual(byLevel('enrol'));
    expect([...MEMBER_ACTIONS].sort()).toEqual(byLevel('member'));
    expect([...ADMIN_ACTIONS].sort()).toEqual(byLevel('admin'));
    expect([...OWNER_ACTIONS].sort()).toEqual(byLevel('owner'));
  });

  it('a token cannot exceed its scopes even where the role could', () => {
    const d = evaluate({ role: 'owner', action: 'user:manage', mfa: true, ip: null, now: MON_10, scopes: ['meeting:create'], policy: DEFAULT_SECURITY_POLICY });
    expect(d).toMatchObject({ allow: false, code: 'scope_exceeded' });
  });

  it('an expired password leaves only enrolment-level actions', () => {
    const base = { role: 'owner' as const, mfa: true, ip: null, now: MON_10, policy: DEFAULT_SECURITY_POLICY, passwordExpired: true };
    expect(evaluate({ ...base, action: 'self:manage' }).allow).toBe(true);
    expect(evaluate({ ...base, action: 'meeting:create' })).toMatchObject({ allow: false, code: 'password_expired' });
  });
});

describe('conditions in detail', () => {
  it.each([
    ['10.1.2.3', ['10.0.0.0/8'], true],
    ['11.1.2.3', ['10.0.0.0/8'], false],
    ['::ffff:10.1.2.3', ['10.0.0.0/8'], true],
    ['2001:db8::1', ['2001:db8::/32'], true],
    ['2001:db9::1', ['2001:db8::/32'], false],
    ['not-an-ip', ['0.0.0.0/0'], false],
    [null, ['0.0.0.0/0'], false],
    [null, [], true],
  ] as const)('%s in %j → %s', (ip, ranges, ok) => {
    expect(ipAllowed(ip, ranges)).toBe(ok);
  });

  it('rejects malformed CIDR', () => {
    for (const bad of ['10.0.0.0/33', '300.0.0.0/8', '1::2::3/64', '10.0.0.0', 'a/8']) expect(parseCidr(bad)).toBeNull();
  });

  it('handles overnight windows on the day they start', () => {
    const w = { days: [1], startMinute: 22 * 60, endMinute: 6 * 60 };
    expect(inWindow(w, Date.UTC(2026, 10, 30, 23, 0))).toBe(true); // Monday 23:00
    expect(inWindow(w, Date.UTC(2026, 11, 1, 5, 0))).toBe(true); // Tuesday 05:00, from Monday's window
    expect(inWindow(w, Date.UTC(2026, 11, 1, 23, 0))).toBe(false); // Tuesday 23:00
  });
});

describe('every route declares its guard', () => {
  const routes = guardedRoutes(app.routes);
  const internal = (path: string) => path.startsWith('/internal/');

  it('every route the app registers, anywhere, declares a guard (or is marked as an internal HMAC route)', () => {
    expect(routes.length).toBeGreaterThan(60);
    expect(routes.filter((r) => r.rule === null)).toEqual([]);
    expect(routes.every((r) => r.path.startsWith('/api/') || internal(r.path))).toBe(true);
    // The internal marker confers nothing: it belongs on the HMAC-signed server routes and nowhere else.
    expect(
      routes
        .filter((r) => r.rule?.kind === 'internal')
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    ).toEqual(['POST /internal/kms/rotate', 'POST /internal/origins/heartbeat', 'POST /internal/sso-domains/approve']);
    expect(routes.filter((r) => internal(r.path)).every((r) => r.rule?.kind === 'internal')).toBe(true);
  });

  it('a concrete request for each route meets its own guard first', () => {
    for (const r of routes) {
      const concrete = r.path.replace(/:[a-zA-Z]+/g, 'Zz9_sample-id-0123456789');
      const [matched] = app.router.match(r.method, concrete);
      // The app's router holds each handler as [handler, route]; the first one carrying a rule is the guard that decides.
      const first = matched.map(([entry]) => ruleOf((entry as unknown as [unknown])[0])).find((rule) => rule !== undefined);
      expect(first, `${r.method} ${r.path}`).toBe(r.rule);
    }
  });

  it('every recordings route is guarded by a recording action', () => {
    const recs = routes.filter((e) => e.path.startsWith('/api/recordings'));
    const guarded = recs.filter((e) => e.rule?.kind !== 'public');
    expect(guarded.map((e) => (e.rule && 'action' in e.rule ? e.rule.action.split(':')[0] : e.rule?.kind))).toEqual(Array(recs.length - 2).fill('recording'));
    expect(recs.filter((e) => e.rule?.kind === 'public').map((e) => e.path)).toEqual([
      '/api/recordings/shared/:shareId',
      '/api/recordings/shared/:shareId/content',
    ]);
  });

  it('enforces recording actions on the recordings routes: scopes, role, IP range', async () => {
    const { owner, orgId } = await newOrg();
    const m = await addUser(owner, 'member');
    // A token scoped to reading recordings lists them but cannot start an upload.
    const { token } = await m.agent.ok('POST', '/api/account/tokens', { scopes: ['recording:read'] }, 201);
    const bearer = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    expect((await call('/api/recordings', { headers: bearer })).status).toBe(200);
    const create = await call('/api/recordings', {
      method: 'POST',
      headers: bearer,
      body: JSON.stringify({ title: 't', mimeType: 'video/webm', keyWrap: 'opaque-wrap_123' }),
    });
    expect([create.status, ((await create.json()) as { error: { code: string } }).error.code]).toEqual([403, 'scope_exceeded']);
    // Setting the org's retention is an admin action: the member is refused by the policy (and audited as such).
    expect(await m.agent.fails('PUT', '/api/recordings/retention', { days: 30 }, 403)).toBe('forbidden');
    expect((await auditRows(orgId)).some((r) => r.action === 'policy.deny' && r.target === 'recording:retention')).toBe(true);
    await owner.ok('PUT', '/api/recordings/retention', { days: 30 });
    // Anonymous callers are refused before the recordings router; share links stay public (404 for an unknown id, not 401).
    expect((await call('/api/recordings')).status).toBe(401);
    expect((await call('/api/recordings/shared/AAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
    // The org's IP ranges reach recordings too.
    owner.ip = '192.0.2.10';
    m.agent.ip = '203.0.113.9';
    await owner.ok('PATCH', '/api/admin/policy', { allowedIpRanges: ['192.0.2.0/24'] });
    expect(await m.agent.fails('GET', '/api/recordings', undefined, 403)).toBe('policy_denied');
  });

  it('enforces role, IP range and time window on real routes', async () => {
    const { owner } = await newOrg();
    const m = await addUser(owner, 'member');
    expect(await m.agent.fails('GET', '/api/admin/users', undefined, 403)).toBe('forbidden');
    expect(await m.agent.fails('PATCH', '/api/admin/org', { tier: 1000 }, 403)).toBe('forbidden');
    const admin = await addUser(owner, 'admin');
    expect(await admin.agent.fails('PATCH', '/api/admin/org', { tier: 1000 }, 403)).toBe('forbidden');
    await admin.agent.ok('GET', '/api/admin/users');
    // Lock the org to the owner's address; the member's other address is refused.
    owner.ip = '192.0.2.10';
    m.agent.ip = '203.0.113.9';
    await owner.ok('PATCH', '/api/admin/policy', { allowedIpRanges: ['192.0.2.0/24'] });
    expect(await m.agent.fails('POST', '/api/account/tokens', { scopes: ['meeting:create'] }, 403)).toBe('policy_denied');
    // A range that would exclude the admin setting it is refused.
    expect(await owner.fails('PATCH', '/api/admin/policy', { allowedIpRanges: ['10.0.0.0/8'] }, 409)).toBe('conflict');
    // An admin window that is closed right now blocks admin actions but not member actions.
    const now = new Date();
    const closedDay = (now.getUTCDay() + 3) % 7;
    await owner.ok('PATCH', '/api/admin/policy', { allowedIpRanges: [], adminWindow: { days: [closedDay], startMinute: 0, endMinute: 1440 } });
    expect(await owner.fails('GET', '/api/admin/users', undefined, 403)).toBe('policy_denied');
    await owner.ok('GET', '/api/admin/org');
  });
});
