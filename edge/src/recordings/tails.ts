/**
 * Tail segments: what a recording browser has sealed of the part it is still filling. R2
 * multipart parts must be 5 MiB (but the last), so a low-bitrate meeting may run minutes before
 * its first part goes up; if the tab closes meanwhile, the tail is all there is. The browser
 * sends each new stretch of the part being filled (`PUT /:id/tail/:n/:offset`); the edge keeps
 * them as small objects, sealed at rest like parts but under their own label, and drops them
 * once part n arrives whole. Salvage (objects.ts) turns the contiguous tail of the first missing
 * part into the recording's last part, so a closed tab loses at most the last few seconds.
 */
import { RECORDING_MAX_PARTS } from '@sealroom/protocol';
import { openObject, sealPart, storedLength } from './at-rest.ts';
import { loadDataKey } from './data-key.ts';
import { fail } from '../http/errors.ts';
import type { Deps } from './deps.ts';
import type { RecordingRow } from './store.ts';

const prefixOf = (rec: RecordingRow, n?: number) => `${rec.r2_key}/tail/${n === undefined ? '' : `${n}/`}`;
/** Zero-padded so that listing order is offset order. */
const keyOf = (rec: RecordingRow, n: number, offset: number) => `${prefixOf(rec, n)}${String(offset).padStart(10, '0')}`;
/** Label of a tail segment in its at-rest key and AAD: never a part number, so neither can stand in for the other. */
const label = (n: number, offset: number) => `t${n}.${offset}`;

/**
 * Stores bytes `offset…offset+length` of part `n`, sealed at rest as they stream in.
 * @throws HttpError `wrong_state` after completion, `bad_part` on bounds or a body that ends early
 */
export async function putTail(
  d: Deps,
  rec: RecordingRow,
  n: number,
  offset: number,
  length: number,
  body: ReadableStream<Uint8Array>,
  now = Date.now(),
): Promise<void> {
  if (rec.status !== 'uploading') fail(409, 'wrong_state', 'this recording is already complete');
  if (!Number.isInteger(n) || n < 1 || n > RECORDING_MAX_PARTS) fail(400, 'bad_part', `part number must be 1…${RECORDING_MAX_PARTS}`);
  if (!Number.isInteger(offset) || offset < 0 || length < 1 || offset + length > rec.part_size)
    fail(400, 'bad_part', `a tail lies within one part of ${rec.part_size} bytes`);
  const key = await loadDataKey(d.db, d.kms, rec);
  const fixed = new FixedLengthStream(storedLength(length));
  const piping = sealPart(body, length, key, rec.id, label(n, offset)).pipeTo(fixed.writable);
  try {
    await Promise.all([piping, d.bucket.put(keyOf(rec, n, offset), fixed.readable, { customMetadata: { size: String(length) } })]);
  } catch {
    fail(400, 'bad_part', 'the tail did not arrive whole');
  }
  // A live tail is activity: the sweep leaves the upload alone.
  await d.db.prepare('UPDATE recordings SET updated_at = ? WHERE id = ?').bind(now, rec.id).run();
}

/** Drops the tail segments of part `n` (it arrived whole), or of every part. */
export async function dropTails(bucket: R2Bucket, rec: RecordingRow, n?: number): Promise<void> {
  for (let cursor: string | undefined; ;) {
    const page = await bucket.list({ prefix: prefixOf(rec, n), cursor });
    if (page.objects.length) await bucket.delete(page.objects.map((o) => o.key));
    if (!page.truncated) return;
    cursor = page.cursor;
  }
}

/**
 * The contiguous stretch of part `n` that its tails hold, from offset 0, opened from the at-rest
 * layer as it is read.
 * @returns its length and the client bytes, or null when there is none
 */
export async function tailOf(d: Deps, rec: RecordingRow, n: number): Promise<{ length: number; body: ReadableStream<Uint8Array> } | null> {
  const listed = await d.bucket.list({ prefix: prefixOf(rec, n), include: ['customMetadata'] });
  const segments: { key: string; offset: number; size: number }[] = [];
  let end = 0;
  for (const o of listed.objects) {
    const offset = Number(o.key.slice(o.key.lastIndexOf('/') + 1));
    const size = Number(o.customMetadata?.size);
    // Segments after a gap are of no use: the stream must be contiguous to open.
    if (offset !== end || !Number.isInteger(size) || size < 1) break;
    segments.push({ key: o.key, offset, size });
    end += size;
  }
  if (end === 0) return null;
  const dataKey = await loadDataKey(d.db, d.kms, rec);
  let i = 0;
  let current: ReadableStreamDefaultReader<Uint8Array> | null = null;
  const body = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      for (;;) {
        if (!current) {
          const s = segments[i++];
          if (!s) {
            ctl.close();
            return;
          }
          const obj = await d.bucket.get(s.key);
          if (!obj) throw new Error(`tail ${s.key} is gone`);
          current = openObject(obj.body, [s.size], dataKey, rec.id, undefined, () => label(n, s.offset)).getReader();
        }
        const { done, value } = await current.read();
        if (done) {
          current = null;
          continue;
        }
        ctl.enqueue(value);
        return;
      }
    },
    cancel(reason) {
      return current?.cancel(reason);
    },
  });
  return { length: end, body };
}
