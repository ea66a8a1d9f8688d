import { describe, expect, it } from 'vitest';
import { cells } from './recording.svelte.ts';

describe('recording layout', () => {
  it('lays videos out in a near-square grid covering the frame', () => {
    expect(cells(0, 1280, 720)).toEqual([]);
    expect(cells(1, 1280, 720)).toEqual([{ x: 0, y: 0, w: 1280, h: 720 }]);
    const four = cells(4, 1280, 720);
    expect(four.map((c) => [c.x, c.y])).toEqual([
      [0, 0],
      [640, 0],
      [0, 360],
      [640, 360],
    ]);
    const five = cells(5, 1200, 600);
    expect(five).toHaveLength(5);
    expect(five[4]).toEqual({ x: 400, y: 300, w: 400, h: 300 });
  });
});
