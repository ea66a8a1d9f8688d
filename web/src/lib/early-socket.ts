/**
 * The room socket, opened while the pre-join form shows so that the join click finds it open:
 * the connection set-up (the edge, then the meeting's Durable Object) is off the path from click
 * to call. The Room admits nobody on a socket until its `join`, and holds an idle one at no cost
 * (hibernation). It is taken once; if it closed meanwhile (an idle proxy, a network change, the
 * meeting refused it), the join opens a fresh one as it always did.
 */
import type { SocketLike } from './origin-client.ts';

const OPEN = 1;

export class EarlySocket {
  readonly url: string;
  #socket: SocketLike | null;

  constructor(url: string, makeSocket: (url: string) => SocketLike = (u) => new WebSocket(u)) {
    this.url = url;
    const socket = makeSocket(url);
    socket.onerror = () => {};
    socket.onclose = () => {
      if (this.#socket === socket) this.#socket = null;
    };
    this.#socket = socket;
  }

  /** The socket for `url` if it is still open or opening, handed over once; null otherwise. */
  take(url: string): SocketLike | null {
    const socket = this.#socket;
    this.#socket = null;
    if (!socket) return null;
    if (url !== this.url || socket.readyState > OPEN) {
      socket.close();
      return null;
    }
    socket.onclose = null;
    socket.onerror = null;
    return socket;
  }

  /** Closes the socket if nobody took it (the page went away). */
  close(): void {
    this.#socket?.close();
    this.#socket = null;
  }
}
