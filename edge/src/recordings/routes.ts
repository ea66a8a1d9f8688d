/**
 * /api/recordings: cloud recordings of the signed-in user, and the public side of
 * share links. See docs/recordings.md for the flow and protocol/src/recordings.ts for bodies.
 *
 *   POST   /                       create (starts the R2 multipart upload)          → 201 RecordingView
 *   GET    /                       list + storage used                              → RecordingList
 *   GET    /usage                  storage used by the caller and their org          → StorageUsage
 *   GET    /retention              the org's retention                              → RetentionSetting
 *   PUT    /retention              set it (org owner/admin)                          → RetentionSetting
 *   GET    /:id                    one recording                                     → RecordingView
 *   GET    /:id/parts              which parts arrived (resume)                      → PartList
 *   PUT    /:id/parts/:n           one part, raw bytes, sealed at rest as it streams → PartReceipt
 *   PUT    /:id/tail/:n/:offset    what is sealed of part n so far, from offset       → TailReceipt
 *   POST   /:id/complete           complete the upload                               → RecordingView
 *   GET    /:id/content            the client-sealed bytes, at-rest layer removed (Range: one byte range → 206)
 *   DELETE /:id                    erase object and wrapped key                      → 204
 *   POST   /:id/shares             new share link id                                 → 201 ShareView
 *   GET    /:id/shares             the recording's share links                       → { shares }
 *   DELETE /:id/shares/:shareId    revoke                                            → 204
 *   GET    /shared/:shareId        (anyone holding the link) metadata                → SharedRecording
 *   GET    /shared/:shareId/content                     the client-sealed bytes
 */
import {
  CompleteRecording,
  CreateRecording,
  CreateShare,
  type PartList,
  type RecordingErrorCode,
  type RecordingList,
  RetentionSetting,
  type SharedRecording,
  type TailReceipt,
} from '@sealroom/protocol';
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { z } from 'zod';
import { type AppEnv, type Ctx, auditRequest, caller, kmsOf } from '../accounts/context.ts';
import { jsonBody } from '../http/body.ts';
import { publicRoute, requires } from '../policy/guard.ts';
import { randomToken } from '../random.ts';
import { parseRange } from './range.ts';
import { putTail } from './tails.ts';
import { fail } from '../http/errors.ts';
import type { Deps } from './deps.ts';
import { completeRecording, createRecording, erase, openContent, uploadPart } from './objects.ts';
import {
  type RecordingRow,
  getRecording,
  getRetention,
  getShare,
  insertShare,
  listOwned,
  listParts,
  listShares,
  revokeShare,
  setRetention,
  shareView,
  usage,
  view,
} from './store.ts';

const IdParam = z.string().regex(/^[A-Za-z0-9_-]{16,40}$/);
const PartNumberParam = z.coerce.number().int().min(1);
const ContentLength = z.coerce.number().int().min(0);

async function deps(c: Ctx): Promise<Deps> {
  return { db: c.env.DB, bucket: c.env.RECORDINGS, kms: await kmsOf(c.env) };
}

function param<S extends z.ZodType>(schema: S, value: string | undefined, name: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) fail(400, 'bad_message', `${name}: invalid`);
  return r.data;
}

declare module 'hono' {
  interface ContextVariableMap {
    /** The caller's own recording of `:id`, set by `owned`. */
    recording: RecordingRow;
  }
}

/** The caller's own recording of `:id`, in `c.var.recording`; someone else's is "not found", not "forbidden", so ids do not probe. */
const owned = createMiddleware<AppEnv>(async function ownedRecording(c, next) {
  const id = param(IdParam, c.req.param('id'), 'id');
  const rec = await getRecording(c.env.DB, id);
  if (!rec || rec.owner_id !== caller(c).user.id) fail(404, 'not_found', 'no such recording');
  c.set('recording', rec);
  await next();
});

/** Only a complete recording is shared: refused before its body is read. */
const completeOnly = createMiddleware<AppEnv>(async function completeOnly(c, next) {
  if (c.var.recording.status !== 'complete') fail(409, 'wrong_state', 'share a recording once it is complete');
  await next();
});

