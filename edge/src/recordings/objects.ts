/**
 * A recording's life in R2: create the multipart upload, seal and upload a part, complete,
 * stream the object back without its at-rest layer, and erase. No route logic here; routes.ts
 * checks who may call, this does the I/O.
 */
import { RECORDING_MAX_PARTS, RECORDING_PART_SIZE } from '@sealroom/protocol';
import type { Deps } from './deps.ts';
import { randomToken } from '../random.ts';
import { AtRestError, openObject, planRange, sealPart, sliceStream, storedLength } from './at-rest.ts';
import { createDataKey, loadDataKey, shredStatement } from './data-key.ts';
import { fail } from '../http/errors.ts';
import type { ByteRange } from './range.ts';
import { dropTails, tailOf } from './tails.ts';
import { type PartRow, type RecordingRow, deleteStatements, insertRecording, listParts, markComplete, putPart } from './store.ts';

const log = (o: Record<string, unknown>) => console.log(JSON.stringify(o));

export async function createRecording(
  d: Deps,
  input: { ownerId: string; orgId: string; meetingId: string | null; title: string; mimeType: string; keyWrap: string },
  now = Date.now(),
): Promise<RecordingRow> {
  const id = randomToken(22);
  const dataKeyId = await createDataKey(d.db, d.kms, { orgId: input.orgId, userId: input.ownerId }, now);
  // The object key names nothing about the owner or the meeting: R2 listings leak no metadata.
  const r2Key = `recordings/${id}`;
  const upload = await d.bucket.createMultipartUpload(r2Key, { httpMetadata: { contentType: 'application/octet-stream' } });
  const row: RecordingRow = {
    id,
    owner_id: input.ownerId,
    org_id: input.orgId,
    meeting_id: input.meetingId,
    title: input.title,
    mime_type: input.mimeType,
    key_wrap: input.keyWrap,
    status: 'uploading',
    r2_key: r2Key,
    upload_id: upload.uploadId,
    data_key_id: dataKeyId,
    part_size: RECORDING_PART_SIZE,
    size_bytes: 0,
    stored_bytes: 0,
    duration_ms: null,
    created_at: now,
    updated_at: now,
    completed_at: null,
  };
  await insertRecording(d.db, row);
  return row;
}

/**
 * Seals one part at rest as it streams in and hands it to R2.
 * @throws HttpError `bad_part` on a wrong part number or length, or a body that ends early
 */
export async function uploadPart(d: Deps, rec: RecordingRow, partNumber: number, length: number, body: ReadableStream<Uint8Array>): Promise<PartRow> {
  if (rec.status !== 'uploading' || !rec.upload_id) fail(409, 'wrong_state', 'this recording is already complete');
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > RECORDING_MAX_PARTS)
    fail(400, 'bad_part', `part number must be 1…${RECORDING_MAX_PARTS}`);
  if (length < 1 || length > rec.part_size) fail(400, 'bad_part', `a part is 1…${rec.part_size} bytes (all but the last exactly ${rec.part_size})`);
  const key = await loadDataKey(d.db, d.kms, rec);
  const stored = storedLength(length);
  // R2 needs a stream of known length; FixedLengthStream also errors if the client sends more or less.
  const fixed = new FixedLengthStream(stored);
  const piping = sealPart(body, length, key, rec.id, partNumber).pipeTo(fixed.writable);
  const upload = d.bucket.resumeMultipartUpload(rec.r2_key, rec.upload_id);
  let etag: string;
  try {
    const [, uploaded] = await Promise.all([piping, upload.uploadPart(partNumber, fixed.readable)]);
    etag = uploaded.etag;
  } catch (err) {
    // A dropped connection ends up here too: the part is simply not recorded, the client re-sends it.
    log({ event: 'recording_part_failed', recordingId: rec.id, partNumber, error: String(err) });
    if (err instanceof AtRestError) fail(400, 'bad_part', err.message);
    fail(400, 'bad_part', 'the part did not arrive whole; send it again');
  }
  const part = { part_number: partNumber, etag, size: length, stored_size: stored };
  await putPart(d.db, rec.id, part);
  // The part is whole now: its tail segments have nothing left to save.
  await dropTails(d.bucket, rec, partNumber).catch((err: unknown) => log({ event: 'recording_tail_drop_failed', recordingId: rec.id, error: String(err) }));
  return part;
}

/**
 * The parts that make a valid object: 1…n, all of the upload's part size but the last.
 * @returns the longest such prefix (used to salvage an abandoned upload) and whether it is all of `parts`
 */
export function contiguousPrefix(parts: PartRow[], partSize: number): PartRow[] {
  const out: PartRow[] = [];
  for (const [i, p] of parts.entries()) {
    if (p.part_number !== i + 1) break;
    out.push(p);
    if (p.size !== partSize) break;
  }
  return out;
}

/** Completes the multipart upload with exactly `count` parts. */
export async function completeRecording(d: Deps, rec: RecordingRow, count: number, durationMs: number | null, now = Date.now()): Promise<void> {
  if (rec.status !== 'uploading' || !rec.upload_id) fail(409, 'wrong_state', 'this recording is already complete');
  const parts = await listParts(d.db, rec.id);
  const prefix = contiguousPrefix(parts, rec.part_size);
  if (prefix.length < count || parts.length !== count) {
    const have = new Set(parts.map((p) => p.part_number));
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !have.has(n));
    fail(
      409,
      'parts_missing',
      missing.length ? `missing parts: ${missing.slice(0, 20).join(', ')}` : `parts must be 1…${count}, each ${rec.part_size} bytes but the last`,
    );
  }
  await finish(d, rec, prefix, durationMs, now);
}

