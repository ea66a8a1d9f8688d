/**
 * Every route × every kind of principal, against the real Worker and D1: what each principal may
 * do is written here by hand (CLASS and `expected`), so a route whose rule drifts, or a new route
 * nobody classified, fails. The middleware tells each answer's authority in `x-sealroom-authority`
 * (`full`, `none` = went on as anonymous, `session` = a sign-in route); refusals carry their code.
 *
 * Then the meeting routes in depth: host and details go to full principals and host-key holders
 * only; and the meeting socket refuses pages of other origins.
 */
import { createExecutionContext } from 'cloudflare:test';
import { type Action, type SessionInfo, signApiRequest } from '@sealroom/protocol';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { totpAt } from '../src/accounts/totp.ts';
import { app } from '../src/index.ts';
import { createMeeting } from '../src/meetings/store.ts';
import { AUTHORITY_HEADER, type GuardedRoute, guardedRoutes } from '../src/policy/guard.ts';
import { trustedOrigin } from '../src/policy/origin.ts';
import { Agent, BASE, GOOD_PASSWORD, call, env, uniqueEmail } from './accounts/helpers.ts';
import { TestClient, fakePublicKey } from './helpers.ts';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const KINDS = [
  'anonymous',
  'session-full',
  'session-pending-mfa',
  'session-outside-ip',
  'session-password-expired',
  'token-scoped',
  'token-unrelated',
  'apikey',
] as const;
type Kind = (typeof KINDS)[number];

/** Full principals: a session with MFA done in an org that requires it, a token naming the action, an API key where no MFA is asked. */
const FULL: readonly Kind[] = ['session-full', 'token-scoped', 'apikey'];
const SESSIONS: readonly Kind[] = ['session-full', 'session-pending-mfa', 'session-outside-ip', 'session-password-expired'];
/** Why each weak principal is refused where a full one is required. */
const WEAK: Record<Exclude<Kind, 'session-full' | 'token-scoped' | 'apikey'>, [number, string]> = {
  anonymous: [401, 'unauthenticated'],
  'session-pending-mfa': [401, 'mfa_required'],
  'session-outside-ip': [403, 'policy_denied'],
  'session-password-expired': [403, 'password_expired'],
  'token-unrelated': [403, 'scope_exceeded'],
};

/**
 *   public     anyone; no credential counts
 *   session    any browser session, even one waiting for its MFA code (the sign-in routes)
 *   enrol      a full principal, except that an expired password still may (to change it)
 *   signed-in  a full principal
 *   open       anyone; a full principal acts with its rights, anyone else as anonymous
 */
type Class = 'public' | 'session' | 'enrol' | 'signed-in' | 'open';

