/**
 * The scheduled sweep (cron trigger in wrangler.jsonc, `scheduled()` in index.ts):
 *
 * 1. Retention: recordings older than their organization's `days` are erased (object and
 *    wrapped data key), each erasure written to the audit log.
 * 2. Abandoned uploads: an upload with no part for ABANDONED_AFTER_MS (the recording browser
 *    crashed or its tab closed) is completed with the parts that arrived, so it stays a
 *    playable recording up to its last whole part; one with no part at all is erased.
 */
import { audit } from '../audit.ts';
import type { Env } from '../env.ts';
import { kmsFromEnv } from '../kms/kms.ts';
import type { Deps } from './deps.ts';
import { erase, salvage } from './objects.ts';
import { abandoned, expired } from './store.ts';

/** An uploader sends a part at least every few seconds while recording (it cuts parts of 5 MiB, and retries within a minute); an hour of silence is a dead browser. */
export const ABANDONED_AFTER_MS = 60 * 60_000;
/** Per run, so one cron invocation stays well inside its CPU and subrequest limits; the next run continues. */
const PAGE = 50;

export interface SweepResult {
  expired: number;
  salvaged: number;
  erasedEmpty: number;
  failed: number;
}

export async function sweepRecordings(
  env: Pick<Env, 'DB' | 'RECORDINGS' | 'SEALROOM_MASTER_KEY' | 'SEALROOM_MASTER_KEY_PREVIOUS'>,
  now = Date.now(),
): Promise<SweepResult> {
  const result: SweepResult = { expired: 0, salvaged: 0, erasedEmpty: 0, failed: 0 };
  const kms = await kmsFromEnv(env);
  if (!kms) {
    console.error(JSON.stringify({ event: 'recordings_sweep_skipped', reason: 'no master key' }));
    return result;
  }
  const d: Deps = { db: env.DB, bucket: env.RECORDINGS, kms };

  for (const rec of await expired(env.DB, now, PAGE)) {
    try {
      await erase(d, rec);
      result.expired++;
      await audit(
        env.DB,
        {
          meetingId: rec.meeting_id,
          orgId: rec.org_id,
          actor: 'system:retention',
          role: null,
          action: 'recording.expire',
          target: rec.id,
          result: 'ok',
          ip: null,
          detail: `kept ${rec.days} days; owner ${rec.owner_id}; ${rec.stored_bytes} bytes`,
        },
        now,
      );
    } catch (err) {
      result.failed++;
      console.error(JSON.stringify({ event: 'recording_expire_failed', recordingId: rec.id, error: String(err) }));
    }
  }

  for (const rec of await abandoned(env.DB, now, ABANDONED_AFTER_MS, PAGE)) {
    try {
      const outcome = await salvage(d, rec, now);
      if (outcome === 'completed') result.salvaged++;
      else result.erasedEmpty++;
      await audit(
        env.DB,
        {
          meetingId: rec.meeting_id,
          orgId: rec.org_id,
          actor: 'system:retention',
          role: null,
          action: outcome === 'completed' ? 'recording.salvage' : 'recording.expire',
          target: rec.id,
          result: 'ok',
          ip: null,
          detail: outcome === 'completed' ? 'upload abandoned; completed with the parts received' : 'upload abandoned before any part arrived',
        },
        now,
      );
    } catch (err) {
      result.failed++;
      console.error(JSON.stringify({ event: 'recording_salvage_failed', recordingId: rec.id, error: String(err) }));
    }
  }
  return result;
}
