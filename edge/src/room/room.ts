/**
 * Room Durable Object: one per meeting. Keeps the meeting's state in its SQLite storage (so an
 * evicted or restarted object comes back with the meeting intact), binds each hibernating
 * WebSocket to a participant through its attachment, runs every message through the pure
 * `decide`, and carries out the effects: state writes, sends, origin enforcement, audit.
 */
import { ClientToRoom, MAX_ROOM_FRAME, MeetingId, type OriginControl, type OriginGrant, type RoomToClient, parseJson } from '@sealroom/protocol';
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import { meetingAccess } from '../accounts/tiers.ts';
import { recordJoin, recordLeave } from '../admin/usage.ts';
import { audit } from '../audit.ts';
import { verifyPassword } from '../password-hash.ts';
import { getMeeting, markEnded } from '../meetings/store.ts';
import { sendControl } from '../origins/control.ts';
import { OriginProbe } from '../origins/probe.ts';
import { type OriginRow, getOrigin, markOriginDown, pickOrigin } from '../origins/registry.ts';
import { type TurnConfig, turnConfigOf, turnServerFor } from '../origins/turn.ts';
import { sha256HexOf } from '../digest.ts';
import { equalText as timingSafeEqual } from '@sealroom/crypto/bytes';
import { addressKey } from '../http/client-address.ts';
import { randomToken } from '../random.ts';
import { ScryptBusy, runScrypt } from '../scrypt-gate.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { closeBreakouts } from './breakout.ts';
import { DENY_COOL_DOWN_MS, nextAwayExpiry, resumableSeat } from './identity.ts';
import { holdsOf } from './admission.ts';
import type { Attachment } from './attachment.ts';
import { away, departure, endMeeting, expireAway, waiterGone } from './departure.ts';
import { coalesce, decide } from './machine.ts';
import { type Conn, type DecideContext, type Effect, type PasswordCheck, type RoomData, isHostish, participantOf, roomState, waitingEntries } from './model.ts';
import { reservePasswordAttempt } from './password-gate.ts';
import { FLOOD, RateLimiter } from './rate-limit.ts';
import { RoomStore } from './store.ts';
import { signTicket } from './ticket.ts';

export const MEETING_HEADER = 'x-sealroom-meeting';
export const CLIENT_IP_HEADER = 'x-sealroom-client-ip';
/** The caller's region (a location hint), set only by the Worker: where to place the meeting's media. */
export const REGION_HEADER = 'x-sealroom-region';
/** Set by the Worker (never by a client) when the signed-in caller owns the meeting or is an alternative host. */
export const HOST_CLAIM_HEADER = 'x-sealroom-host-user';
/** Set by the Worker (never by a client) when the caller is signed in. */
export const USER_HEADER = 'x-sealroom-user';

/** Dead connections are swept this often while anyone is connected. */
const SWEEP_MS = 30_000;
/** How long the Room trusts its copies of the meeting row and the origin row. */
const MEETING_CACHE_MS = 3000;
const ORIGIN_CACHE_MS = 5000;
/** Enforcement calls sent to the origin in one request at most. */
const CONTROL_BATCH = 500;
const CONTROL_RETRY_BASE_MS = 1000;
const CONTROL_RETRY_MAX_MS = 30_000;
/** Files relayed through the room: larger ones belong in R2. */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;
/** A meeting without an organization's tier (anonymous) may hold this many people. */
export const DEFAULT_MAX_PARTICIPANTS = 1000;

const log = (event: Record<string, unknown>) => console.log(JSON.stringify(event));

