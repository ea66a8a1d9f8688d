/**
 * Rate limits counted in D1 (migration 0014): a window opens at a key's first hit and admits
 * `count` hits until it closes. Counting and reading are one upsert (`… ON CONFLICT DO UPDATE …
 * RETURNING`), which D1 runs atomically, so a burst of concurrent requests is admitted exactly up
 * to the budget, never past it.
 */
import { z } from 'zod';

export interface Limit {
  count: number;
  windowMs: number;
}

export type Admission = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

/** A window longer than a day would keep rows (one per address) around for no benefit. */
const MAX_WINDOW_SECONDS = 86_400;

const LimitText = z
  .string()
  .trim()
  .regex(/^[0-9]{1,6}\/[0-9]{1,6}$/)
  .transform((s) => s.split('/').map(Number) as [number, number])
  .refine(([count, seconds]) => count >= 1 && seconds >= 1 && seconds <= MAX_WINDOW_SECONDS);

/**
 * A limit from a binding written `<count>/<seconds>` (`10/600`); unset means `fallback`. A
 * malformed binding also falls back, logged, so a typo cannot switch the limit off or break the route.
 */
export function parseLimit(raw: string | undefined, fallback: Limit, name: string): Limit {
  if (raw === undefined || raw === '') return fallback;
  const r = LimitText.safeParse(raw);
  if (!r.success) {
    console.error(JSON.stringify({ event: 'bad_limit_binding', name, value: raw.slice(0, 40) }));
    return fallback;
  }
  return { count: r.data[0], windowMs: r.data[1] * 1000 };
}

/**
 * Counts one hit of `key` (`<scope>:<id>`) and says whether it is within `limit`.
 * Refused hits count too: hammering does not reopen the window early.
 */
export async function hit(db: D1Database, key: string, limit: Limit, now = Date.now()): Promise<Admission> {
  const scope = key.slice(0, key.indexOf(':') + 1);
  const expired = now - limit.windowMs;
  const [, counted] = await db.batch([
    // Housekeeping for this scope's closed windows (the upsert alone is already correct without it).
    db.prepare('DELETE FROM rate_limits WHERE window_start <= ? AND key > ? AND key < ?').bind(expired, scope, `${scope}\uffff`),
    db
      .prepare(
        `INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN window_start <= ?3 THEN 1 ELSE count + 1 END,
           window_start = CASE WHEN window_start <= ?3 THEN ?2 ELSE window_start END
         RETURNING count, window_start`,
      )
      .bind(key, now, expired),
  ]);
  const row = (counted!.results as Array<{ count: number; window_start: number }>)[0]!;
  if (row.count <= limit.count) return { ok: true, remaining: limit.count - row.count };
  return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((row.window_start + limit.windowMs - now) / 1000)) };
}
