import type { Room } from './room/room.ts';

/** Bindings from wrangler.jsonc; the shared secret comes from `.dev.vars` locally, a Worker secret in production. */
export interface Env {
  DB: D1Database;
  ROOM: DurableObjectNamespace<Room>;
  RECORDINGS: R2Bucket;
  ASSETS: Fetcher;
  SEALROOM_SHARED_SECRET: string;
}
