/** An in-memory WebSocket stand-in for unit tests. */
import type { SocketLike } from '../origin-client.ts';

export class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  closedWith: number | undefined;
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;

  constructor(open = true) {
    if (open) this.readyState = 1;
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  deliver(data: unknown): void {
    this.onmessage?.({ data } as MessageEvent);
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code } as CloseEvent);
  }
  /** Sent frames parsed as JSON (text frames like "ping" are skipped). */
  json(): unknown[] {
    return this.sent.filter((s) => s.startsWith('{')).map((s) => JSON.parse(s) as unknown);
  }
}
