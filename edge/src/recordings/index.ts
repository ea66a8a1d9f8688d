/** Cloud recordings: the router mounted at /api/recordings and the cron sweep. */
import type { Env } from '../env.ts';
import { sweepRecordings } from './retention.ts';

export { recordingsRoutes } from './routes.ts';

/** `scheduled()` of the Worker: runs the retention / abandoned-upload sweep. */
export async function recordingsScheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  ctx.waitUntil(sweepRecordings(env).then((r) => console.log(JSON.stringify({ event: 'recordings_sweep', ...r }))));
}
