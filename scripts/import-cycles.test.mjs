// No module of any part imports itself back at run time. A runtime cycle makes load order decide
// whether a value is defined when it is first used; type-only imports are erased and may cross.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './env.mjs';

const PARTS = ['protocol', 'crypto', 'edge', 'media-origin', 'web'];
const SOURCE = /\.(ts|svelte)$/;

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(p);
    return SOURCE.test(e.name) && !/\.test\.ts$/.test(e.name) ? [p] : [];
  });
}

/**
 * The relative modules a file loads when it runs: static imports and re-exports, less `import
 * type`, `export type` and imports whose every name is marked `type`. Dynamic `import()` loads
 * later, so it cannot close a cycle at load time.
 */
export function runtimeImports(file, text) {
  const out = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"](\.[^'"]+)['"]/gms)) {
    const [, , typeOnly, clause, spec] = m;
    if (typeOnly) continue;
    const names = /^\{([^}]*)\}$/.exec(clause.trim());
    if (names && names[1].split(',').every((n) => n.trim() === '' || /^type\s/.test(n.trim()))) continue;
    out.push(path.resolve(path.dirname(file), spec));
  }
  for (const m of text.matchAll(/^\s*import\s+['"](\.[^'"]+)['"]/gm)) out.push(path.resolve(path.dirname(file), m[1]));
  return out;
}

/** Strongly connected components of more than one module, or of one that imports itself (Tarjan). */
export function cycles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) !== idx.get(v)) return;
    const scc = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

describe('import cycles', () => {
  it('finds a cycle, and only a runtime one', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c']]);
    const text = [
      "import type { X } from './x.ts';",
      "import { type Y, type Z } from './y.ts';",
      "export type { W } from './w.ts';",
      "import { type A, b } from './ab.ts';",
      "export { c } from './c.ts';",
      "import './side-effect.ts';",
      "const lazy = () => import('./lazy.ts');",
    ].join('\n');
    expect(runtimeImports('/p/m.ts', text)).toEqual(['/p/ab.ts', '/p/c.ts', '/p/side-effect.ts']);
  });

  it.each(PARTS)('%s/src has no runtime import cycle', (part) => {
    const files = sources(path.join(root, part, 'src'));
    expect(files.length).toBeGreaterThan(0);
    const graph = new Map(files.map((f) => [f, runtimeImports(f, readFileSync(f, 'utf8'))]));
    expect(cycles(graph).map((scc) => scc.map((f) => path.relative(root, f)))).toEqual([]);
  });
});
