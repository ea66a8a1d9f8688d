/** Media origins as the edge knows them: registered and kept alive by signed heartbeats. */
import type { OriginHeartbeat, OriginLoad } from '@sealroom/protocol';
import { NEARBY, isLocationHint } from '../http/location-hint.ts';

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

/** An origin whose workers are this busy (CPU share, 0..1) takes new meetings only when every other is too. */
export const ORIGIN_FULL_CPU = 0.85;

/**
 * The origin for a new meeting: the least-loaded live one in the caller's region; when that
 * region has none with room, the nearest region that has; otherwise the least-loaded anywhere.
 * Region names are Durable Object location hints (ORIGIN_REGION=apac, weur, …); origins named
 * otherwise are placed by load alone.
 */
export async function pickOrigin(db: D1Database, region: string | null, now = Date.now()): Promise<OriginRow | null> {
  const rows = await db
    .prepare('SELECT id, region, url, control_url, draining, score, last_seen, load_json FROM origins WHERE draining = 0 AND last_seen > ? ORDER BY score ASC')
    .bind(now - ORIGIN_LIVENESS_MS)
    .all<OriginRow & { load_json: string }>();
  const live = rows.results;
  const roomy = live.filter((o) => cpuOf(o.load_json) < ORIGIN_FULL_CPU);
  const order = isLocationHint(region) ? [region, ...NEARBY[region]] : region ? [region] : [];
  const chosen = order.map((r) => roomy.find((o) => o.region === r)).find((o) => o) ?? roomy[0] ?? live[0];
  if (!chosen) return null;
  const { load_json: _, ...row } = chosen;
  return row;
}

function cpuOf(loadJson: string): number {
  try {
    const cpu = (JSON.parse(loadJson) as { cpu?: unknown }).cpu;
    return typeof cpu === 'number' ? cpu : 0;
  } catch {
    return 0;
  }
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
