/**
 * Where a meeting's Room should live: Cloudflare creates a Durable Object near the first request
 * that reaches it, which is usually the first joiner; the hint says so explicitly from the
 * caller's `request.cf` location, so a meeting of people in Shanghai does not end up in Frankfurt
 * because a link preview bot fetched it first. Only the first `get` of a new object uses it.
 */

/** The location hints Durable Objects accept. */
export type LocationHint = 'wnam' | 'enam' | 'sam' | 'weur' | 'eeur' | 'apac' | 'oc' | 'afr' | 'me';

const MIDDLE_EAST = new Set(['AE', 'BH', 'IL', 'IQ', 'IR', 'JO', 'KW', 'LB', 'OM', 'PS', 'QA', 'SA', 'SY', 'YE']);
const EASTERN_EUROPE = new Set(['BG', 'BY', 'CZ', 'EE', 'HU', 'LT', 'LV', 'MD', 'PL', 'RO', 'RS', 'RU', 'SK', 'UA']);
/** West of this longitude North America is served from the west coast. */
const NAM_SPLIT_LONGITUDE = -98;

/** The hint for a request's `cf` object; undefined when it says nothing usable (local dev). */
export function locationHintOf(cf: { continent?: unknown; country?: unknown; longitude?: unknown } | undefined): LocationHint | undefined {
  const continent = typeof cf?.continent === 'string' ? cf.continent : undefined;
  const country = typeof cf?.country === 'string' ? cf.country : '';
  switch (continent) {
    case 'AF':
      return 'afr';
    case 'AS':
      return MIDDLE_EAST.has(country) ? 'me' : 'apac';
    case 'EU':
      return EASTERN_EUROPE.has(country) ? 'eeur' : 'weur';
    case 'NA': {
      const lon = Number(cf?.longitude);
      return Number.isFinite(lon) && lon < NAM_SPLIT_LONGITUDE ? 'wnam' : 'enam';
    }
    case 'SA':
      return 'sam';
    case 'OC':
      return 'oc';
    default:
      return undefined;
  }
}

const HINTS: readonly LocationHint[] = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me'];
export const isLocationHint = (s: unknown): s is LocationHint => typeof s === 'string' && (HINTS as readonly string[]).includes(s);

/**
 * Where to look next when no origin runs in a caller's own region, nearest first (by the usual
 * network paths, not the map: South America reaches eastern North America before Europe).
 */
export const NEARBY: Record<LocationHint, readonly LocationHint[]> = {
  wnam: ['enam', 'apac', 'sam'],
  enam: ['wnam', 'weur', 'sam'],
  sam: ['enam', 'wnam', 'weur'],
  weur: ['eeur', 'enam', 'me', 'afr'],
  eeur: ['weur', 'me'],
  apac: ['oc', 'wnam', 'me'],
  oc: ['apac', 'wnam'],
  afr: ['weur', 'me', 'eeur'],
  me: ['eeur', 'weur', 'apac'],
};

/**
 * The caller's region for placing media: Cloudflare's location of the request, or, where there
 * is none (local runs), the `x-sealroom-region` header when the deployment trusts it
 * (TRUST_REGION_HEADER=1: tests and local setups with origins named for regions). A client could
 * only steer its own meeting's placement with it, never past a check, but production has no use for it.
 */
export function callerRegion(cf: Parameters<typeof locationHintOf>[0], header: string | undefined, trustHeader: boolean): LocationHint | undefined {
  const fromCf = locationHintOf(cf);
  if (fromCf) return fromCf;
  return trustHeader && isLocationHint(header) ? header : undefined;
}
