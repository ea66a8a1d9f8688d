/**
 * Browser ↔ media origin signalling (protocol/src/origin.ts): typed requests matched to
 * responses by id, notifications handed to one listener. Every incoming frame is parsed
 * with the protocol schema; what does not parse is logged and dropped.
 */
import {
  OriginToClient,
  parseJson,
  type ClientToOrigin,
  type ErrorCode,
  type OriginMethod,
  type OriginNotification,
  type OriginResponse,
  type OriginResults,
} from '@sealroom/protocol';
import type { types as msc } from 'mediasoup-client';

/** Each request method's `data`, straight from the protocol's request schemas. */
export type OriginRequestData = { [M in OriginMethod]: Extract<ClientToOrigin, { method: M }>['data'] };

/** Largest frame accepted from the origin: RTP capabilities are the big one, a few KiB. */
export const MAX_ORIGIN_FRAME = 256 * 1024;
/** A request the origin does not answer within this is failed, so no join hangs forever. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** The protocol caps request ids at 2^31; wrap before that. */
const MAX_REQUEST_ID = 2 ** 31;

export type OriginErrorCode = ErrorCode | 'timeout' | 'closed';

export class OriginError extends Error {
  override name = 'OriginError';
  readonly code: OriginErrorCode;
  readonly method: OriginMethod | undefined;
  constructor(code: OriginErrorCode, message: string, method?: OriginMethod) {
    super(method ? `${method}: ${message}` : message);
    this.code = code;
    this.method = method;
  }
}

interface Pending {
  method: OriginMethod;
  resolve: (data: unknown) => void;
  reject: (err: OriginError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The id bookkeeping, free of sockets: `open()` builds a request frame and its promise,
 * `settle()` resolves or rejects it from a parsed response, `failAll()` ends them all.
 */
export class RequestTable {
  #nextId = 1;
  #pending = new Map<number, Pending>();
  readonly #timeoutMs: number;

  constructor(timeoutMs = REQUEST_TIMEOUT_MS) {
    this.#timeoutMs = timeoutMs;
  }

  get size(): number {
    return this.#pending.size;
  }

  open<M extends OriginMethod>(method: M, data: OriginRequestData[M]): { frame: string; result: Promise<OriginResults[M]> } {
    const id = this.#nextId;
    this.#nextId = this.#nextId >= MAX_REQUEST_ID ? 1 : this.#nextId + 1;
    const result = new Promise<OriginResults[M]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new OriginError('timeout', `no answer in ${this.#timeoutMs} ms`, method));
      }, this.#timeoutMs);
      this.#pending.set(id, { method, resolve: resolve as (d: unknown) => void, reject, timer });
    });
    const frame = JSON.stringify({ type: 'request', id, method, data } satisfies { type: 'request'; id: number; method: M; data: OriginRequestData[M] });
    return { frame, result };
  }

  /** Settles the request this response answers; false when no request has that id. */
  settle(response: OriginResponse): boolean {
    const pending = this.#pending.get(response.id);
    if (!pending) return false;
    this.#pending.delete(response.id);
    clearTimeout(pending.timer);
    if (response.ok) pending.resolve(response.data);
    else pending.reject(new OriginError(response.error.code, response.error.message, pending.method));
    return true;
  }

  failAll(err: OriginError): void {
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(new OriginError(err.code, err.message, p.method));
    }
    this.#pending.clear();
  }
}

/** The part of WebSocket this client uses, so tests can hand in a fake. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
}

/** WebSocket.OPEN, for sockets that are only SocketLike. */
export const SOCKET_OPEN = 1;

export interface OriginClientOptions {
  onNotification: (n: OriginNotification) => void;
  /** Called once when the socket closes without `close()` having been called. */
  onClosed: (reason: string) => void;
  timeoutMs?: number;
}

export class OriginClient {
  readonly #socket: SocketLike;
  readonly #table: RequestTable;
  readonly #opts: OriginClientOptions;
  #closed = false;

  /** Opens a socket to `url` and resolves once it is open. */
  static connect(url: string, opts: OriginClientOptions, makeSocket: (url: string) => SocketLike = (u) => new WebSocket(u)): Promise<OriginClient> {
    return new Promise((resolve, reject) => {
      const socket = makeSocket(url);
      const timer = setTimeout(() => {
        socket.close();
        reject(new OriginError('timeout', 'media server did not answer'));
      }, opts.timeoutMs ?? REQUEST_TIMEOUT_MS);
      socket.onopen = () => {
        clearTimeout(timer);
        resolve(new OriginClient(socket, opts));
      };
      socket.onclose = () => {
        clearTimeout(timer);
        reject(new OriginError('closed', 'could not connect to the media server'));
      };
    });
  }

