/**
 * The browsers' signalling WebSocket (`/ws`): a ticket authenticates the socket, then each
 * request goes to its participant's `Peer`. Requests of one socket run in order, and a socket
 * that drops without a close frame keeps its media for the reconnect window.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { ClientToOrigin, ORIGIN_CLOSE, type OriginResults, parseJson } from '@sealroom/protocol';
import type { types as ms } from 'mediasoup';
import { type WebSocket, WebSocketServer } from 'ws';
import type { OriginConfig } from './config.ts';
import { OriginError } from './errors.ts';
import { type Logger, errText } from './log.ts';
import { AUTH_TIMEOUT_MS, MAX_WS_FRAME } from './media.ts';
import type { MeetingRouter } from './meeting.ts';
import type { MeetingRegistry } from './meeting-registry.ts';
import type { OriginMetrics } from './metrics.ts';
import { Peer, type TransportNetwork } from './peer.ts';
import type { Ticket, TicketVerifier } from './ticket.ts';

/** On close, how long clients get to receive their close frames before sockets are cut. */
const CLOSE_GRACE_MS = 500;

export interface SignallingOptions {
  config: Pick<OriginConfig, 'reconnectGraceSeconds'>;
  log: Logger;
  metrics: OriginMetrics;
  tickets: TicketVerifier;
  meetings: MeetingRegistry;
  net: () => TransportNetwork;
  /** Every router's RTP capabilities, once known: the one answer given before auth. */
  capabilities: () => ms.RtpCapabilities | null;
}

export class SignallingServer {
  readonly #opts: SignallingOptions;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_FRAME, perMessageDeflate: false });
  readonly #sockets = new Set<WebSocket>();
  #closed = false;

  constructor(opts: SignallingOptions) {
    this.#opts = opts;
  }

  /** The HTTP server's `upgrade` handler: `/ws` only, and nothing once closing. */
  readonly onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = new URL(req.url ?? '/', 'http://origin').pathname;
    if (path !== '/ws' || this.#closed) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onSocket(ws, req));
  };

  /** Marks the server closing: no new sockets, and a dropped socket no longer keeps its media. */
  stopAccepting(): void {
    this.#closed = true;
  }