const CLASS: Record<string, Class> = {
  'POST /api/auth/signup': 'public',
  'POST /api/auth/signin': 'public',
  'POST /api/auth/mfa/verify': 'session',
  'POST /api/auth/signout': 'session',
  'GET /api/auth/session': 'session',
  'POST /api/auth/verify-email': 'enrol',
  'GET /api/saml/:org/metadata': 'public',
  'GET /api/saml/login': 'public',
  'POST /api/saml/:org/acs': 'public',
  'GET /api/account': 'enrol',
  'POST /api/account/password': 'enrol',
  'POST /api/account/mfa/enroll': 'enrol',
  'POST /api/account/mfa/confirm': 'enrol',
  'POST /api/account/mfa/recovery-codes': 'enrol',
  'DELETE /api/account/mfa': 'enrol',
  'POST /api/account/verify-email/resend': 'enrol',
  'GET /api/account/export': 'signed-in',
  'DELETE /api/account': 'enrol',
  'GET /api/account/keys': 'signed-in',
  'POST /api/account/keys': 'signed-in',
  'PATCH /api/account/keys/:id': 'signed-in',
  'DELETE /api/account/keys/:id': 'signed-in',
  'POST /api/account/keys/:id/rotate': 'signed-in',
  'POST /api/account/tokens': 'signed-in',
  'GET /api/admin/org': 'signed-in',
  'PATCH /api/admin/org': 'signed-in',
  'DELETE /api/admin/org': 'signed-in',
  'GET /api/admin/policy': 'signed-in',
  'PATCH /api/admin/policy': 'signed-in',
  'GET /api/admin/users': 'signed-in',
  'POST /api/admin/users': 'signed-in',
  'PATCH /api/admin/users/:id': 'signed-in',
  'DELETE /api/admin/users/:id': 'signed-in',
  'GET /api/admin/users/:id/export': 'signed-in',
  'GET /api/admin/audit': 'signed-in',
  'GET /api/admin/audit/verify': 'signed-in',
  'GET /api/admin/usage': 'signed-in',
  'GET /api/admin/saml': 'signed-in',
  'PUT /api/admin/saml': 'signed-in',
  'POST /api/admin/saml/domain/verify': 'signed-in',
  'GET /api/recordings/shared/:shareId': 'public',
  'GET /api/recordings/shared/:shareId/content': 'public',
  'POST /api/recordings': 'signed-in',
  'GET /api/recordings': 'signed-in',
  'GET /api/recordings/usage': 'signed-in',
  'GET /api/recordings/retention': 'signed-in',
  'PUT /api/recordings/retention': 'signed-in',
  'GET /api/recordings/:id': 'signed-in',
  'GET /api/recordings/:id/parts': 'signed-in',
  'PUT /api/recordings/:id/parts/:n': 'signed-in',
  'PUT /api/recordings/:id/tail/:n/:offset': 'signed-in',
  'POST /api/recordings/:id/complete': 'signed-in',
  'GET /api/recordings/:id/content': 'signed-in',
  'DELETE /api/recordings/:id': 'signed-in',
  'POST /api/recordings/:id/shares': 'signed-in',
  'GET /api/recordings/:id/shares': 'signed-in',
  'DELETE /api/recordings/:id/shares/:shareId': 'signed-in',
  'POST /api/meetings': 'open',
  'GET /api/meetings': 'signed-in',
  'POST /api/meetings/personal': 'signed-in',
  'PATCH /api/meetings/:id': 'open',
  'DELETE /api/meetings/:id': 'open',
  'GET /api/meetings/:id': 'public',
  'GET /api/meetings/:id/details': 'open',
  'GET /api/meetings/:id/invitation': 'public',
  'GET /api/meetings/:id/invitation.ics': 'public',
  'GET /api/meetings/:id/ws': 'open',
};

/** Meeting routes that confer host or reveal details: never 'public', never to a weak principal. */
const HOST_OR_DETAILS = [
  'GET /api/meetings/:id/details',
  'PATCH /api/meetings/:id',
  'DELETE /api/meetings/:id',
  'GET /api/meetings/:id/ws',
  'GET /api/meetings',
  'POST /api/meetings/personal',
];

/** Cells whose handler would end the principal's session or organization: each gets a world of its own. */
const DESTRUCTIVE = new Set(['POST /api/auth/signout', 'DELETE /api/admin/org']);

type Outcome = { authority: 'full' | 'none' | 'session' } | { refused: [number, string] };

function expected(cls: Class, kind: Kind): Outcome {
  const full = FULL.includes(kind);
  switch (cls) {
    case 'public':
      return { authority: 'none' };
    case 'session':
      return SESSIONS.includes(kind) ? { authority: 'session' } : { refused: [401, 'unauthenticated'] };
    case 'enrol':
      return full || kind === 'session-password-expired' ? { authority: 'full' } : { refused: WEAK[kind as keyof typeof WEAK] };
    case 'signed-in':
      return full ? { authority: 'full' } : { refused: WEAK[kind as keyof typeof WEAK] };
    case 'open':
      return { authority: full ? 'full' : 'none' };
  }
}

const keyOf = (r: Pick<GuardedRoute, 'method' | 'path'>) => `${r.method} ${r.path}`;
const actionOf = (r: GuardedRoute): Action => (r.rule && 'action' in r.rule ? r.rule.action : 'self:read');
/** Every /api route the app registers, with the rule its guard declares. */
const ROUTES = guardedRoutes(app.routes).filter((r) => r.path.startsWith('/api/'));
const unrelatedTo = (a: Action): Action => (a === 'recording:read' ? 'audit:verify' : 'recording:read');

const IP = {
  anonymous: '192.0.2.1',
  strictOwner: '198.51.100.20',
  pending: '198.51.100.21',
  tokens: '198.51.100.22',
  outside: '203.0.113.9',
  expired: '198.51.100.30',
  keyed: '198.51.100.41',
};

async function signUp(ip: string, orgName: string) {
  const agent = new Agent(ip);
  const email = uniqueEmail('m');
  const info = await agent.ok<SessionInfo>('POST', '/api/auth/signup', { orgName, name: 'Owner', email, password: GOOD_PASSWORD }, 201);
  return { agent, email, userId: info.user.id };
}

