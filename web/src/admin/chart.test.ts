import { describe, expect, it } from 'vitest';
import { bars, niceMax } from './chart.ts';

describe('usage chart geometry', () => {
  it.each([
    [0, 1],
    [1, 1],
    [3, 5],
    [7, 10],
    [12, 20],
    [480, 500],
    [501, 1000],
  ])('niceMax(%i) = %i', (v, m) => expect(niceMax(v)).toBe(m));

  it('scales bars to the axis and lays them out left to right', () => {
    const r = bars(
      [
        { label: 'a', value: 5 },
        { label: 'b', value: 10 },
      ],
      100,
      50,
      0,
    );
    expect(r.max).toBe(10);
    expect(r.bars.map((b) => [b.x, b.width, b.height, b.y])).toEqual([
      [0, 50, 25, 25],
      [50, 50, 50, 0],
    ]);
  });
});