  /** Closes every socket, giving close frames (and notices before them) a moment to go out. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const ws of this.#sockets) ws.close(ORIGIN_CLOSE.goingAway, 'origin shutting down');
    const deadline = Date.now() + CLOSE_GRACE_MS;
    while (this.#sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const ws of this.#sockets) ws.terminate();
    this.#wss.close();
  }

  #onSocket(ws: WebSocket, req: http.IncomingMessage): void {
    const { config, log, metrics } = this.#opts;
    this.#sockets.add(ws);
    const wantMeeting = new URL(req.url ?? '/', 'http://origin').searchParams.get('meeting');
    let peer: Peer | null = null;
    let authing = false;
    let askedCapabilities = false;
    // Requests of one socket run one after another: a client cannot race its own produce
    // against its own close, and responses come back in order.
    let queue = Promise.resolve();
    const authTimer = setTimeout(() => {
      if (!peer) ws.close(ORIGIN_CLOSE.badTicket, 'authenticate first');
    }, AUTH_TIMEOUT_MS);
    authTimer.unref();

    const reply = (id: number, r: { ok: true; data: unknown } | { ok: false; error: OriginError }) => {
      if (peer?.owns(ws)) return peer.respond(id, r);
      const msg = r.ok
        ? { type: 'response', id, ok: true, data: r.data }
        : { type: 'response', id, ok: false, error: { code: r.error.code, message: r.error.message } };
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };

    const onMessage = async (raw: string | null) => {
      const parsed = parseJson(ClientToOrigin, raw, MAX_WS_FRAME);
      if (!parsed.ok) {
        metrics.requests.inc({ method: 'invalid', outcome: parsed.code });
        return reply(requestIdOf(raw), { ok: false, error: new OriginError(parsed.code, parsed.message) });
      }
      const msg = parsed.value;
      try {
        if (msg.method === 'auth') {
          if (peer || authing) throw new OriginError('already_joined', 'already authenticated');
          authing = true;
          try {
            const result = await this.#authenticate(msg.data.ticket, wantMeeting, ws);
            peer = result.peer;
            clearTimeout(authTimer);
            reply(msg.id, {
              ok: true,
              data: { participantId: peer.id, meetingId: result.ticket.mid, resumed: result.resumed } satisfies OriginResults['auth'],
            });
            // A participant still known here (within the reconnect window, or a second socket)
            // takes its transports back; anyone else joins the meeting.
            if (result.resumed) peer.attach(ws, result.ticket);
            else result.meeting.addPeer(peer);
            metrics.requests.inc({ method: 'auth', outcome: 'ok' });
            return;
          } finally {
            authing = false;
          }
        }
        // The capabilities are the same for every meeting and say nothing about any of them, so a
        // browser may ask for them before it has a ticket (its pre-join form); once, so that an
        // unauthenticated socket costs a single answer until the auth timeout closes it.
        const capabilities = this.#opts.capabilities();
        if (!peer && msg.method === 'rtpCapabilities' && capabilities && !askedCapabilities) {
          askedCapabilities = true;
          reply(msg.id, { ok: true, data: { rtpCapabilities: capabilities as unknown as Record<string, unknown> } satisfies OriginResults['rtpCapabilities'] });
          metrics.requests.inc({ method: msg.method, outcome: 'ok' });
          return;
        }
        if (!peer) throw new OriginError('not_joined', 'send auth with a ticket first');
        const data = await peer.handle(msg.method, msg.data as never);
        reply(msg.id, { ok: true, data });
        metrics.requests.inc({ method: msg.method, outcome: 'ok' });
      } catch (err) {
        const e = err instanceof OriginError ? err : new OriginError('internal', 'internal error');
        if (!(err instanceof OriginError)) log.error({ event: 'request_failed', method: msg.method, meetingId: peer?.ticket.mid, error: errText(err) });
        metrics.requests.inc({ method: msg.method, outcome: e.code });
        reply(msg.id, { ok: false, error: e });
        if (msg.method === 'auth') {
          if (e.code === 'bad_ticket') metrics.ticketRejections.inc({ reason: e.message });
          ws.close(ORIGIN_CLOSE.badTicket, e.code);
        }
      }
    };

    ws.on('message', (data, isBinary) => {
      const text = isBinary ? null : data.toString();
      queue = queue.then(() => onMessage(text)).catch((err) => log.error({ event: 'socket_handler_failed', error: errText(err) }));
    });
    ws.on('close', (code) => {
      clearTimeout(authTimer);
      this.#sockets.delete(ws);
      if (!peer?.owns(ws)) return; // replaced by a newer connection, or never authenticated
      // 1006: the connection died without a close frame (network loss, sleep). Keep the media
      // for the reconnect window. A close frame (1000/1001/1005) means the client left.
      if (code === 1006 && config.reconnectGraceSeconds > 0 && !this.#closed) peer.detach(config.reconnectGraceSeconds * 1000);
      else peer.close();
    });
    ws.on('error', (err) => log.warn({ event: 'socket_error', meetingId: peer?.ticket.mid, error: errText(err) }));
  }

  async #authenticate(
    token: string,
    wantMeeting: string | null,
    ws: WebSocket,
  ): Promise<{ peer: Peer; meeting: MeetingRouter; ticket: Ticket; resumed: boolean }> {
    const { meetings } = this.#opts;
    const ticket = await this.#opts.tickets.verify(token);
    // An origin URL may pin the meeting (`/ws?meeting=…`); a ticket for another one is refused.
    if (wantMeeting !== null && wantMeeting !== ticket.mid) throw new OriginError('bad_ticket', 'ticket is for another meeting');
    const issuedMs = (ticket.iat ?? 0) * 1000;
    const meetingGone = meetings.removedAt(ticket.mid);
    if (meetingGone !== undefined && issuedMs <= meetingGone) throw new OriginError('meeting_ended', 'meeting was closed');
    const removed = meetings.removedAt(`${ticket.mid}/${ticket.sub}`);
    if (removed !== undefined && issuedMs <= removed) throw new OriginError('forbidden', 'participant was removed');
    // A breakout room is its own router (and the edge gives it its own key group).
    const meeting = await meetings.meetingFor(ticket.room ? `${ticket.mid}/${ticket.room}` : ticket.mid, ticket.mid);
    try {
      await meeting.ready;
    } catch {
      throw new OriginError('internal', 'meeting could not be restored; reconnect');
    }
    if (meeting.closed) throw new OriginError('meeting_ended', 'meeting was closed');
    if (ws.readyState !== ws.OPEN) throw new OriginError('not_joined', 'socket closed');
    const known = meeting.peers.get(ticket.sub);
    if (known && !known.closed) return { peer: known, meeting, ticket, resumed: true };
    await meeting.place(ticket.sub);
    if (ws.readyState !== ws.OPEN || meeting.closed) {
      meeting.unplace(ticket.sub);
      throw new OriginError('not_joined', 'socket closed');
    }
    const peer = new Peer({ ticket, meeting, socket: ws, net: this.#opts.net(), log: this.#opts.log.child({ meetingId: ticket.mid }) });
    return { peer, meeting, ticket, resumed: false };
  }
}

function requestIdOf(raw: string | null): number {
  // Echo the id of a request that failed to parse, when it has a usable one; -1 otherwise.
  if (raw === null) return -1;
  const m = /"id"\s*:\s*(\d{1,10})\b/.exec(raw.slice(0, 4096));
  const n = m ? Number(m[1]) : -1;
  return Number.isSafeInteger(n) && n <= 2 ** 31 ? n : -1;
}
