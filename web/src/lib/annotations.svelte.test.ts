import { describe, expect, it } from 'vitest';
import { Annotations, thin } from './annotations.svelte.ts';
import type { ChatSealer } from './chat.svelte.ts';

const sealer: ChatSealer = {
  seal: async (p) =>
    'env' +
    btoa(unescape(encodeURIComponent(p)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=/g, ''),
  open: async (from, e) => {
    if (from === 'stranger-1') throw new Error('no key');
    return decodeURIComponent(escape(atob(e.slice(3).replace(/-/g, '+').replace(/_/g, '/'))));
  },
};

function pair() {
  const wire: string[] = [];
  const a = new Annotations();
  const b = new Annotations();
  a.attach('alice-001', (m) => wire.push(m.envelope), sealer);
  b.attach('bob-00002', () => {}, sealer);
  return { a, b, wire };
}

describe('Annotations', () => {
  it('sends a sealed stroke, shows it locally, and the other side opens it', async () => {
    const { a, b, wire } = pair();
    expect(
      await a.draw('bob-00002', 'pen', '#e53935', [
        [0.1, 0.2],
        [1.5, -1],
      ]),
    ).toBe(true);
    expect(a.on('bob-00002')).toHaveLength(1);
    expect(a.strokes[0]!.points).toEqual([
      [0.1, 0.2],
      [1, 0],
    ]);
    expect(await b.receive('alice-001', wire[0]!)).toBe(true);
    expect(b.on('bob-00002')[0]).toMatchObject({ from: 'alice-001', tool: 'pen', color: '#e53935' });
    expect(b.on('someone-else')).toEqual([]);
  });

  it('drops what does not open or is not a stroke (a chat line replayed as annotation)', async () => {
    const { b } = pair();
    expect(await b.receive('stranger-1', 'envxxxxxxxxxxxxxxxx')).toBe(false);
    expect(await b.receive('alice-001', await sealer.seal(JSON.stringify({ k: 'chat', text: 'hi' })))).toBe(false);
    expect(b.strokes).toEqual([]);
  });

  it('clears all, or one screen’s strokes when its share ends; keeps text on text strokes only', async () => {
    const { a } = pair();
    await a.draw('bob-00002', 'text', '#000000', [[0.5, 0.5]], 'look here');
    await a.draw(
      'carol-003',
      'arrow',
      '#000000',
      [
        [0, 0],
        [1, 1],
      ],
      'ignored',
    );
    expect(a.strokes.map((s) => s.text)).toEqual(['look here', undefined]);
    a.dropScreen('bob-00002');
    expect(a.strokes.map((s) => s.screen)).toEqual(['carol-003']);
    a.clear();
    expect(a.strokes).toEqual([]);
  });

  it('a sharer’s pause reaches viewers sealed, applies to the sender’s own screen only, and ends with the share', async () => {
    const { a, b, wire } = pair();
    expect(await a.sendScreenState(true)).toBe(true);
    expect(a.isPaused('alice-001')).toBe(true);
    expect(wire[0]).not.toContain('paused');
    expect(await b.receive('alice-001', wire[0]!)).toBe(true);
    expect(b.isPaused('alice-001')).toBe(true);
    expect(b.isPaused('bob-00002')).toBe(false);
    expect(b.strokes).toEqual([]);
    await a.sendScreenState(false);
    await b.receive('alice-001', wire[1]!);
    expect(b.isPaused('alice-001')).toBe(false);
    await b.receive('alice-001', wire[0]!);
    b.dropScreen('alice-001');
    expect(b.isPaused('alice-001')).toBe(false);
    // Not a pause: extra fields, or a value of the wrong type.
    expect(await b.receive('alice-001', await sealer.seal(JSON.stringify({ k: 'screen', paused: true, screen: 'bob-00002' })))).toBe(false);
    expect(await b.receive('alice-001', await sealer.seal(JSON.stringify({ k: 'screen', paused: 'yes' })))).toBe(false);
    expect(b.isPaused('alice-001')).toBe(false);
  });

  it('thins long strokes evenly, keeping both ends', () => {
    const pts = Array.from({ length: 1000 }, (_, i) => [i / 999, 0] as [number, number]);
    const out = thin(pts, 10);
    expect(out).toHaveLength(10);
    expect(out[0]).toEqual([0, 0]);
    expect(out[9]).toEqual([1, 0]);
  });
});
