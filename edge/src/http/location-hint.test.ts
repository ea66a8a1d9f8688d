import { describe, expect, it } from 'vitest';
import { locationHintOf } from './location-hint.ts';

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