async function finish(d: Deps, rec: RecordingRow, parts: PartRow[], durationMs: number | null, now: number): Promise<void> {
  const upload = d.bucket.resumeMultipartUpload(rec.r2_key, rec.upload_id!);
  await upload.complete(parts.map((p) => ({ partNumber: p.part_number, etag: p.etag })));
  // Parts beyond the prefix (only an abandoned upload has them) are dropped from the sizes.
  await d.db.prepare('DELETE FROM recording_parts WHERE recording_id = ? AND part_number > ?').bind(rec.id, parts.length).run();
  await d.db
    .prepare('UPDATE recordings SET size_bytes = ?, stored_bytes = ? WHERE id = ?')
    .bind(
      parts.reduce((n, p) => n + p.size, 0),
      parts.reduce((n, p) => n + p.stored_size, 0),
      rec.id,
    )
    .run();
  await markComplete(d.db, rec.id, durationMs, now);
  await dropTails(d.bucket, rec).catch((err: unknown) => log({ event: 'recording_tail_drop_failed', recordingId: rec.id, error: String(err) }));
}

/**
 * Completes an upload whose browser stopped sending (crash, closed tab): what arrived stays a
 * recording, up to the last whole part plus the tail of the part being filled (tails.ts).
 * Nothing arrived → erased.
 * @returns 'completed' or 'erased'
 */
export async function salvage(d: Deps, rec: RecordingRow, now = Date.now()): Promise<'completed' | 'erased'> {
  let parts = contiguousPrefix(await listParts(d.db, rec.id), rec.part_size);
  const last = parts[parts.length - 1];
  if (!last || last.size === rec.part_size) {
    const n = parts.length + 1;
    const tail = await tailOf(d, rec, n);
    if (tail) parts = [...parts, await uploadPart(d, rec, n, tail.length, tail.body)];
  }
  if (parts.length === 0) {
    await erase(d, rec);
    return 'erased';
  }
  await finish(d, rec, parts, null, now);
  return 'completed';
}

/**
 * Streams the client-sealed bytes back, all of them or one byte range. A range reads only the
 * stored records that hold it (plus its part's 16-byte salt), so a seek costs what it shows.
 * The first record is opened before this returns, so a missing key or a tampered start is a
 * clear error rather than a 200 that breaks off.
 */
export async function openContent(d: Deps, rec: RecordingRow, range: ByteRange | null = null): Promise<ReadableStream<Uint8Array>> {
  if (rec.status !== 'complete') fail(409, 'wrong_state', 'the recording is still uploading');
  const key = await loadDataKey(d.db, d.kms, rec);
  const parts = await listParts(d.db, rec.id);
  const sizes = parts.map((p) => p.size);
  const plan = range ? planRange(sizes, range.start, range.end) : null;
  let salt: Uint8Array | null = null;
  if (plan && plan.from.record > 0) {
    const head = await d.bucket.get(rec.r2_key, { range: { offset: plan.saltOffset, length: 16 } });
    if (!head) fail(410, 'sealed_unavailable', 'the stored object is gone');
    salt = new Uint8Array(await head.arrayBuffer());
  }
  const obj = await d.bucket.get(rec.r2_key, plan ? { range: { offset: plan.storedOffset, length: plan.storedLength } } : undefined);
  if (!obj) fail(410, 'sealed_unavailable', 'the stored object is gone');
  if (obj.size !== rec.stored_bytes) {
    await obj.body.cancel();
    fail(422, 'sealed_unavailable', 'the stored object has the wrong length (cut short or altered)');
  }
  const plain =
    plan && range
      ? sliceStream(openObject(obj.body, sizes, key, rec.id, { from: plan.from, to: plan.to, salt }), plan.skip, range.end - range.start + 1)
      : openObject(obj.body, sizes, key, rec.id);
  const reader = plain.getReader();
  let first: ReadableStreamReadResult<Uint8Array>;
  try {
    first = await reader.read();
  } catch (err) {
    log({ event: 'recording_open_failed', recordingId: rec.id, error: String(err) });
    fail(422, 'sealed_unavailable', 'the stored object failed authentication (altered at rest)');
  }
  return new ReadableStream<Uint8Array>({
    start(ctl) {
      if (first.done) ctl.close();
      else ctl.enqueue(first.value);
    },
    async pull(ctl) {
      const { done, value } = await reader.read();
      if (done) ctl.close();
      else ctl.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/**
 * Erases a recording: the wrapped data key and the rows go first, in one batch, so that from
 * that moment no copy of the object opens; then the object (or the unfinished upload) goes.
 * An R2 failure after that leaves only unreadable bytes, logged for the next sweep.
 */
export async function erase(d: Deps, rec: RecordingRow): Promise<void> {
  await d.db.batch([shredStatement(d.db, rec.data_key_id), ...deleteStatements(d.db, rec.id)]);
  try {
    if (rec.status === 'uploading' && rec.upload_id) await d.bucket.resumeMultipartUpload(rec.r2_key, rec.upload_id).abort();
    await d.bucket.delete(rec.r2_key);
    await dropTails(d.bucket, rec);
  } catch (err) {
    log({ event: 'recording_object_delete_failed', recordingId: rec.id, error: String(err) });
  }
}