export class Room extends DurableObject<Env> {
  #store: RoomStore;
  #room: RoomData | null = null;
  #limiter = new RateLimiter();
  #socketCache: Map<string, WebSocket> | null = null;
  #knownGoodPassword: string | null = null;
  #meetingCache: { at: number; meeting: Awaited<ReturnType<typeof getMeeting>> } | null = null;
  #originCache: { at: number; origin: OriginRow | null } | null = null;
  /** An assignment under way: members asking at once all get the origin the first one picked. */
  #assigning: Promise<OriginRow | null> | null = null;
  #probe = new OriginProbe();
  /** The check of the assigned origin under way after a media drop, shared by everyone who asks. */
  #checking: Promise<void> | null = null;
  #accessCache: { at: number; value: { maxParticipants: number; allowAnonymous: boolean } } | null = null;
  #flushing = false;
  #turn: TurnConfig | null | undefined;
  #controlAttempts = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Keepalives are answered without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
    this.#store = new RoomStore(ctx.storage.sql);
    this.#room = this.#store.load();
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('expected a WebSocket upgrade', { status: 426 });
    const meetingId = MeetingId.safeParse(request.headers.get(MEETING_HEADER));
    if (!meetingId.success) return new Response('bad meeting id', { status: 400 });
    if (!this.#room) {
      const meeting = await getMeeting(this.env.DB, meetingId.data);
      if (!meeting) return new Response('no such meeting', { status: 404 });
      this.#room = this.#store.init(meeting.id, meeting.topic, meeting.settings);
    }
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    pair[1].serializeAttachment({
      id: null,
      status: 'new',
      ip: request.headers.get(CLIENT_IP_HEADER) ?? '',
      conn: randomToken(9),
      hostClaim: request.headers.has(HOST_CLAIM_HEADER),
      signedIn: request.headers.has(USER_HEADER),
      userId: request.headers.get(USER_HEADER),
      region: request.headers.get(REGION_HEADER),
    } satisfies Attachment);
    await this.#armSweep();
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const room = this.#room;
    if (!room) return ws.close(1011, 'room not initialised');
    const a = ws.deserializeAttachment() as Attachment;
    if (a.cut) return;
    // Every frame, even one that will not parse, draws on the socket's budget before any work is done.
    if (!this.#limiter.take(a.conn, 'frame', Date.now()))
      return this.#strike(ws, a, { type: 'error', code: 'rate_limited', message: 'too many messages', retryAfter: 1 });
    const parsed = parseJson(ClientToRoom, raw, MAX_ROOM_FRAME);
    if (!parsed.ok) return this.#strike(ws, a, { type: 'error', code: parsed.code, message: parsed.message });
    const msg = parsed.value;
    const conn: Conn = a.status === 'new' || a.id === null ? { status: 'new', ip: a.ip } : { status: a.status, id: a.id, ip: a.ip };

    let hostKeyValid = false;
    let password: PasswordCheck = 'none';
    const resumeHash = msg.type === 'join' && msg.resume !== undefined ? bytesToHex(sha256(new TextEncoder().encode(msg.resume))) : null;
    // Only a join consults the meeting row, the tier and the org policy; other messages skip the lookups.
    let access = { maxParticipants: DEFAULT_MAX_PARTICIPANTS, allowAnonymous: true };
    if (msg.type === 'join' && conn.status === 'new') {
      access = await this.#access();
      const meeting = await this.#meeting(room.meetingId);
      if (!meeting || meeting.ended)
        return this.#apply(ws, [{ kind: 'reply', msg: { type: 'error', code: 'meeting_ended', message: 'this meeting has ended' } }]);
      if (msg.hostKey !== undefined) hostKeyValid = timingSafeEqual(await sha256HexOf(msg.hostKey), meeting.hostKeyHash);
      else if (a.hostClaim) hostKeyValid = true;
      // A seat resuming within its grace window passed the password when it first came in.
      const resuming = resumableSeat(room, resumeHash, Date.now()) !== null;
      if (!hostKeyValid && !resuming && meeting.passwordHash)
        password = await this.#checkPassword(conn.ip, msg.clientId ?? '', msg.password, meeting.passwordHash);
    }
    const ctx: DecideContext = {
      now: Date.now(),
      newParticipantId: () => randomToken(16),
      nextSenderIndex: () => this.#store.nextSenderIndex(),
      hostKeyValid,
      password,
      allow: (id, bucket) => this.#limiter.take(id, bucket, Date.now()),
      ...access,
      signedIn: a.signedIn === true,
      userId: a.userId ?? null,
      resumeHash,
      newResume: () => {
        // 43 base64url characters: 258 random bits.
        const secret = randomToken(43);
        return { secret, hash: bytesToHex(sha256(new TextEncoder().encode(secret))) };
      },
      maxFileBytes: MAX_FILE_BYTES,
    };
    const effects = decide(room, conn, msg, ctx);
    // A refusal is a strike against the socket; a join's refusals are the gates' business, and a
    // file sender paces itself on its transfer's own rate refusals, so neither counts.
    const refusal = msg.type === 'join' ? undefined : effects.find((e) => e.kind === 'reply' && e.msg.type === 'error');
    if (refusal?.kind === 'reply' && !(msg.type.startsWith('file-') && refusal.msg.type === 'error' && refusal.msg.code === 'rate_limited')) {
      await this.#apply(
        ws,
        effects.filter((e) => e !== refusal),
      );
      return this.#strike(ws, a, refusal.msg);
    }
    await this.#apply(ws, effects);
  }

  /**
   * A refused frame (over budget or unparseable). The first few are answered, so an honest
   * client learns to slow down; after that they are dropped unanswered, and a socket that keeps
   * on is cut off: its seat ends as if its network had dropped, and it is not let back in on
   * this socket.
   */
  async #strike(ws: WebSocket, a: Attachment, reply: RoomToClient): Promise<void> {
    const strikes = this.#limiter.strike(a.conn, Date.now());
    if (strikes <= FLOOD.answered) this.#send(ws, reply);
    if (strikes < FLOOD.cutAfter) return;
    const room = this.#room;
    ws.serializeAttachment({ ...a, cut: true } satisfies Attachment);
    log({ event: 'flood_cut', meetingId: room?.meetingId, participantId: a.id, strikes });
    const m = a.id && room ? room.members.get(a.id) : undefined;
    const w = a.id && room ? room.waiting.get(a.id) : undefined;
    const effects: Effect[] = m ? departure(room!, m, 'disconnected', Date.now()) : w ? waiterGone(w) : [];
    effects.push({
      kind: 'audit',
      actor: a.id,
      role: m?.role ?? null,
      action: 'flood-cut',
      target: a.id,
      result: 'rate_limited',
      detail: `${strikes} refused frames`,
    });
    if (a.id) this.#socketsById().delete(a.id);
    this.#limiter.forget(a.conn);
    await this.#apply(null, effects);
    try {
      ws.close(1008, 'flooding');
    } catch {
      // already gone
    }
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    await this.#dropped(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.#dropped(ws);
  }

  /** Finishes a breakout recall when its countdown ends, ends held seats whose grace ran out, and sweeps connections that vanished without a close event (a restart drops sockets silently). */
  override async alarm(): Promise<void> {
    const room = this.#room;
    if (!room) return;
    if (room.breakout.closingAt !== null && room.breakout.closingAt <= Date.now()) await this.#apply(null, closeBreakouts(room));
    await this.#flushControls();
    const live = new Set<string>();
    for (const ws of this.ctx.getWebSockets()) {
      const a = ws.deserializeAttachment() as Attachment | null;
      if (a?.id && ws.readyState === WebSocket.OPEN) live.add(a.id);
    }
    // Seats held too long end first; a member whose socket vanished is then held like any drop.
    const expired = expireAway(room, Date.now());
    if (expired.length) await this.#apply(null, expired);
    const effects: Effect[] = [];
    for (const m of room.members.values()) if (!live.has(m.id)) effects.push(...away(room, m, Date.now()));
    for (const w of room.waiting.values()) if (!live.has(w.id)) effects.push(...waiterGone(w));
    if (effects.length) await this.#apply(null, effects);
    await this.#armSweep();
  }

  /** Ends the meeting for everyone (meeting deleted through the API). */
  async endMeeting(reason: string): Promise<void> {
    const room = this.#room;
    if (!room || room.ended) return;
    log({ event: 'end', meetingId: room.meetingId, reason });
    await this.#apply(null, endMeeting(room, false));
  }

  async #dropped(ws: WebSocket): Promise<void> {
    const room = this.#room;
    const a = ws.deserializeAttachment() as Attachment | null;
    if (!room || !a?.id) return;
    // Forget the binding first, so the effects don't try to talk to this socket.
    ws.serializeAttachment({ ...a, id: null, status: 'new' } satisfies Attachment);
    this.#socketsById().delete(a.id);
    this.#limiter.forget(a.id);
    this.#limiter.forget(a.conn);
    const m = room.members.get(a.id);
    if (m) return this.#apply(null, away(room, m, Date.now()));
    const w = room.waiting.get(a.id);
    if (w) return this.#apply(null, waiterGone(w));
  }

  /**
   * The meeting's D1 row, re-read at most every few seconds: a crowd joining at once would
   * otherwise make one D1 round trip each, one after another, in this single-threaded object.
   */
  async #meeting(id: string) {
    const now = Date.now();
    if (!this.#meetingCache || now - this.#meetingCache.at > MEETING_CACHE_MS) this.#meetingCache = { at: now, meeting: await getMeeting(this.env.DB, id) };
    return this.#meetingCache.meeting;
  }

  /** One password check inside the gate's budget (password-gate.ts), with scrypt bounded per isolate. */
  async #checkPassword(ip: string, device: string, given: string | undefined, hash: string): Promise<PasswordCheck> {
    // Asking for the password is not a guess.
    if (given === undefined) return 'wrong';
    const attempt = reservePasswordAttempt(this.#store, addressKey(ip), device, Date.now());
    if (!attempt.ok) return { retryAfter: attempt.retryAfter };
    let good: boolean;
    try {
      // scrypt costs ~0.2 s of CPU and a Room runs one thing at a time, so a thousand people
      // entering one password would queue for minutes. Once the password is known to be right,
      // its SHA-256 (kept in memory only, bound to the stored hash) lets the next ones in at once.
      const digest = await sha256HexOf(`${hash}\n${given}`);
      good = (this.#knownGoodPassword !== null && timingSafeEqual(digest, this.#knownGoodPassword)) || (await runScrypt(() => verifyPassword(given, hash)));
      if (good) this.#knownGoodPassword = digest;
    } catch (err) {
      // Not checked, so not a guess.
      this.#store.refundPasswordAttempt(attempt.id);
      if (err instanceof ScryptBusy) return { retryAfter: err.retryAfterSeconds };
      throw err;
    }
    if (good) this.#store.refundPasswordAttempt(attempt.id);
    return good ? 'ok' : 'wrong';
  }

  // ── effects ────────────────────────────────────────────────────────────────

  /** Carries out effects in order. `ws` is the sending connection (null for room-initiated work). */
  async #apply(ws: WebSocket | null, input: Effect[]): Promise<void> {
    const room = this.#room;
    if (!room) return;
    const sockets = this.#socketsById();
    const effects = coalesce(input);
    const controls: OriginControl[] = [];
    for (const e of effects) {
      switch (e.kind) {
        case 'put-member':
          this.#store.putMember(e.member);
          break;
        case 'del-member':
          this.#store.deleteMember(e.id);
          this.ctx.waitUntil(recordLeave(this.env.DB, room.meetingId, e.id).catch((err) => log({ event: 'usage_write_failed', error: String(err) })));
          break;
        case 'put-waiting':
          this.#store.putWaiting(e.entry);
          break;
        case 'del-waiting':
          this.#store.deleteWaiting(e.id);
          break;
        case 'ban':
          this.#store.ban(e.ban);
          break;
        case 'unban':
          this.#store.unban(e.id);
          break;
        case 'put-departed':
          this.#store.putDeparted(e.record);
          break;
        case 'del-departed':
          this.#store.deleteDeparted(e.id);
          break;
        case 'put-denied':
          this.#store.putDenied(e.record, e.record.at - DENY_COOL_DOWN_MS);
          break;
        case 'room':
          this.#store.patchRoom(e.patch);
          break;
        case 'bind': {
          if (!ws) break;
          const a = ws.deserializeAttachment() as Attachment;
          ws.serializeAttachment({ ...a, id: e.id, status: e.status } satisfies Attachment);
          sockets.set(e.id, ws);
          break;
        }
        case 'welcome': {
          const m = room.members.get(e.id);
          const target = sockets.get(e.id);
          if (!m || !target) break;
          const a = target.deserializeAttachment() as Attachment;
          target.serializeAttachment({ ...a, status: 'member' } satisfies Attachment);
          this.#send(target, {
            type: 'welcome',
            meetingId: room.meetingId,
            topic: room.topic,
            self: participantOf(m),
            participants: [...room.members.values()].filter((o) => o.id !== m.id).map(participantOf),
            state: roomState(room),
            waiting: isHostish(m.role) ? waitingEntries(room) : [],
            origin: await this.#grant(m.id, m.role, m.breakout),
            maxFileBytes: MAX_FILE_BYTES,
            resume: e.resume,
            ...(e.resumed ? { resumed: true } : {}),
          });
          log({ event: 'join', meetingId: room.meetingId, participantId: m.id, role: m.role });
          // Usage reports (participant-minutes, peaks) for the owner's organization.
          this.ctx.waitUntil(recordJoin(this.env.DB, room.meetingId, m.id).catch((err) => log({ event: 'usage_write_failed', error: String(err) })));
          break;
        }
        case 'reply':
          if (ws) this.#send(ws, e.msg);
          break;
        case 'send': {
          const target = sockets.get(e.to);
          if (target) this.#send(target, e.msg);
          break;
        }
        case 'broadcast': {
          const text = JSON.stringify(e.msg);
          for (const m of room.members.values()) {
            if (m.id === e.except || (e.to === 'hosts' && !isHostish(m.role))) continue;
            if (e.room !== undefined && m.breakout !== e.room) continue;
            const s = sockets.get(m.id);
            if (s) this.#sendText(s, text);
          }
          break;
        }
        case 'waiting-list': {
          const text = JSON.stringify({ type: 'waiting-list', waiting: waitingEntries(room) } satisfies RoomToClient);
          for (const m of room.members.values()) {
            const s = isHostish(m.role) ? sockets.get(m.id) : undefined;
            if (s) this.#sendText(s, text);
          }
          break;
        }
        case 'grant-ticket': {
          const a = ws?.deserializeAttachment() as Attachment | undefined;
          const m = a?.id ? room.members.get(a.id) : undefined;
          // Media dropped: the origin may have died. Its heartbeat row says so only after 20 s; ask it now.
          if (m && e.mediaLost) await this.#checkOrigin();
          const grant = m ? await this.#grant(m.id, m.role, m.breakout) : null;
          if (ws) this.#send(ws, grant ? { type: 'ticket', origin: grant } : { type: 'error', code: 'no_origin', message: 'no media origin is available' });
          // A member reconnecting its media may reach an origin that never heard the host's holds (a
          // new origin, or one that restarted): say them again before the media arrives.
          if (m) controls.push(...holdsOf(room.meetingId, m));
          break;
        }
        case 'prepare': {
          // The join that follows reads the same rows and places the meeting the same way:
          // doing it now takes those reads off the join's path as well.
          const [meeting] = await Promise.all([this.#meeting(room.meetingId), this.#access()]);
          const region = (ws?.deserializeAttachment() as Attachment | undefined)?.region ?? null;
          const origin = meeting && !meeting.ended ? await this.#origin(true, () => region) : null;
          if (ws) this.#send(ws, { type: 'prepared', origin: origin?.url ?? null });
          break;
        }
        case 'close': {
          const targets = e.id === null ? [...sockets.values()] : [sockets.get(e.id)].filter((s): s is WebSocket => s !== undefined);
          for (const s of targets) {
            const a = s.deserializeAttachment() as Attachment;
            if (a.id) sockets.delete(a.id);
            s.serializeAttachment({ ...a, id: null, status: 'new' } satisfies Attachment);
            try {
              s.close(e.code, e.reason);
            } catch {
              // already closed by the peer
            }
          }
          break;
        }
        case 'origin':
          controls.push(e.control);
          break;
        case 'put-file':
          this.#store.putFile(e.file);
          break;
        case 'del-file':
          this.#store.deleteFile(e.id);
          break;
        case 'moved': {
          const m = room.members.get(e.id);
          const target = sockets.get(e.id);
          if (m && target) this.#send(target, { type: 'moved', room: e.room, origin: await this.#grant(m.id, m.role, e.room) });
          break;
        }
        case 'schedule':
          await this.#armSweep(e.at);
          break;
        case 'end-meeting':
          await markEnded(this.env.DB, room.meetingId);
          break;
        case 'audit': {
          const ip = ws ? (ws.deserializeAttachment() as Attachment).ip : null;
          this.ctx.waitUntil(
            audit(this.env.DB, {
              meetingId: room.meetingId,
              actor: e.actor,
              role: e.role,
              action: e.action,
              target: e.target,
              result: e.result,
              ip,
              detail: e.detail ?? null,
            }),
          );
          break;
        }
        default:
          assertNever(e);
      }
    }
    if (controls.length > 0) {
      this.#store.queueControls(controls);
      this.ctx.waitUntil(this.#flushControls());
    }
  }

  /**
   * Delivers queued enforcement calls to the origin, oldest first, in one request, and keeps
   * them until the origin confirms: a refused or unanswered call is retried (1 s, 2 s, 4 s …
   * up to 30 s) from the alarm, so a mute the host gave holds at the origin even if the first
   * call is lost. The calls are idempotent (pause, release, close), so a resend is harmless.
   */
  async #flushControls(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      for (;;) {
        const { upTo, controls } = this.#store.queuedControls(CONTROL_BATCH);
        if (controls.length === 0) return;
        const origin = await this.#origin(false);
        // No origin serves the meeting: there is no media to hold, and a new origin gets the state when members connect to it.
        if (!origin) return this.#store.confirmControls(upTo);
        const ok = await sendControl(this.env.SEALROOM_SHARED_SECRET, origin.control_url, controls.length === 1 ? controls[0]! : controls);
        if (!ok) {
          this.#controlAttempts++;
          await this.#armSweep(Date.now() + Math.min(CONTROL_RETRY_MAX_MS, CONTROL_RETRY_BASE_MS * 2 ** Math.min(this.#controlAttempts - 1, 10)));
          return;
        }
        this.#controlAttempts = 0;
        this.#store.confirmControls(upTo);
      }
    } finally {
      this.#flushing = false;
    }
  }

  /**
   * Bound sockets by participant id (members and waiters). Rebuilt from the hibernation
   * attachments once per wake, then kept current by bind, close and drop.
   */
  #socketsById(): Map<string, WebSocket> {
    if (this.#socketCache) return this.#socketCache;
    const out = new Map<string, WebSocket>();
    for (const ws of this.ctx.getWebSockets()) {
      const a = ws.deserializeAttachment() as Attachment | null;
      if (a?.id) out.set(a.id, ws);
    }
    this.#socketCache = out;
    return out;
  }

  /** One alarm serves every job: the next sweep, a breakout recall, or the end of a held seat, whichever comes first. */
  async #armSweep(at?: number): Promise<void> {
    const closing = this.#room?.breakout.closingAt ?? null;
    // Held seats must end on time even when nobody is connected to sweep.
    const expiry = this.#room ? nextAwayExpiry(this.#room) : null;
    const wanted = Math.min(at ?? Infinity, closing ?? Infinity, expiry ?? Infinity, this.ctx.getWebSockets().length > 0 ? Date.now() + SWEEP_MS : Infinity);
    if (wanted === Infinity) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > wanted) await this.ctx.storage.setAlarm(wanted);
  }

  /** The owner's tier and organization policy, re-read as often as the meeting row. */
  async #access(): Promise<{ maxParticipants: number; allowAnonymous: boolean }> {
    const room = this.#room;
    const now = Date.now();
    if (room && (!this.#accessCache || now - this.#accessCache.at > MEETING_CACHE_MS)) {
      const configured = (this.env as unknown as Record<string, string | undefined>).DEFAULT_MAX_PARTICIPANTS;
      const a = await meetingAccess(this.env.DB, room.meetingId, configured ?? DEFAULT_MAX_PARTICIPANTS);
      this.#accessCache = { at: now, value: { maxParticipants: a.maxParticipants, allowAnonymous: a.allowAnonymousJoin } };
    }
    return this.#accessCache?.value ?? { maxParticipants: DEFAULT_MAX_PARTICIPANTS, allowAnonymous: true };
  }

  /**
   * The origin serving this meeting: the one already assigned while it lives, else one picked
   * near `regionOf()` (the participant asking) and by load. `regionOf` runs only when picking.
   */
  async #origin(assign: boolean, regionOf: () => string | null = () => null): Promise<OriginRow | null> {
    const now = Date.now();
    if (this.#originCache && now - this.#originCache.at < ORIGIN_CACHE_MS) return this.#originCache.origin;
    if (!assign) return this.#lookUpOrigin(false, now, regionOf);
    this.#assigning ??= this.#lookUpOrigin(true, now, regionOf).finally(() => (this.#assigning = null));
    return this.#assigning;
  }

  async #lookUpOrigin(assign: boolean, now: number, regionOf: () => string | null): Promise<OriginRow | null> {
    const assigned = this.#store.originId();
    let row = assigned ? await getOrigin(this.env.DB, assigned) : null;
    if (!row && assign) {
      row = await pickOrigin(this.env.DB, regionOf());
      if (row) this.#store.setOriginId(row.id);
    }
    this.#originCache = { at: now, origin: row };
    return row;
  }

  /**
   * Probes the assigned origin; a dead one is taken out of the pick for every Room (until it
   * heartbeats again) and forgotten here, so the next grant assigns the least-loaded live one.
   */
  #checkOrigin(): Promise<void> {
    this.#checking ??= (async () => {
      const origin = await this.#origin(false);
      if (!origin || (await this.#probe.alive(origin.id, origin.control_url))) return;
      await markOriginDown(this.env.DB, origin.id);
      // Only forget it if no newer assignment happened meanwhile.
      if (this.#originCache?.origin?.id === origin.id || this.#store.originId() === origin.id) this.#originCache = null;
      log({ event: 'origin_failed_probe', meetingId: this.#room?.meetingId, originId: origin.id });
    })().finally(() => (this.#checking = null));
    return this.#checking;
  }

  async #grant(participantId: string, role: 'host' | 'cohost' | 'participant', breakout: string | null): Promise<OriginGrant | null> {
    const room = this.#room;
    const origin = await this.#origin(true, () => this.#regionOf(participantId));
    if (!origin || !room) return null;
    const { ticket, expiresAt } = await signTicket(this.env.SEALROOM_SHARED_SECRET, {
      meetingId: room.meetingId,
      participantId,
      role,
      sources: ['audio', 'video', 'screen'],
      room: breakout,
    });
    const turn = this.#turnConfig();
    if (!turn) return { url: origin.url, ticket, expiresAt };
    return {
      url: origin.url,
      ticket,
      expiresAt,
      iceServers: [turnServerFor(turn, participantId, Date.now())],
      ...(turn.relayOnly ? { iceTransportPolicy: 'relay' as const } : {}),
    };
  }

  /** The region the participant's socket came from. Scans the sockets: only a placement asks. */
  #regionOf(participantId: string): string | null {
    for (const ws of this.ctx.getWebSockets()) {
      const a = ws.deserializeAttachment() as Attachment | null;
      if (a?.id === participantId) return a.region ?? null;
    }
    return null;
  }

  /** TURN from the environment, read once; a broken setting is logged and means no TURN rather than no joins. */
  #turnConfig(): TurnConfig | null {
    if (this.#turn === undefined) {
      try {
        this.#turn = turnConfigOf(this.env);
      } catch (err) {
        log({ event: 'turn_config_invalid', error: String(err) });
        this.#turn = null;
      }
    }
    return this.#turn;
  }

  #send(ws: WebSocket, msg: RoomToClient): void {
    this.#sendText(ws, JSON.stringify(msg satisfies RoomToClient));
  }

  #sendText(ws: WebSocket, text: string): void {
    try {
      ws.send(text);
    } catch {
      // The peer is gone; its close handler announces the departure.
    }
  }
}

function assertNever(x: never): never {
  throw new Error(`unhandled effect ${JSON.stringify(x)}`);
}
