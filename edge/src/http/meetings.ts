/** Meeting routes: schedule, read, edit, delete, invite, and the WebSocket into the meeting's Room. */
import { HOST_KEY_SCHEME, MeetingId, MeetingInput } from '@sealroom/protocol';
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { type AppEnv, type Ctx, clientIp } from '../accounts/context.ts';
import { invitationIcs, invitationText } from '../meetings/invitation.ts';
import {
  type Meeting,
  createMeeting,
  deleteMeeting,
  detailsView,
  getMeeting,
  personalMeeting,
  publicView,
  upcomingMeetings,
  updateMeeting,
} from '../meetings/store.ts';
import { sha256HexOf } from '../digest.ts';
import { equalText as timingSafeEqual } from '@sealroom/crypto/bytes';
import { CLIENT_IP_HEADER, HOST_CLAIM_HEADER, MEETING_HEADER, REGION_HEADER, USER_HEADER } from '../room/room.ts';
import { hit, parseLimit } from '../policy/rate-limit.ts';
import { allows, publicRoute, requires } from '../policy/guard.ts';
import { jsonBody } from './body.ts';
import { addressKey } from './client-address.ts';
import { HttpError } from './errors.ts';
import { callerRegion, locationHintOf } from './location-hint.ts';

async function findMeeting(db: D1Database, rawId: string): Promise<Meeting> {
  const id = MeetingId.safeParse(rawId);
  const meeting = id.success ? await getMeeting(db, id.data) : null;
  if (!meeting) throw new HttpError(404, 'meeting_not_found', 'no such meeting');
  return meeting;
}

/** Host-only routes take the host key in `authorization: HostKey <key>`, or the owner's (or an alternative host's) session. */
async function requireHost(req: Request, m: Meeting, user: { id: string; email: string } | null = null): Promise<void> {
  if (claimsHost(m, user)) return;
  const [scheme, key] = (req.headers.get('authorization') ?? '').split(' ');
  if (scheme !== HOST_KEY_SCHEME || !key || !timingSafeEqual(await sha256HexOf(key), m.hostKeyHash)) {
    throw new HttpError(403, 'forbidden', 'host key required');
  }
}

function checkInput(input: MeetingInput): MeetingInput {
  if (input.timeZone) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: input.timeZone });
    } catch {
      throw new HttpError(400, 'bad_message', `timeZone: unknown time zone ${input.timeZone}`);
    }
  }
  if (input.recurrence?.byDay && input.recurrence.freq !== 'weekly') throw new HttpError(400, 'bad_message', 'recurrence.byDay: only for weekly');
  return input;
}

const link = (req: Request, id: string) => `${new URL(req.url).origin}/m/${id}`;

/**
 * The user whose rights this request carries: only a full principal for the route's action (the
 * route's guard decides). A pending-MFA session, a session from outside the org's address
 * ranges or with an expired password, or a token scoped to something else is null here: anonymous.
 */
function userOf(c: Ctx) {
  return c.get('authority')?.user ?? null;
}

/** Anonymous creation: 10 per address in 10 minutes is a busy classroom, not a flood. */
const ANONYMOUS_CREATE = { count: 10, windowMs: 600_000 };
/** Signed-in creation is bounded per user instead, well above any scheduling by hand. */
const USER_CREATE = { count: 100, windowMs: 600_000 };

/** 429 with retry-after once the caller's creation budget is spent; null when admitted. */
async function creationRefused(c: Ctx): Promise<Response | null> {
  const user = userOf(c);
  const ip = clientIp(c);
  // Cloudflare sets cf-connecting-ip on every request; without it (a bare workerd) there is no address to count by.
  if (!user && !ip) return null;
  const admitted = user
    ? await hit(c.env.DB, `meeting-create-user:${user.id}`, parseLimit(c.env.MEETING_CREATE_USER_LIMIT, USER_CREATE, 'MEETING_CREATE_USER_LIMIT'))
    : await hit(c.env.DB, `meeting-create-addr:${addressKey(ip!)}`, parseLimit(c.env.MEETING_CREATE_LIMIT, ANONYMOUS_CREATE, 'MEETING_CREATE_LIMIT'));
  if (admitted.ok) return null;
  return c.json({ error: { code: 'rate_limited', message: 'too many meetings created; try again later' } }, 429, {
    'retry-after': String(admitted.retryAfterSeconds),
  });
}

declare module 'hono' {
  interface ContextVariableMap {
    /** The meeting of `:id`, set by `hostedMeeting` once the caller proved to be its host. */
    meeting: Meeting;
  }
}

/** Spends the caller's creation budget before the body is read: a refused caller costs no parsing. */
const creationBudget = createMiddleware<AppEnv>(async function creationBudget(c, next) {
  const refused = await creationRefused(c);
  if (refused) return refused;
  await next();
});

/** The meeting of `:id`, for its host only (host key, owner or alternative host); later handlers read `c.var.meeting`. */
const hostedMeeting = createMiddleware<AppEnv>(async function hostedMeeting(c, next) {
  const m = await findMeeting(c.env.DB, c.req.param('id')!);
  await requireHost(c.req.raw, m, userOf(c));
  c.set('meeting', m);
  await next();
});

