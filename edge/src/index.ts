/** The Sealroom edge Worker: HTTP API, origin registry, and the Room Durable Object. */
import { Hono } from 'hono';
import { HttpError, errorResponse } from './http/errors.ts';
import { meetings } from './http/meetings.ts';
import { origins } from './http/origins.ts';
import type { Env } from './env.ts';
// ── accounts: routers ──
import { authRoutes } from './accounts/auth-routes.ts';
import { accountsScheduled } from './accounts/cleanup.ts';
import type { AppEnv } from './accounts/context.ts';
import { selfRoutes } from './accounts/self-routes.ts';
import { emailVerificationRoutes } from './accounts/email-verification-routes.ts';
import { adminRoutes } from './admin/routes.ts';
import { samlAdminRoutes, samlRoutes } from './accounts/saml/routes.ts';
import { ssoDomainInternalRoutes } from './accounts/saml/internal-routes.ts';
import { kmsRoutes } from './kms/routes.ts';
// ── end accounts ──
import { recordingsRoutes, recordingsScheduled } from './recordings/index.ts'; // recordings

export { Room } from './room/room.ts';

export const app = new Hono<AppEnv>()
  // accounts: each /api route declares its authorization guard beside its path (edge/src/policy/guard.ts)
  .route('/api/auth', authRoutes)
  .route('/api/account', selfRoutes)
  .route('/api', emailVerificationRoutes)
  .route('/api/admin', adminRoutes)
  .route('/api/admin', samlAdminRoutes)
  .route('/api/saml', samlRoutes)
  .route('/internal/kms', kmsRoutes)
  .route('/internal/sso-domains', ssoDomainInternalRoutes)
  // end accounts
  .route('/api/recordings', recordingsRoutes) // recordings
  .route('/api/meetings', meetings)
  .route('/internal/origins', origins)
  .all('/api/*', () => {
    throw new HttpError(404, 'not_found', 'no such route');
  })
  .onError(errorResponse);

// The cron trigger's sweeps beside the HTTP app: recordings (retention, abandoned uploads)
// and accounts (expired sessions, tokens, nonces, SAML ids).
export default {
  fetch: app.fetch,
  scheduled: async (controller, env, ctx) => {
    await Promise.all([recordingsScheduled(controller, env, ctx), accountsScheduled(controller, env, ctx)]);
  },
} satisfies ExportedHandler<Env>;
