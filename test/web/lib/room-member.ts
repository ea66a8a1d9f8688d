/**
 * A participant without a browser: joins the Room over its WebSocket from Node and does nothing
 * else (no media, no keys). It fills a roster cheaply, so a layout test needs no extra Chromium.
 */
import { randomBytes } from 'node:crypto';

export class RoomMember {
  readonly ws: WebSocket;
  id = '';
  #ping: ReturnType<typeof setInterval>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.#ping = setInterval(() => ws.readyState === 1 && ws.send('ping'), 15_000);
  }

  static async join(stackUrl: string, meetingId: string, name: string): Promise<RoomMember> {
    const ws = new WebSocket(`${stackUrl.replace(/^http/, 'ws')}/api/meetings/${meetingId}/ws`);
    const m = new RoomMember(ws);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no welcome`)), 15_000);
      ws.onopen = () => ws.send(JSON.stringify({ type: 'join', name, publicKey: randomBytes(32).toString('base64url') }));
      ws.onmessage = (ev) => {
        if (typeof ev.data !== 'string' || !ev.data.startsWith('{')) return;
        const msg = JSON.parse(ev.data) as { type: string; self?: { id: string }; code?: string };
        if (msg.type === 'welcome') {
          m.id = msg.self!.id;
          clearTimeout(timer);
          resolve();
        } else if (msg.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`${name}: ${msg.code}`));
        }
      };
    });
    return m;
  }

  close(): void {
    clearInterval(this.#ping);
    this.ws.close();
  }
}