/** The client-sealed bytes, whole (200) or the one range asked for (206); a range outside them is 416. */
async function sealedContent(c: Ctx, rec: RecordingRow): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'cache-control': 'no-store',
    'accept-ranges': 'bytes',
    // The container type the sealed chunks hold, for the player; the bytes themselves are opaque.
    'x-sealroom-mime': rec.mime_type,
  };
  const range = rec.status === 'complete' ? parseRange(c.req.header('range'), rec.size_bytes) : null;
  if (range === 'unsatisfiable') {
    const error = { code: 'range_not_satisfiable', message: `the recording has ${rec.size_bytes} bytes` } satisfies {
      code: RecordingErrorCode;
      message: string;
    };
    return new Response(JSON.stringify({ error }), {
      status: 416,
      headers: { 'content-type': 'application/json', 'content-range': `bytes */${rec.size_bytes}` },
    });
  }
  const body = await openContent(await deps(c), rec, range);
  if (!range) return new Response(body, { headers: { ...headers, 'content-length': String(rec.size_bytes) } });
  return new Response(body, {
    status: 206,
    headers: { ...headers, 'content-length': String(range.end - range.start + 1), 'content-range': `bytes ${range.start}-${range.end}/${rec.size_bytes}` },
  });
}

/** A live share link and its complete recording, or 404 / 410. */
async function sharedRecording(c: Ctx): Promise<{ rec: RecordingRow; expiresAt: number }> {
  const id = param(IdParam, c.req.param('shareId'), 'shareId');
  const share = await getShare(c.env.DB, id);
  if (!share) fail(404, 'not_found', 'no such share link');
  if (share.revoked_at !== null || share.expires_at <= Date.now()) fail(410, 'share_gone', 'this share link was revoked or has expired');
  const rec = await getRecording(c.env.DB, share.recording_id);
  if (!rec || rec.status !== 'complete') fail(410, 'share_gone', 'the shared recording was deleted');
  return { rec, expiresAt: share.expires_at };
}

const shared = new Hono<AppEnv>()
  .get('/:shareId', publicRoute(), async (c) => {
    const { rec, expiresAt } = await sharedRecording(c);
    return c.json({
      title: rec.title,
      mimeType: rec.mime_type,
      size: rec.size_bytes,
      durationMs: rec.duration_ms,
      createdAt: rec.created_at,
      expiresAt,
      recordingId: rec.id,
    } satisfies SharedRecording);
  })
  .get('/:shareId/content', publicRoute(), async (c) => {
    const { rec } = await sharedRecording(c);
    return sealedContent(c, rec);
  });