/** An org that requires MFA and one address range; its owner enrolled MFA (their session now carries it). */
async function strictOrg() {
  const owner = await signUp(IP.strictOwner, 'Strict');
  const { secret } = await owner.agent.ok<{ secret: string }>('POST', '/api/account/mfa/enroll');
  await owner.agent.ok('POST', '/api/account/mfa/confirm', { code: await totpAt(secret, Date.now() - 30_000) });
  await owner.agent.ok('PATCH', '/api/admin/policy', { mfaRequired: true, allowedIpRanges: ['198.51.100.0/24'] });
  const pending = new Agent(IP.pending);
  const half = await pending.ok<{ mfaRequired?: boolean }>('POST', '/api/auth/signin', { email: owner.email, password: GOOD_PASSWORD });
  expect(half.mfaRequired).toBe(true);
  const tokens = new Map<Action, Promise<string>>();
  const token = (a: Action) => {
    if (!tokens.has(a))
      tokens.set(
        a,
        owner.agent.ok<{ token: string }>('POST', '/api/account/tokens', { scopes: [a] }, 201).then((t) => t.token),
      );
    return tokens.get(a)!;
  };
  return { owner, pending, token };
}

/** An org whose password age limit the owner's password is past. */
async function expiredOrg() {
  const owner = await signUp(IP.expired, 'Expired');
  await owner.agent.ok('PATCH', '/api/admin/policy', { password: { maxAgeDays: 30 } });
  await env.DB.prepare('UPDATE users SET password_changed_at = ? WHERE id = ?')
    .bind(Date.now() - 31 * 86_400_000, owner.userId)
    .run();
  return { owner };
}

/** An org without MFA or address conditions, whose owner holds an API key. */
async function keyedOrg() {
  const owner = await signUp('198.51.100.40', 'Keyed');
  const key = await owner.agent.ok<{ id: string; secret: string }>('POST', '/api/account/keys', { label: 'matrix' }, 201);
  return { owner, key };
}

