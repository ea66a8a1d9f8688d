/**
 * The scheduled sweep of what signing in leaves behind: expired sessions, expired short-lived
 * tokens, signed-request nonces (API keys and edge ↔ origin calls) past the skew window, SAML request and assertion ids past their
 * lifetime, per-address sign-in failures long quiet, expired email-verification links and
 * request-rate windows long past. None of these rows grant anything once
 * expired (every lookup checks `expires_at`), so this is housekeeping, not enforcement: it keeps
 * the tables, and what a database reader could learn from them (who signed in from where), small.
 *
 * Revoked sessions and tokens are already gone: sign-out, rotation, disabling and erasure delete
 * their rows at once. Work per run is bounded (batches of `batch` rows, at most `maxBatches` per
 * table) so one cron invocation stays well inside its CPU limit however much has piled up; what is
 * left waits for the next run.
 */
import type { Env } from '../env.ts';

/** An address's failures are forgotten a week after the last one, once no lock is in force. */
export const FAILURES_FORGOTTEN_AFTER_MS = 7 * 24 * 3_600_000;

export const DEFAULT_BATCH = 500;
export const DEFAULT_MAX_BATCHES = 20;

/** `?1` is now, `?2` the cut-off for quiet sign-in failures. */
const SWEEPS = {
  sessions: 'expires_at <= ?1',
  tokens: 'expires_at <= ?1',
  api_nonces: 'expires_at < ?1',
  internal_nonces: 'expires_at < ?1',
  saml_requests: 'expires_at < ?1',
  saml_assertions: 'expires_at < ?1',
  signin_failures: 'locked_until <= ?1 AND updated_at < ?2',
  email_verifications: 'expires_at < ?1',
  // Windows are minutes long; a week-old one limits nothing.
  rate_limits: 'window_start < ?2',
} as const;

/** Tables declared WITHOUT ROWID are batched by their primary key instead. */
const KEY_COLUMN: Partial<Record<keyof typeof SWEEPS, string>> = { rate_limits: 'key' };

export type SweepCounts = Record<keyof typeof SWEEPS, number>;

export async function sweepAccounts(
  db: D1Database,
  now = Date.now(),
  { batch = DEFAULT_BATCH, maxBatches = DEFAULT_MAX_BATCHES }: { batch?: number; maxBatches?: number } = {},
): Promise<SweepCounts> {
  const counts = {} as SweepCounts;
  for (const [table, where] of Object.entries(SWEEPS) as Array<[keyof typeof SWEEPS, string]>) {
    // Table names come from the constant above, never from input.
    const key = KEY_COLUMN[table] ?? 'rowid';
    const stmt = db.prepare(`DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${where} LIMIT ?3)`);
    counts[table] = 0;
    for (let i = 0; i < maxBatches; i++) {
      const { meta } = await stmt.bind(now, now - FAILURES_FORGOTTEN_AFTER_MS, batch).run();
      counts[table] += meta.changes;
      if (meta.changes < batch) break;
    }
  }
  return counts;
}

/** `scheduled()` of the Worker, beside the recordings sweep: same hourly cron trigger. */
export async function accountsScheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  ctx.waitUntil(sweepAccounts(env.DB).then((r) => console.log(JSON.stringify({ event: 'accounts_sweep', ...r }))));
}
