import { afterEach, describe, expect, it, vi } from 'vitest';
import { REACTION_MS, Reactions } from './reactions.svelte.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('Reactions', () => {
  it('shows each reaction for REACTION_MS, oldest first, and clears at once', () => {
    vi.useFakeTimers();
    const reactions = new Reactions();
    reactions.show('ann', 'thumbs-up');
    vi.advanceTimersByTime(REACTION_MS / 2);
    reactions.show('bob', 'tada');
    expect(reactions.shown.map((r) => r.from)).toEqual(['ann', 'bob']);
    expect(reactions.shown[0]!.seq).toBeLessThan(reactions.shown[1]!.seq);
    vi.advanceTimersByTime(REACTION_MS / 2);
    expect(reactions.shown.map((r) => r.from)).toEqual(['bob']);
    reactions.clear();
    expect(reactions.shown).toEqual([]);
  });
});
