/**
 * The recordings API from the browser. Every answer is parsed with its protocol schema through the
 * one fetch helper (lib/http.ts); an error answer becomes a RecordingsApiError carrying the server's code.
 */
import {
  CSRF_HEADER,
  type CompleteRecording,
  type CreateRecording,
  PartList,
  PartReceipt,
  RecordingList,
  RecordingView,
  RetentionSetting,
  SessionInfo,
  SharedRecording,
  ShareView,
  TailReceipt,
} from '@sealroom/protocol';
import { z } from 'zod';
import { NoContent, ensureOk as check, parseAnswer } from '../lib/http.ts';

// The app's one API error type, under the name this module has always exported.
export { ApiError as RecordingsApiError } from '../lib/api-error.ts';

async function json<S extends z.ZodType>(res: Promise<Response>, schema: S): Promise<z.output<S>> {
  return parseAnswer(await res, schema);
}

export class RecordingsApi {
  readonly base: string;
  #csrf: string | null;
  #fetch: typeof fetch;

  /** @param csrf - the session's CSRF token; fetched from /api/auth/session when not given */
  constructor(opts: { base?: string; csrf?: string; fetch?: typeof fetch } = {}) {
    this.base = opts.base ?? '';
    this.#csrf = opts.csrf ?? null;
    this.#fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  }

  async #headers(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    if (this.#csrf === null) this.#csrf = (await json(this.#fetch(`${this.base}/api/auth/session`), SessionInfo)).csrfToken;
    return { [CSRF_HEADER]: this.#csrf, ...extra };
  }

  /** Whether a session is signed in (and so may record to the cloud); keeps its CSRF token for the calls that follow. */
  async signedIn(): Promise<boolean> {
    const res = await this.#fetch(`${this.base}/api/auth/session`);
    if (!res.ok) return false;
    const parsed = SessionInfo.safeParse(await res.json().catch(() => null));
    if (parsed.success) this.#csrf = parsed.data.csrfToken;
    return parsed.success;
  }

  #url(path: string): string {
    return `${this.base}/api/recordings${path}`;
  }

  async #send(method: string, path: string, body?: unknown): Promise<Response> {
    return this.#fetch(this.#url(path), {
      method,
      headers: await this.#headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  list = () => json(this.#fetch(this.#url('')), RecordingList);
  get = (id: string) => json(this.#fetch(this.#url(`/${id}`)), RecordingView);
  create = (input: Partial<CreateRecording> & Pick<CreateRecording, 'title' | 'mimeType' | 'keyWrap'>) => json(this.#send('POST', '', input), RecordingView);
  parts = (id: string) => json(this.#fetch(this.#url(`/${id}/parts`)), PartList);
  complete = (id: string, body: CompleteRecording) => json(this.#send('POST', `/${id}/complete`, body), RecordingView);
  remove = async (id: string) => void (await json(this.#send('DELETE', `/${id}`), NoContent));
  share = (id: string, expiresInSeconds: number) => json(this.#send('POST', `/${id}/shares`, { expiresInSeconds }), ShareView);
  shares = async (id: string) => (await json(this.#fetch(this.#url(`/${id}/shares`)), z.object({ shares: z.array(ShareView) }))).shares;
  revoke = async (id: string, shareId: string) => void (await json(this.#send('DELETE', `/${id}/shares/${shareId}`), NoContent));
  retention = () => json(this.#fetch(this.#url('/retention')), RetentionSetting);
  setRetention = (days: number | null) => json(this.#send('PUT', '/retention', { days }), RetentionSetting);
  shared = (shareId: string) => json(this.#fetch(this.#url(`/shared/${shareId}`)), SharedRecording);

  /** Sends one part; the browser sets content-length from the bytes. */
  async putPart(id: string, partNumber: number, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    const res = await this.#fetch(this.#url(`/${id}/parts/${partNumber}`), {
      method: 'PUT',
      headers: await this.#headers(),
      body: bytes as Uint8Array<ArrayBuffer>,
      signal,
    });
    await parseAnswer(res, PartReceipt);
  }

  /** Sends what is sealed of part `partNumber` from `offset` on, so a closed tab loses only the last seconds. */
  async putTail(id: string, partNumber: number, offset: number, bytes: Uint8Array): Promise<void> {
    const res = await this.#fetch(this.#url(`/${id}/tail/${partNumber}/${offset}`), {
      method: 'PUT',
      headers: await this.#headers(),
      body: bytes as Uint8Array<ArrayBuffer>,
    });
    await parseAnswer(res, TailReceipt);
  }

  /**
   * The sealed bytes, as a stream.
   * @param range - a `Range` header value for part of them (answered 206)
   */
  async content(id: string, range: string | null = null, signal?: AbortSignal): Promise<Response> {
    return check(await this.#fetch(this.#url(`/${id}/content`), { headers: range ? { range } : {}, signal }));
  }

  async sharedContent(shareId: string, range: string | null = null, signal?: AbortSignal): Promise<Response> {
    return check(await this.#fetch(this.#url(`/shared/${shareId}/content`), { headers: range ? { range } : {}, signal }));
  }
}
