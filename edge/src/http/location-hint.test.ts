import { describe, expect, it } from 'vitest';
import { NEARBY, callerRegion, isLocationHint, locationHintOf } from './location-hint.ts';

describe('locationHintOf', () => {
  it('maps each continent, splitting Asia, Europe and North America where Cloudflare has separate regions', () => {
    expect(locationHintOf({ continent: 'AS', country: 'CN' })).toBe('apac');
    expect(locationHintOf({ continent: 'AS', country: 'AE' })).toBe('me');
    expect(locationHintOf({ continent: 'EU', country: 'DE' })).toBe('weur');
    expect(locationHintOf({ continent: 'EU', country: 'PL' })).toBe('eeur');
    expect(locationHintOf({ continent: 'NA', country: 'US', longitude: '-122.4' })).toBe('wnam');
    expect(locationHintOf({ continent: 'NA', country: 'US', longitude: '-74.0' })).toBe('enam');
    expect(locationHintOf({ continent: 'SA', country: 'BR' })).toBe('sam');
    expect(locationHintOf({ continent: 'OC', country: 'AU' })).toBe('oc');
    expect(locationHintOf({ continent: 'AF', country: 'KE' })).toBe('afr');
  });

  it('gives no hint when the request says nothing usable', () => {
    expect(locationHintOf(undefined)).toBeUndefined();
    expect(locationHintOf({})).toBeUndefined();
    expect(locationHintOf({ continent: 'AN' })).toBeUndefined();
    expect(locationHintOf({ continent: 42 })).toBeUndefined();
    // A North American request without a longitude goes east, where most of the continent's people are.
    expect(locationHintOf({ continent: 'NA', country: 'US' })).toBe('enam');
  });
});

describe('callerRegion', () => {
  it("takes Cloudflare's location first, the header only when trusted and only a known region", () => {
    expect(callerRegion({ continent: 'AS', country: 'CN' }, 'weur', true)).toBe('apac');
    expect(callerRegion(undefined, 'weur', true)).toBe('weur');
    expect(callerRegion(undefined, 'weur', false)).toBeUndefined();
    expect(callerRegion(undefined, 'moon', true)).toBeUndefined();
    expect(callerRegion(undefined, undefined, true)).toBeUndefined();
  });

  it('knows a nearer region for every region, never itself', () => {
    for (const [region, near] of Object.entries(NEARBY)) {
      expect(near.length).toBeGreaterThan(0);
      expect(near).not.toContain(region);
      for (const r of near) expect(isLocationHint(r)).toBe(true);
    }
  });
});
