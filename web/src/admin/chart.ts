/** Bar-chart geometry for the usage reports, pure so it is tested without a DOM. */
export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
  value: number;
}

/** A "nice" axis maximum: 1, 2 or 5 × 10^k at or above the largest value (at least 1). */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

export function bars(points: Array<{ label: string; value: number }>, width: number, height: number, gap = 2): { bars: Bar[]; max: number } {
  const max = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const w = points.length ? width / points.length : width;
  return {
    max,
    bars: points.map((p, i) => {
      const h = (Math.max(0, p.value) / max) * height;
      return { x: i * w + gap / 2, y: height - h, width: Math.max(1, w - gap), height: h, label: p.label, value: p.value };
    }),
  };
}
