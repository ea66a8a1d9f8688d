/** State of the recordings page: the list, storage used, share links, and the player's outcome. */
import type { RecordingView, ShareView, StorageUsage } from '@sealroom/protocol';
import { RecordingsApi, RecordingsApiError } from './api.ts';
import { RecordingFormatError } from './container.ts';
import { KeyringError, unwrapRecordingKey } from './keyring.ts';
import type { MessageKey } from '../lib/messages.ts';
import { decryptToBlob, playInto, saveBlob } from './player.ts';
import { shareLink } from './share-link.ts';

/** The recordings pages' own strings. */
type RecMessageKey = Extract<MessageKey, `rec.${string}`>;

/** An error shown to the user: a message key, or the server's sentence. */
export type Problem = { key: RecMessageKey; message?: string };

export function problemOf(err: unknown): Problem {
  if (err instanceof KeyringError) return { key: 'rec.noKey' };
  if (err instanceof RecordingFormatError) return { key: 'rec.tampered' };
  if (err instanceof RecordingsApiError && err.code === 'share_gone') return { key: 'rec.gone' };
  if (err instanceof RecordingsApiError && err.code === 'sealed_unavailable') return { key: 'rec.tampered' };
  return { key: 'rec.failed', message: err instanceof Error ? err.message : String(err) };
}

export class RecordingsState {
  #api: RecordingsApi;
  #recordings = $state.raw<RecordingView[]>([]);
  #usage = $state.raw<StorageUsage | null>(null);
  #shares = $state.raw<Record<string, ShareView[]>>({});
  #links = $state.raw<Record<string, string>>({});
  #problem = $state.raw<Problem | null>(null);
  #notice = $state.raw<RecMessageKey | null>(null);
  #loading = $state(true);
  #retention = $state<number | null>(null);

  constructor(api: RecordingsApi = new RecordingsApi()) {
    this.#api = api;
  }

  get recordings() {
    return this.#recordings;
  }
  get usage() {
    return this.#usage;
  }
  get shares() {
    return this.#shares;
  }
  /** The link made for each share id in this visit (the key is not kept anywhere else). */
  get links() {
    return this.#links;
  }
  get problem() {
    return this.#problem;
  }
  get notice() {
    return this.#notice;
  }
  get loading() {
    return this.#loading;
  }
  get retention() {
    return this.#retention;
  }

  async #run<T>(f: () => Promise<T>): Promise<T | undefined> {
    this.#problem = null;
    try {
      return await f();
    } catch (err) {
      this.#problem = problemOf(err);
      return undefined;
    }
  }

  load = () =>
    this.#run(async () => {
      const [list, retention] = await Promise.all([this.#api.list(), this.#api.retention()]);
      this.#recordings = list.recordings;
      this.#usage = list.usage;
      this.#retention = retention.days;
      const shares: Record<string, ShareView[]> = {};
      for (const r of list.recordings.filter((x) => x.status === 'complete')) shares[r.id] = await this.#api.shares(r.id);
      this.#shares = shares;
      this.#loading = false;
    });

  play = (rec: RecordingView, video: HTMLVideoElement) =>
    this.#run(async () => {
      this.#notice = null;
      const key = await unwrapRecordingKey(rec.keyWrap);
      const source = { size: rec.size, fetch: (range: string | null, signal?: AbortSignal) => this.#api.content(rec.id, range, signal) };
      const opened = await playInto(video, source, rec.id, key, rec.mimeType, rec.durationMs);
      if (!opened.complete) this.#notice = 'rec.incomplete';
      return opened;
    });

  download = (rec: RecordingView) =>
    this.#run(async () => {
      const key = await unwrapRecordingKey(rec.keyWrap);
      const { blob } = await decryptToBlob(await this.#api.content(rec.id), rec.id, key, rec.mimeType);
      saveBlob(blob, `${rec.title.replace(/[\\/:*?"<>|]+/g, '_')}.webm`);
    });

  share = (rec: RecordingView, days: number) =>
    this.#run(async () => {
      const key = await unwrapRecordingKey(rec.keyWrap);
      const s = await this.#api.share(rec.id, days * 86_400);
      this.#links = { ...this.#links, [s.id]: shareLink(location.origin, s.id, key) };
      this.#shares = { ...this.#shares, [rec.id]: [s, ...(this.#shares[rec.id] ?? [])] };
      return s;
    });

  revoke = (rec: RecordingView, shareId: string) =>
    this.#run(async () => {
      await this.#api.revoke(rec.id, shareId);
      this.#shares = { ...this.#shares, [rec.id]: await this.#api.shares(rec.id) };
    });

  remove = (rec: RecordingView) =>
    this.#run(async () => {
      await this.#api.remove(rec.id);
      await this.load();
    });

  setRetention = (days: number | null) =>
    this.#run(async () => {
      this.#retention = (await this.#api.setRetention(days)).days;
    });
}