const own = new Hono<AppEnv>()
  .post('/', requires('recording:create'), jsonBody(CreateRecording), async (c) => {
    const body = c.req.valid('json');
    const { user, org } = caller(c);
    const rec = await createRecording(await deps(c), { ownerId: user.id, orgId: org.id, ...body });
    await auditRequest(c, { action: 'recording.create', result: 'ok', target: rec.id, detail: rec.meeting_id ? `meeting ${rec.meeting_id}` : null });
    return c.json(view(rec), 201);
  })
  .get('/', requires('recording:read'), async (c) => {
    const { user, org } = caller(c);
    const [rows, use] = await Promise.all([listOwned(c.env.DB, user.id), usage(c.env.DB, user.id, org.id)]);
    return c.json({ recordings: rows.map(view), usage: use } satisfies RecordingList);
  })
  .get('/usage', requires('recording:read'), async (c) => {
    const { user, org } = caller(c);
    return c.json(await usage(c.env.DB, user.id, org.id));
  })
  .get('/retention', requires('recording:read'), async (c) => c.json({ days: await getRetention(c.env.DB, caller(c).org.id) } satisfies RetentionSetting))
  .put('/retention', requires('recording:retention'), jsonBody(RetentionSetting), async (c) => {
    const { user, org } = caller(c);
    if (user.role !== 'owner' && user.role !== 'admin') fail(403, 'forbidden', 'only an organization owner or admin sets retention');
    const { days } = c.req.valid('json');
    await setRetention(c.env.DB, org.id, days, user.id);
    await auditRequest(c, { action: 'recording.retention', result: 'ok', target: org.id, detail: days === null ? 'keep until deleted' : `${days} days` });
    return c.json({ days } satisfies RetentionSetting);
  })
  .get('/:id', requires('recording:read'), owned, async (c) => c.json(view(c.var.recording)))
  .get('/:id/parts', requires('recording:create'), owned, async (c) => {
    const rec = c.var.recording;
    const parts = await listParts(c.env.DB, rec.id);
    return c.json({ status: rec.status, partSize: rec.part_size, parts: parts.map((p) => ({ partNumber: p.part_number, size: p.size })) } satisfies PartList);
  })
  .put('/:id/parts/:n', requires('recording:create'), owned, async (c) => {
    const rec = c.var.recording;
    const n = param(PartNumberParam, c.req.param('n'), 'part number');
    const lengthHeader = c.req.header('content-length');
    if (lengthHeader === undefined) fail(411, 'length_required', 'a part needs a content-length');
    const length = param(ContentLength, lengthHeader, 'content-length');
    if (!c.req.raw.body) fail(400, 'bad_part', 'a part needs a body');
    const part = await uploadPart(await deps(c), rec, n, length, c.req.raw.body);
    return c.json({ partNumber: part.part_number, size: part.size });
  })
  .put('/:id/tail/:n/:offset', requires('recording:create'), owned, async (c) => {
    const rec = c.var.recording;
    const n = param(PartNumberParam, c.req.param('n'), 'part number');
    const offset = param(ContentLength, c.req.param('offset'), 'offset');
    const lengthHeader = c.req.header('content-length');
    if (lengthHeader === undefined) fail(411, 'length_required', 'a tail needs a content-length');
    const length = param(ContentLength, lengthHeader, 'content-length');
    if (!c.req.raw.body) fail(400, 'bad_part', 'a tail needs a body');
    await putTail(await deps(c), rec, n, offset, length, c.req.raw.body);
    return c.json({ partNumber: n, offset, size: length } satisfies TailReceipt);
  })
  .post('/:id/complete', requires('recording:create'), owned, jsonBody(CompleteRecording), async (c) => {
    const rec = c.var.recording;
    const body = c.req.valid('json');
    await completeRecording(await deps(c), rec, body.parts, body.durationMs);
    await auditRequest(c, { action: 'recording.complete', result: 'ok', target: rec.id, detail: `${body.parts} parts` });
    return c.json(view((await getRecording(c.env.DB, rec.id))!));
  })
  .get('/:id/content', requires('recording:read'), owned, async (c) => {
    return sealedContent(c, c.var.recording);
  })
  .delete('/:id', requires('recording:delete'), owned, async (c) => {
    const rec = c.var.recording;
    await erase(await deps(c), rec);
    await auditRequest(c, { action: 'recording.delete', result: 'ok', target: rec.id, detail: 'by owner' });
    return c.body(null, 204);
  })
  .post('/:id/shares', requires('recording:share'), owned, completeOnly, jsonBody(CreateShare), async (c) => {
    const rec = c.var.recording;
    const { expiresInSeconds } = c.req.valid('json');
    const now = Date.now();
    // 32 base64url characters = 192 bits: the id alone grants the sealed bytes, never the key.
    const share = {
      id: randomToken(32),
      recording_id: rec.id,
      created_by: caller(c).user.id,
      created_at: now,
      expires_at: now + expiresInSeconds * 1000,
      revoked_at: null,
    };
    await insertShare(c.env.DB, share);
    await auditRequest(c, { action: 'recording.share', result: 'ok', target: rec.id, detail: `expires ${new Date(share.expires_at).toISOString()}` });
    return c.json(shareView(share), 201);
  })
  .get('/:id/shares', requires('recording:share'), owned, async (c) => {
    const rec = c.var.recording;
    return c.json({ shares: (await listShares(c.env.DB, rec.id)).map(shareView) });
  })
  .delete('/:id/shares/:shareId', requires('recording:share'), owned, async (c) => {
    const rec = c.var.recording;
    const shareId = param(IdParam, c.req.param('shareId'), 'shareId');
    if (!(await revokeShare(c.env.DB, rec.id, shareId))) fail(404, 'not_found', 'no such live share link');
    await auditRequest(c, { action: 'recording.share_revoke', result: 'ok', target: rec.id });
    return c.body(null, 204);
  });

// `shared` first: its literal segment must not be read as a recording id.
export const recordingsRoutes = new Hono<AppEnv>().route('/shared', shared).route('/', own);