  constructor(socket: SocketLike, opts: OriginClientOptions) {
    this.#socket = socket;
    this.#opts = opts;
    this.#table = new RequestTable(opts.timeoutMs);
    socket.onmessage = (ev) => this.#receive(ev.data);
    socket.onerror = () => {};
    socket.onclose = (ev) => this.#onClose(`closed (${ev.code})`);
  }

  get closed(): boolean {
    return this.#closed;
  }

  request<M extends OriginMethod>(method: M, data: OriginRequestData[M]): Promise<OriginResults[M]> {
    if (this.#closed || this.#socket.readyState !== SOCKET_OPEN) return Promise.reject(new OriginError('closed', 'not connected', method));
    const { frame, result } = this.#table.open(method, data);
    this.#socket.send(frame);
    return result;
  }

  /** Closes the socket and fails whatever is pending. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#table.failAll(new OriginError('closed', 'connection closed'));
    this.#socket.onclose = null;
    this.#socket.onmessage = null;
    this.#socket.close(1000, 'bye');
  }

  #receive(raw: unknown): void {
    const parsed = parseJson(OriginToClient, raw, MAX_ORIGIN_FRAME);
    if (!parsed.ok) {
      console.warn('sealroom: dropped origin frame', { code: parsed.code, message: parsed.message });
      return;
    }
    const msg = parsed.value;
    if (msg.type === 'response') {
      if (!this.#table.settle(msg)) console.warn('sealroom: origin answered an unknown request', { id: msg.id });
      return;
    }
    this.#opts.onNotification(msg);
  }

  #onClose(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#table.failAll(new OriginError('closed', reason));
    this.#opts.onClosed(reason);
  }
}

/**
 * A transport's ICE connection dropped: `disconnected` often recovers on its own (a Wi-Fi
 * roam, a brief loss), so wait this long before restarting; `failed` restarts at once.
 */
export const ICE_DISCONNECTED_GRACE_MS = 3_000;
/** Restarts in a row without reaching `connected` before the session is given up (rejoin from scratch). */
export const MAX_ICE_RESTARTS = 3;

/** The part of a mediasoup-client Transport that ICE restarts need. */
export interface IceTransport {
  readonly id: string;
  readonly closed: boolean;
  readonly connectionState: string;
  on(event: 'connectionstatechange', listener: (state: RTCPeerConnectionState) => void): unknown;
  restartIce(options: { iceParameters: msc.IceParameters }): Promise<void>;
}

export interface IceWatchOptions {
  /** Asks the origin for fresh ICE parameters (the `restartIce` request). */
  restartIce: (transportId: string) => Promise<{ iceParameters: Record<string, unknown> }>;
  /** Restarting did not help, or could not be done: the session is lost. */
  onGiveUp: (reason: string) => void;
  graceMs?: number;
  maxRestarts?: number;
}

/**
 * Restarts ICE on `transport` when its connection fails, or stays disconnected for
 * `graceMs`: fresh parameters from the origin, then a renegotiation on this side. Gives up
 * after `maxRestarts` attempts that did not reconnect. Returns a function that stops watching.
 */
export function watchIce(transport: IceTransport, opts: IceWatchOptions): () => void {
  const graceMs = opts.graceMs ?? ICE_DISCONNECTED_GRACE_MS;
  const maxRestarts = opts.maxRestarts ?? MAX_ICE_RESTARTS;
  let attempts = 0;
  let restarting = false;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const later = () => {
    if (timer === undefined && !stopped) timer = setTimeout(() => ((timer = undefined), void restart()), graceMs);
  };
  const cancel = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  const restart = async () => {
    if (restarting || stopped || transport.closed) return;
    if (attempts >= maxRestarts) {
      stopped = true;
      opts.onGiveUp(`ICE did not recover after ${attempts} restarts`);
      return;
    }
    attempts++;
    restarting = true;
    try {
      const { iceParameters } = await opts.restartIce(transport.id);
      if (stopped || transport.closed) return;
      // Shape checked by the protocol schema; mediasoup-client checks the fields it uses.
      await transport.restartIce({ iceParameters: iceParameters as unknown as msc.IceParameters });
    } catch (err) {
      stopped = true;
      cancel();
      opts.onGiveUp(`ICE restart failed: ${err instanceof Error ? err.message : String(err)}`);
      return;
    } finally {
      restarting = false;
    }
    // Still down once the new checks had their time: try again (or give up).
    if (transport.connectionState === 'failed' || transport.connectionState === 'disconnected') later();
  };

  transport.on('connectionstatechange', (state) => {
    if (stopped) return;
    switch (state) {
      case 'connected':
        attempts = 0;
        cancel();
        return;
      case 'disconnected':
        later();
        return;
      case 'failed':
        cancel();
        void restart();
        return;
      case 'closed':
        stopped = true;
        cancel();
        return;
      default:
        return;
    }
  });
  return () => {
    stopped = true;
    cancel();
  };
}
