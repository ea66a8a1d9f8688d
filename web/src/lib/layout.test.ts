import { describe, expect, it } from 'vitest';
import { offScreen, paginate, pickSpeaker } from './layout.ts';
import { rateQuality } from './media-stats.ts';

describe('paginate', () => {
  const ids = Array.from({ length: 20 }, (_, i) => `p${i}`);
  it('cuts pages of the chosen size and clamps the page', () => {
    expect(paginate(ids, 9, 0)).toMatchObject({ page: 0, pages: 3 });
    expect(paginate(ids, 9, 2).items).toEqual(['p18', 'p19']);
    expect(paginate(ids, 9, 7).page).toBe(2);
    expect(paginate(ids, 25, 1)).toMatchObject({ page: 0, pages: 1 });
    expect(paginate([], 9, 0)).toEqual({ items: [], page: 0, pages: 1 });
  });
});

describe('pickSpeaker', () => {
  it('prefers the spotlight, then the active speaker, then the last one, then the first', () => {
    expect(pickSpeaker(['a', 'b', 'c'], 'c', 'b', 'a')).toBe('c');
    expect(pickSpeaker(['a', 'b', 'c'], null, 'b', 'a')).toBe('b');
    expect(pickSpeaker(['a', 'b', 'c'], null, 'me', 'c')).toBe('c');
    expect(pickSpeaker(['a', 'b'], 'gone', null, null)).toBe('a');
    expect(pickSpeaker([], null, null, null)).toBeNull();
  });
});

describe('offScreen and rateQuality', () => {
  it('lists who is not shown', () => {
    expect(offScreen(['a', 'b', 'c'], ['b'])).toEqual(['a', 'c']);
  });
  it('rates loss and jitter in three steps', () => {
    expect(rateQuality(0, 0.005)).toBe('good');
    expect(rateQuality(0.05, 0.01)).toBe('fair');
    expect(rateQuality(0.2, 0.01)).toBe('poor');
    expect(rateQuality(0, 0.5)).toBe('poor');
  });
});
