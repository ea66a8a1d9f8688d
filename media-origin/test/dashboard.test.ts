/**
 * docs/grafana/sealroom-origins.json charts only metrics the origin exports, with the types its
 * queries assume: a renamed metric would otherwise leave an operator's panel silently empty.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startOrigin } from './helpers.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dashboard = JSON.parse(readFileSync(path.join(root, 'docs', 'grafana', 'sealroom-origins.json'), 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};

describe('the Grafana dashboard', () => {
  it('queries only metrics the origin exports, histograms by their buckets and counters by rate', async () => {
    const origin = await startOrigin();
    try {
      const text = await (await fetch(origin.metricsUrl)).text();
      const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
      // Every sample carries the origin's id: the dashboard's `by (origin)` needs it.
      expect(text).toMatch(/^sealroom_origin_peers\{[^}]*origin="[^"]+"/m);
      const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
      expect(exprs.length).toBeGreaterThan(10);
      for (const expr of exprs) {
        for (const [name] of expr.matchAll(/sealroom_origin_[a-z_]+/g)) {
          const base = name.replace(/_(bucket|sum|count)$/, '');
          const type = types.get(base);
          expect(type, `${name} in ${expr}`).toBeDefined();
          if (name.endsWith('_bucket')) expect(type).toBe('histogram');
          if (type === 'counter') expect(expr, `${name} is a counter: chart its rate`).toMatch(new RegExp(`(rate|increase)\\(${name}`));
        }
      }
    } finally {
      await origin.close();
    }
  });
});
