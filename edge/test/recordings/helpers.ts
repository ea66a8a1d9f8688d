/** Recording test helpers: a signed-in owner, the browser's sealing, and binary part uploads. */
import { CSRF_HEADER, RECORDING_PART_SIZE, type RecordingView } from '@sealroom/protocol';
import { RecordingOpener, RecordingSealer } from '../../../web/src/recordings/container.ts';
import { type Agent, call, newOrg } from '../accounts/helpers.ts';

export { RECORDING_PART_SIZE };

/** Deterministic bytes (getRandomValues caps at 64 KiB a call; a pattern is as good for these tests). */
export function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out[i] = x & 0xff;
  }
  return out;
}

export const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

export const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/** What the browser does: seal container chunks into the stream bytes it uploads. */
export function sealStream(recordingId: string, key: Uint8Array, chunks: Uint8Array[]): Uint8Array {
  const s = new RecordingSealer(recordingId, key);
  return concat(chunks.map((c, i) => s.seal(c, i === chunks.length - 1)));
}

/** What the player does: open the downloaded bytes, in arbitrary slices. */
export function openStream(recordingId: string, key: Uint8Array, data: Uint8Array, slice = 10_000): { chunks: Uint8Array[]; complete: boolean } {
  const o = new RecordingOpener(recordingId, key);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += slice) chunks.push(...o.push(data.subarray(i, i + slice)));
  return { chunks, complete: o.end().complete };
}

/** Cuts stream bytes into upload parts of the protocol's part size. */
export function cut(data: Uint8Array, size = RECORDING_PART_SIZE): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

export async function owner() {
  const o = await newOrg('Recorders');
  return o;
}

export function authHeaders(a: Agent, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { 'cf-connecting-ip': a.ip, ...extra };
  if (a.cookie) h.cookie = a.cookie;
  if (a.csrf) h[CSRF_HEADER] = a.csrf;
  return h;
}

export function putPart(a: Agent, id: string, n: number, body: Uint8Array | ReadableStream<Uint8Array>, length?: number): Promise<Response> {
  const len = length ?? (body instanceof Uint8Array ? body.length : undefined);
  const headers = authHeaders(a, len === undefined ? {} : { 'content-length': String(len) });
  return call(`/api/recordings/${id}/parts/${n}`, {
    method: 'PUT',
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
}

export async function create(a: Agent, title = 'Weekly sync'): Promise<RecordingView> {
  return a.ok<RecordingView>(
    'POST',
    '/api/recordings',
    { title, meetingId: '1234567890', mimeType: 'video/webm;codecs=vp8,opus', keyWrap: 'opaque-wrap_123' },
    201,
  );
}

/** Creates, uploads every part, completes; returns the recording and its key and stream bytes. */
export async function uploaded(a: Agent, chunks: Uint8Array[], durationMs = 1000) {
  const rec = await create(a);
  const key = bytes(32, 99);
  const data = sealStream(rec.id, key, chunks);
  const parts = cut(data);
  for (const [i, p] of parts.entries()) {
    const res = await putPart(a, rec.id, i + 1, p);
    if (res.status !== 200) throw new Error(`part ${i + 1}: ${res.status} ${await res.text()}`);
  }
  const done = await a.ok<RecordingView>('POST', `/api/recordings/${rec.id}/complete`, { parts: parts.length, durationMs });
  return { rec: done, key, data, parts };
}

export async function download(a: Agent | null, path: string): Promise<{ status: number; body: Uint8Array; code?: string }> {
  const res = await call(path, { headers: a ? authHeaders(a) : {} });
  if (res.status !== 200) {
    const j = (await res.json()) as { error: { code: string } };
    return { status: res.status, body: new Uint8Array(), code: j.error.code };
  }
  return { status: 200, body: new Uint8Array(await res.arrayBuffer()) };
}
