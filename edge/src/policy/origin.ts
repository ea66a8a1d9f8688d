/**
 * Which pages may open a meeting socket. A browser always sends `Origin` on a WebSocket handshake
 * (RFC 6455 §4.1, client requirement 8; RFC 6454 §7), and no CORS check guards sockets, so the
 * Origin is the only thing that tells the owner's own tab from a foreign page riding the owner's
 * cookie. Ours: the request URL's origin, PUBLIC_ORIGIN, and whatever ALLOWED_ORIGINS lists (for
 * deployments that serve the app from another origin than the API).
 */
import type { Env } from '../env.ts';

const parsed = new WeakMap<object, ReadonlySet<string>>();

/** ALLOWED_ORIGINS and PUBLIC_ORIGIN as origins; entries that are not URLs are ignored (a typo must not open a hole). */
function configuredOrigins(env: Env): ReadonlySet<string> {
  let set = parsed.get(env);
  if (!set) {
    const entries = [...(env.ALLOWED_ORIGINS ?? '').split(','), env.PUBLIC_ORIGIN ?? ''].map((s) => s.trim()).filter(Boolean);
    set = new Set(entries.flatMap((s) => (URL.canParse(s) ? [new URL(s).origin] : [])).filter((o) => o !== 'null'));
    parsed.set(env, set);
  }
  return set;
}

/** True when a page at `origin` is one of ours for a request to `url`. The opaque origin `null` never is. */
export function trustedOrigin(env: Env, url: string, origin: string): boolean {
  if (origin === 'null') return false;
  return origin === new URL(url).origin || configuredOrigins(env).has(origin);
}

export const isWebSocketUpgrade = (req: Request): boolean => req.headers.get('upgrade')?.toLowerCase() === 'websocket';