/** The principals of one world, each org built on first use. */
class World {
  #strict?: ReturnType<typeof strictOrg>;
  #expired?: ReturnType<typeof expiredOrg>;
  #keyed?: ReturnType<typeof keyedOrg>;
  strict = () => (this.#strict ??= strictOrg());
  expired = () => (this.#expired ??= expiredOrg());
  keyed = () => (this.#keyed ??= keyedOrg());

  /** The owner whose meetings each kind would own. */
  async userIdOf(kind: Kind): Promise<string> {
    if (kind === 'session-password-expired') return (await this.expired()).owner.userId;
    if (kind === 'apikey') return (await this.keyed()).owner.userId;
    return (await this.strict()).owner.userId;
  }

  async headers(kind: Kind, method: string, path: string, body: string, action: Action): Promise<Record<string, string>> {
    const cookie = (a: Agent, ip = a.ip) => ({ cookie: a.cookie, 'cf-connecting-ip': ip, ...(method === 'GET' ? {} : { 'x-csrf-token': a.csrf }) });
    switch (kind) {
      case 'anonymous':
        return { 'cf-connecting-ip': IP.anonymous };
      case 'session-full':
        return cookie((await this.strict()).owner.agent);
      case 'session-pending-mfa':
        return cookie((await this.strict()).pending);
      case 'session-outside-ip':
        return cookie((await this.strict()).owner.agent, IP.outside);
      case 'session-password-expired':
        return cookie((await this.expired()).owner.agent);
      case 'token-scoped':
        return { authorization: `Bearer ${await (await this.strict()).token(action)}`, 'cf-connecting-ip': IP.tokens };
      case 'token-unrelated':
        return { authorization: `Bearer ${await (await this.strict()).token(unrelatedTo(action))}`, 'cf-connecting-ip': IP.tokens };
      case 'apikey': {
        const { key } = await this.keyed();
        return { ...(await signApiRequest(key.id, key.secret, method, `${BASE}${path}`, method === 'GET' ? '' : body)), 'cf-connecting-ip': IP.keyed };
      }
    }
  }
}

const shared = new World();

beforeAll(async () => {
  await Promise.all([shared.strict(), shared.expired(), shared.keyed()]);
});

describe('every route is classified', () => {
  it('CLASS names exactly the routes of the app', () => {
    expect(Object.keys(CLASS).sort()).toEqual(ROUTES.map(keyOf).sort());
  });

  it('no route that confers host or reveals details is public', () => {
    for (const k of HOST_OR_DETAILS) {
      const r = ROUTES.find((e) => keyOf(e) === k);
      expect(r, k).toBeDefined();
      expect(r!.rule?.kind, k).not.toBe('public');
    }
  });
});

describe('route × principal', () => {
  // Bodies are a JSON array: every schema refuses it, so handlers that pass the policy stop at 400 and change nothing.
  const BODY = '[]';
  const cells = ROUTES.flatMap((r) => KINDS.map((kind) => [keyOf(r), kind, r] as const));

  it.each(cells)('%s as %s', async (key, kind, route) => {
    const cls = CLASS[key];
    if (!cls) throw new Error(`route ${key} is not classified in CLASS`);
    const want = expected(cls, kind);
    const world = DESTRUCTIVE.has(key) && 'authority' in want ? new World() : shared;
    const path = route.path.replace(/:[a-zA-Z]+/g, (p) =>
      p === ':n' || p === ':offset' ? '1' : p === ':id' && route.path.startsWith('/api/meetings') ? '123456789' : 'Zz9_sample-id-0123456789',
    );
    const headers = await world.headers(kind, route.method, path, BODY, actionOf(route));
    const res = await call(path, { method: route.method, headers, body: route.method === 'GET' ? undefined : BODY });
    const authority = res.headers.get(AUTHORITY_HEADER);
    const text = await res.text();
    if ('refused' in want) {
      const code = (JSON.parse(text) as { error?: { code: string } }).error?.code;
      expect([res.status, code, authority], text).toEqual([...want.refused, null]);
    } else {
      expect(authority, `${res.status} ${text}`).toBe(want.authority);
    }
  });
});

describe('meeting host and details: full principals and host-key holders only', () => {
  const ACTION = { details: 'meeting:read-details', patch: 'meeting:update', del: 'meeting:delete', ws: 'meeting:host' } as const;

  async function ownMeeting(kind: Kind) {
    return createMeeting(env.DB, {}, await shared.userIdOf(kind));
  }

  async function request(kind: Kind, method: string, path: string, body: string, action: Action, hostKey?: string) {
    const headers = await shared.headers(kind, method, path, body, action);
    if (hostKey) headers.authorization = `HostKey ${hostKey}`;
    return call(path, { method, headers, body: method === 'GET' ? undefined : body });
  }

  async function joinRole(kind: Kind, meetingId: string, hostKey?: string): Promise<string> {
    const path = `/api/meetings/${meetingId}/ws`;
    const headers = await shared.headers(kind, 'GET', path, '', ACTION.ws);
    const c = await TestClient.connect(meetingId, headers);
    c.send({ type: 'join', name: 'Matrix', publicKey: fakePublicKey(9), ...(hostKey ? { hostKey } : {}) });
    const welcome = await c.next('welcome');
    c.ws.close();
    return welcome.self.role;
  }

  it.each(KINDS)('%s', async (kind) => {
    const full = FULL.includes(kind);
    // Tokens and API keys travel in `authorization`, where a host key would go too: they cannot carry one at once.
    const canCarryKey = !['token-scoped', 'token-unrelated', 'apikey'].includes(kind);

    const a = await ownMeeting(kind);
    const details = await request(kind, 'GET', `/api/meetings/${a.id}/details`, '', ACTION.details);
    expect(details.status).toBe(full ? 200 : 403);
    if (full) expect(await details.json()).toHaveProperty('settings');
    if (canCarryKey) expect((await request(kind, 'GET', `/api/meetings/${a.id}/details`, '', ACTION.details, a.hostKey)).status).toBe(200);

    const renamed = JSON.stringify({ topic: 'renamed' });
    expect((await request(kind, 'PATCH', `/api/meetings/${a.id}`, renamed, ACTION.patch)).status).toBe(full ? 200 : 403);
    if (canCarryKey) expect((await request(kind, 'PATCH', `/api/meetings/${a.id}`, renamed, ACTION.patch, a.hostKey)).status).toBe(200);

    expect(await joinRole(kind, a.id)).toBe(full ? 'host' : 'participant');
    const b = await ownMeeting(kind);
    expect(await joinRole(kind, b.id, b.hostKey)).toBe('host');

    const c = await ownMeeting(kind);
    expect((await request(kind, 'DELETE', `/api/meetings/${c.id}`, '', ACTION.del)).status).toBe(full ? 204 : 403);
    const d = await ownMeeting(kind);
    if (canCarryKey) expect((await request(kind, 'DELETE', `/api/meetings/${d.id}`, '', ACTION.del, d.hostKey)).status).toBe(204);
    else expect((await call(`/api/meetings/${d.id}`, { method: 'DELETE', headers: { authorization: `HostKey ${d.hostKey}` } })).status).toBe(204);
  });

  it('only a full principal owns what it creates', async () => {
    for (const kind of KINDS) {
      const path = '/api/meetings';
      const res = await call(path, { method: 'POST', headers: await shared.headers(kind, 'POST', path, '{}', 'meeting:create'), body: '{}' });
      expect(res.status, kind).toBe(201);
      const { id } = (await res.json()) as { id: string };
      const row = await env.DB.prepare('SELECT owner_id FROM meetings WHERE id = ?').bind(id).first<{ owner_id: string | null }>();
      expect(row!.owner_id, kind).toBe(FULL.includes(kind) ? await shared.userIdOf(kind) : null);
    }
  });

  it('a weak principal is audited when it is taken as anonymous', async () => {
    const m = await ownMeeting('session-outside-ip');
    await request('session-outside-ip', 'GET', `/api/meetings/${m.id}/details`, '', ACTION.details);
    const rows = await env.DB.prepare("SELECT * FROM audit WHERE action = 'policy.downgrade' AND target = 'meeting:read-details' AND actor = ?")
      .bind(await shared.userIdOf('session-outside-ip'))
      .all();
    expect(rows.results.length).toBeGreaterThan(0);
  });
});

describe('meeting sockets refuse pages of other origins', () => {
  async function upgrade(meetingId: string, headers: Record<string, string>) {
    const res = await call(`/api/meetings/${meetingId}/ws`, { headers: { upgrade: 'websocket', ...headers } });
    res.webSocket?.accept();
    res.webSocket?.close();
    return res;
  }

  it('refuses a foreign Origin, with or without the owner’s cookie, and an opaque one', async () => {
    const { owner } = await shared.strict();
    const m = await createMeeting(env.DB, {}, owner.userId);
    const withCookie = { cookie: owner.agent.cookie, 'cf-connecting-ip': IP.strictOwner };
    for (const origin of ['https://evil.example', 'http://sealroom.test.evil.example', 'null']) {
      for (const h of [withCookie, {}]) {
        const res = await upgrade(m.id, { ...h, origin });
        expect(res.webSocket, origin).toBeFalsy();
        expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([403, 'csrf']);
      }
    }
  });

  it('lets our own page in as host, and a client without Origin too (no browser sends none)', async () => {
    const { owner } = await shared.strict();
    const m = await createMeeting(env.DB, {}, owner.userId);
    for (const extra of [{ origin: BASE }, {}] as Record<string, string>[]) {
      const c = await TestClient.connect(m.id, { cookie: owner.agent.cookie, 'cf-connecting-ip': IP.strictOwner, ...extra });
      c.send({ type: 'join', name: 'Olive', publicKey: fakePublicKey(3) });
      expect((await c.next('welcome')).self.role).toBe('host');
      c.ws.close();
    }
  });

  it('accepts the origins configured in ALLOWED_ORIGINS', async () => {
    const m = await createMeeting(env.DB, {}, null);
    const configured = { ...env, ALLOWED_ORIGINS: 'https://app.example.com, not a url' };
    const open = (origin: string) =>
      app.fetch(new Request(`${BASE}/api/meetings/${m.id}/ws`, { headers: { upgrade: 'websocket', origin } }), configured, createExecutionContext());
    const allowed = await open('https://app.example.com');
    expect(allowed.status).toBe(101);
    allowed.webSocket!.accept();
    allowed.webSocket!.close();
    expect((await open('https://other.example.com')).status).toBe(403);
    // Without the binding the same page is foreign.
    expect((await upgrade(m.id, { origin: 'https://app.example.com' })).status).toBe(403);
  });

  it.each([
    ['', 'http://sealroom.test', true],
    ['https://app.example.com', 'https://app.example.com', true],
    ['https://app.example.com/app/', 'https://app.example.com', true],
    ['https://app.example.com', 'https://app.example.com:8443', false],
    ['https://app.example.com', 'http://app.example.com', false],
    ['', 'null', false],
    ['not a url,https://b.example', 'https://b.example', true],
  ])('ALLOWED_ORIGINS=%j trusts %s: %s', (list, origin, ok) => {
    expect(trustedOrigin({ ...env, ALLOWED_ORIGINS: list }, 'http://sealroom.test/api/meetings/1/ws', origin)).toBe(ok);
  });
});
