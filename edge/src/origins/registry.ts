/** Media origins as the edge knows them: registered and kept alive by signed heartbeats. */
import type { OriginHeartbeat, OriginLoad } from '@sealroom/protocol';

/** An origin that hasn't sent a heartbeat in this long is treated as gone (heartbeats come every 5 s). */
export const ORIGIN_LIVENESS_MS = 20_000;

export interface OriginRow {
  id: string;
  region: string;
  url: string;
  control_url: string;
  draining: number;
  score: number;
  last_seen: number;
}

/**
 * Lower is better. Consumers dominate an SFU's cost (each is a forwarding stream); CPU is
 * the tie-breaker that sees what the counts miss.
 */
export function loadScore(load: OriginLoad): number {
  const perWorker = Math.max(1, load.workers);
  return (load.consumers + load.producers * 2) / perWorker + load.cpu * 100;
}

export async function recordHeartbeat(db: D1Database, hb: OriginHeartbeat, now = Date.now()): Promise<void> {
  await db
    .prepare(
      `INSERT INTO origins (id, region, url, control_url, draining, load_json, score, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET region = excluded.region, url = excluded.url, control_url = excluded.control_url,
         draining = excluded.draining, load_json = excluded.load_json, score = excluded.score, last_seen = excluded.last_seen`,
    )
    .bind(hb.originId, hb.region, hb.url, hb.controlUrl, hb.draining ? 1 : 0, JSON.stringify(hb.load), loadScore(hb.load), now)
    .run();
}

/** The least-loaded live origin that takes new meetings, preferring `region` when given. */
export async function pickOrigin(db: D1Database, region: string | null, now = Date.now()): Promise<OriginRow | null> {
  const rows = await db
    .prepare('SELECT id, region, url, control_url, draining, score, last_seen FROM origins WHERE draining = 0 AND last_seen > ? ORDER BY score ASC LIMIT 20')
    .bind(now - ORIGIN_LIVENESS_MS)
    .all<OriginRow>();
  const live = rows.results;
  return (region ? live.find((o) => o.region === region) : undefined) ?? live[0] ?? null;
}

export async function getOrigin(db: D1Database, id: string, now = Date.now()): Promise<OriginRow | null> {
  return db
    .prepare('SELECT id, region, url, control_url, draining, score, last_seen FROM origins WHERE id = ? AND last_seen > ?')
    .bind(id, now - ORIGIN_LIVENESS_MS)
    .first<OriginRow>();
}

/**
 * Takes an origin out of the pick until its next heartbeat: it failed its health check, and no
 * Room should send a meeting there meanwhile. A live origin puts itself back within 5 s.
 */
export async function markOriginDown(db: D1Database, id: string): Promise<void> {
  await db.prepare('UPDATE origins SET last_seen = 0 WHERE id = ?').bind(id).run();
}
