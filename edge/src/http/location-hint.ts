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
