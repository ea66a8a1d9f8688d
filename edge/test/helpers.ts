/** Test clients that talk to the real Worker and Room DO inside workerd. */
import { type RoomToClient, signRequest } from '@sealroom/protocol';
import { env, exports } from 'cloudflare:workers';
import { toB64url } from '@sealroom/crypto/bytes';

export const BASE = 'http://sealroom.test';

export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

export async function newMeeting(input: Record<string, unknown> = {}): Promise<{ id: string; hostKey: string }> {
  const res = await call('/api/meetings', { method: 'POST', body: JSON.stringify(input) });
  if (res.status !== 201) throw new Error(`create failed: ${res.status}`);
  return res.json();
}

export async function heartbeat(
  originId = 'origin-a',
  extra: Partial<{ draining: boolean; consumers: number; controlUrl: string; region: string; cpu: number }> = {},
): Promise<Response> {
  const body = JSON.stringify({
    originId,
    region: extra.region ?? 'local',
    url: `ws://127.0.0.1:4443/ws?o=${originId}`,
    controlUrl: extra.controlUrl ?? 'http://127.0.0.1:1',
    draining: extra.draining ?? false,
    load: { workers: 2, routers: 0, transports: 0, producers: 0, consumers: extra.consumers ?? 0, cpu: extra.cpu ?? 0, bitrateIn: 0, bitrateOut: 0 },
  });
  const headers = await signRequest(env.SEALROOM_SHARED_SECRET, 'POST', '/internal/origins/heartbeat', body);
  return call('/internal/origins/heartbeat', { method: 'POST', body, headers });
}

/** A raw WebSocket client with an inbox the test can wait on. */
export class TestClient {
  readonly inbox: RoomToClient[] = [];
  #waiters: Array<() => void> = [];
  closed = false;
  closeCode: number | null = null;
  readonly ws: WebSocket;
  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener('message', (e) => {
      if (typeof e.data === 'string' && e.data !== 'pong') this.inbox.push(JSON.parse(e.data) as RoomToClient);
      for (const w of this.#waiters.splice(0)) w();
    });
    ws.addEventListener('close', (e) => {
      this.closed = true;
      this.closeCode = e.code;
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async connect(meetingId: string, headers: Record<string, string> = {}): Promise<TestClient> {
    const res = await call(`/api/meetings/${meetingId}/ws`, { headers: { ...headers, upgrade: 'websocket' } });
    const ws = res.webSocket;
    if (!ws) throw new Error(`no websocket: ${res.status}`);
    ws.accept();
    return new TestClient(ws);
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** Waits for the first message of `type` not yet taken, and takes it. */
  async next<T extends RoomToClient['type']>(type: T, timeoutMs = 2000): Promise<Extract<RoomToClient, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Extract<RoomToClient, { type: T }>;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${type}; inbox: ${JSON.stringify(this.inbox)}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  /** Lets in-flight messages arrive, then returns everything not yet taken. */
  async drain(ms = 100): Promise<RoomToClient[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.inbox.splice(0);
  }
}

/** A valid X25519-shaped public key (32 bytes base64url); the room never interprets it. */
export const fakePublicKey = (seed: number) => toB64url(new Uint8Array(32).fill(seed));

export interface JoinOptions {
  hostKey?: string;
  password?: string;
  clientId?: string;
  resume?: string;
}

/** Connects and joins; resolves once welcomed. */
export async function joined(meetingId: string, name: string, seed: number, opts: JoinOptions | string = {}) {
  const o = typeof opts === 'string' ? { hostKey: opts } : opts;
  const c = await TestClient.connect(meetingId);
  c.send({ type: 'join', name, publicKey: fakePublicKey(seed), ...o });
  // A password join runs scrypt, which is slow inside the test pool.
  const welcome = await c.next('welcome', o.password ? 30_000 : 2000);
  return { c, welcome, id: welcome.self.id };
}

/** Connects and sends join without waiting for any particular answer. */
export async function knock(meetingId: string, name: string, seed: number, opts: JoinOptions = {}) {
  const c = await TestClient.connect(meetingId);
  c.send({ type: 'join', name, publicKey: fakePublicKey(seed), ...opts });
  return c;
}

/** Everything the Room has stored, as one comparable value: "changes nothing" means this is equal before and after. */
export async function roomSnapshot(meetingId: string): Promise<string> {
  const { runInDurableObject } = await import('cloudflare:test');
  const stub = env.ROOM.get(env.ROOM.idFromName(meetingId));
  return runInDurableObject(stub, (_instance, state) => {
    const tables = ['meta', 'members', 'waiting', 'banned', 'departed', 'denied', 'password_attempts'];
    return JSON.stringify(tables.map((t) => state.storage.sql.exec(`SELECT * FROM ${t} ORDER BY 1`).toArray()));
  });
}