/**
 * The meeting's owner and its alternative hosts claim host from their own session, without the host key.
 * An alternative host is named by email, so only an account that proved it reads that address counts:
 * anyone can sign up with any address. A caller without `emailVerifiedAt` is taken as unverified.
 */
function claimsHost(m: Meeting, user: { id: string; email: string; emailVerifiedAt?: number | null } | null): boolean {
  if (user === null) return false;
  if (m.ownerId === user.id) return true;
  return user.emailVerifiedAt != null && m.alternativeHosts.some((e) => e.toLowerCase() === user.email.toLowerCase());
}

export const meetings = new Hono<AppEnv>()
  .post('/', allows('meeting:create'), creationBudget, jsonBody(MeetingInput), async (c) => {
    const input = checkInput(c.req.valid('json'));
    // Signed in: the meeting is the caller's (listed as upcoming, host by session). Anonymous: host key only.
    const { id, hostKey } = await createMeeting(c.env.DB, input, userOf(c)?.id ?? null);
    return c.json({ id, hostKey, url: `/m/${id}` }, 201);
  })
  .post('/personal', requires('meeting:read-details', { crossSite: 'allow' }), async (c) => {
    const user = userOf(c);
    if (!user) throw new HttpError(401, 'forbidden', 'sign in to use your personal meeting');
    const m = await personalMeeting(c.env.DB, user.id, user.name);
    return c.json({ ...detailsView(m), url: `/m/${m.id}` });
  })
  .get('/', requires('meeting:read-details'), async (c) => {
    const user = userOf(c);
    if (!user) throw new HttpError(401, 'forbidden', 'sign in to list your meetings');
    const list = await upcomingMeetings(c.env.DB, user);
    return c.json({ meetings: list.map(detailsView) });
  })
  .get('/:id', publicRoute(), async (c) => {
    const m = await findMeeting(c.env.DB, c.req.param('id'));
    return c.json(publicView(m));
  })
  .get('/:id/details', allows('meeting:read-details'), hostedMeeting, async (c) => {
    return c.json(detailsView(c.var.meeting));
  })
  .patch('/:id', allows('meeting:update'), hostedMeeting, jsonBody(MeetingInput), async (c) => {
    const input = checkInput(c.req.valid('json'));
    return c.json(detailsView(await updateMeeting(c.env.DB, c.var.meeting, input)));
  })
  .delete('/:id', allows('meeting:delete'), hostedMeeting, async (c) => {
    const m = c.var.meeting;
    // End it for everyone in it before the record goes.
    await c.env.ROOM.get(c.env.ROOM.idFromName(m.id)).endMeeting('deleted');
    await deleteMeeting(c.env.DB, m.id);
    return c.body(null, 204);
  })
  .get('/:id/invitation', publicRoute(), async (c) => {
    const m = await findMeeting(c.env.DB, c.req.param('id'));
    return c.json({ text: invitationText(m, link(c.req.raw, m.id)), link: link(c.req.raw, m.id) });
  })
  .get('/:id/invitation.ics', publicRoute(), async (c) => {
    const m = await findMeeting(c.env.DB, c.req.param('id'));
    return c.body(invitationIcs(m, link(c.req.raw, m.id)), 200, {
      'content-type': 'text/calendar; charset=utf-8',
      'content-disposition': `attachment; filename="sealroom-${m.id}.ics"`,
    });
  })
  .get('/:id/ws', allows('meeting:host'), async (c) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw new HttpError(426, 'bad_message', 'expected a WebSocket upgrade');
    const m = await findMeeting(c.env.DB, c.req.param('id'));
    if (m.ended) throw new HttpError(410, 'meeting_ended', 'this meeting has ended');
    const headers = new Headers(c.req.raw.headers);
    headers.set(MEETING_HEADER, m.id);
    headers.set(CLIENT_IP_HEADER, c.req.header('cf-connecting-ip') ?? '127.0.0.1');
    // Only the Worker may say who claims host; whatever a client sent under that name goes.
    headers.delete(HOST_CLAIM_HEADER);
    headers.delete(USER_HEADER);
    // Only a full principal is anyone to the Room: a weaker one joins as a guest, like anyone without an account.
    const user = userOf(c);
    if (user) headers.set(USER_HEADER, user.id);
    if (claimsHost(m, user)) headers.set(HOST_CLAIM_HEADER, user!.id);
    const cf = c.req.raw.cf as Parameters<typeof locationHintOf>[0];
    const hint = locationHintOf(cf);
    // The Room places the meeting's media near its first joiner; only the Worker says where that is.
    headers.delete(REGION_HEADER);
    const region = callerRegion(cf, c.req.header(REGION_HEADER), c.env.TRUST_REGION_HEADER === '1');
    if (region) headers.set(REGION_HEADER, region);
    const stub = c.env.ROOM.get(c.env.ROOM.idFromName(m.id), hint ? { locationHint: hint } : undefined);
    return stub.fetch(new Request(c.req.url, { headers }));
  });
