/** The Sealroom edge Worker: HTTP API, origin registry, and the Room Durable Object. */
import { Hono } from 'hono';
import type { Env } from './env.ts';
import { HttpError, errorResponse } from './http/errors.ts';
import { meetings } from './http/meetings.ts';
import { origins } from './http/origins.ts';

export { Room } from './room/room.ts';

export const app = new Hono<{ Bindings: Env }>()
  .route('/api/meetings', meetings)
  .route('/internal/origins', origins)
  .all('/api/*', () => {
    throw new HttpError(404, 'not_found', 'no such route');
  })
  .onError(errorResponse);

export default app;
