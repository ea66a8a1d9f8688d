/** A browser-like client for the accounts API: a cookie jar, the CSRF token, a source address. */
import { CSRF_HEADER, type SessionInfo } from '@sealroom/protocol';
import { env } from 'cloudflare:workers';
import { BASE, call } from '../helpers.ts';

let counter = 0;
export const uniqueEmail = (tag = 'u') => `${tag}${Date.now().toString(36)}${(counter++).toString(36)}@example.test`;
export const GOOD_PASSWORD = 'Correct-horse-42';

export class Agent {
  cookie = '';
  csrf = '';
  lastSetCookie = '';
  ip: string;
  constructor(ip = '198.51.100.7') {
    this.ip = ip;
  }

  async req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { 'cf-connecting-ip': this.ip, ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (this.csrf && method !== 'GET') h[CSRF_HEADER] ??= this.csrf;
    const res = await call(path, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const set = res.headers.get('set-cookie');
    if (set) {
      this.lastSetCookie = set;
      const m = /__Host-sealroom_session=([^;]*)/.exec(set);
      if (m) this.cookie = m[1] ? `__Host-sealroom_session=${m[1]}` : '';
    }
    return res;
  }

  async ok<T = any>(method: string, path: string, body?: unknown, status = 200): Promise<T> {
    const res = await this.req(method, path, body);
    const text = await res.text();
    if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${text}`);
    const data = text ? JSON.parse(text) : null;
    if (data && typeof data === 'object' && 'csrfToken' in data) this.csrf = (data as SessionInfo).csrfToken;
    if (data && typeof data === 'object' && 'session' in data && data.session?.csrfToken) this.csrf = data.session.csrfToken;
    return data as T;
  }

  /** Expects an error response and returns its code. */
  async fails(method: string, path: string, body: unknown, status: number): Promise<string> {
    const res = await this.req(method, path, body);
    const data = (await res.json()) as { error?: { code: string } };
    if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(data)}`);
    return data.error!.code;
  }
}

/** A fresh organization with its owner signed in. */
export async function newOrg(name = 'Acme') {
  const owner = new Agent();
  const email = uniqueEmail('owner');
  const info = await owner.ok<SessionInfo>('POST', '/api/auth/signup', { orgName: name, name: 'Olive Owner', email, password: GOOD_PASSWORD }, 201);
  return { owner, info, email, orgId: info.org.id };
}

/** Adds a user through the admin API and signs them in on their own agent. */
export async function addUser(admin: Agent, role: 'admin' | 'member', ip?: string) {
  const email = uniqueEmail(role);
  const user = await admin.ok('POST', '/api/admin/users', { email, name: `${role} person`, role, password: GOOD_PASSWORD }, 201);
  const agent = new Agent(ip);
  const info = await agent.ok<SessionInfo>('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD });
  return { agent, info, email, id: user.id as string };
}

export async function auditRows(orgId: string) {
  return (await env.DB.prepare('SELECT * FROM audit WHERE org_id = ? ORDER BY seq').bind(orgId).all<Record<string, any>>()).results;
}

export { BASE, call, env };
