/**
 * The room socket, opened while the pre-join form shows so that the join click finds it open:
 * the connection set-up (the edge, then the meeting's Durable Object) is off the path from click
 * to call. The Room admits nobody on a socket until its `join`, and holds an idle one at no cost
 * (hibernation; it answers "ping" without waking). It is taken once; if it closed meanwhile (an
 * idle proxy, a network change, the meeting refused it), the join opens a fresh one as it always did.
 *
 * A form can show for minutes, and a link that dies without a reset never closes its socket: the
 * socket pings while it waits, and one whose ping went unanswered is closed, not handed over.
 */
import { type ClientToRoom, MAX_ROOM_FRAME, RoomToClient, parseJson } from '@sealroom/protocol';
import { SOCKET_OPEN, type SocketLike } from './origin-client.ts';

/** How often the waiting socket pings; a ping unanswered by the next one closes it. */
export const EARLY_PING_MS = 10_000;
/** A ping unanswered this long when the join comes marks the link as doubtful: use a fresh socket. */
export const EARLY_PONG_MS = 2_000;

export class EarlySocket {
  readonly url: string;
  #socket: SocketLike | null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #heardAt = 0;
  #pingedAt = 0;

  /**
   * With `onPrepared`, the socket asks the Room (`prepare`) which origin the meeting's media is
   * on as soon as it is open, and hands the answer over.
   */
  constructor(url: string, makeSocket: (url: string) => SocketLike = (u) => new WebSocket(u), onPrepared?: (origin: string | null) => void) {
    this.url = url;
    const socket = makeSocket(url);
    socket.onerror = () => {};
    socket.onclose = () => this.#drop(socket);
    socket.onmessage = (ev) => {
      this.#heardAt = Date.now();
      if (!onPrepared || ev.data === 'pong') return;
      const parsed = parseJson(RoomToClient, ev.data, MAX_ROOM_FRAME);
      if (parsed.ok && parsed.value.type === 'prepared') onPrepared(parsed.value.origin);
      else console.warn('sealroom: unexpected frame before the join', parsed.ok ? parsed.value.type : parsed.code);
    };
    socket.onopen = () => {
      this.#heardAt = this.#pingedAt = Date.now();
      this.#timer = setInterval(() => this.#ping(socket), EARLY_PING_MS);
      if (onPrepared) socket.send(JSON.stringify({ type: 'prepare' } satisfies ClientToRoom));
    };
    this.#socket = socket;
  }

  /** The socket for `url` if it is still open or opening and answering, handed over once; null otherwise. */
  take(url: string): SocketLike | null {
    const socket = this.#socket;
    this.#drop(socket);
    if (!socket) return null;
    const unanswered = this.#pingedAt > this.#heardAt && Date.now() - this.#pingedAt > EARLY_PONG_MS;
    if (url !== this.url || socket.readyState > SOCKET_OPEN || unanswered) {
      socket.close();
      return null;
    }
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    return socket;
  }

  /** Closes the socket if nobody took it (the page went away). */
  close(): void {
    const socket = this.#socket;
    this.#drop(socket);
    socket?.close();
  }

  #ping(socket: SocketLike): void {
    if (this.#pingedAt > this.#heardAt) {
      this.close();
      return;
    }
    this.#pingedAt = Date.now();
    socket.send('ping');
  }

  #drop(socket: SocketLike | null): void {
    if (!socket || this.#socket !== socket) return;
    this.#socket = null;
    clearInterval(this.#timer);
  }
}
