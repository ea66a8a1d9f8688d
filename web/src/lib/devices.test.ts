import { describe, expect, it } from 'vitest';
import { groupDevices, levelFromSamples } from './devices.svelte.ts';

describe('groupDevices', () => {
  it('sorts devices into pickers, skipping aliases, duplicates and id-less entries', () => {
    const lists = groupDevices([
      { deviceId: 'default', kind: 'audioinput', label: 'Default - Mic' },
      { deviceId: 'mic1', kind: 'audioinput', label: 'Mic' },
      { deviceId: 'mic1', kind: 'audioinput', label: 'Mic' },
      { deviceId: 'cam1', kind: 'videoinput', label: '' },
      { deviceId: '', kind: 'videoinput', label: '' },
      { deviceId: 'communications', kind: 'audiooutput', label: 'Comms' },
      { deviceId: 'spk1', kind: 'audiooutput', label: 'Speakers' },
    ]);
    expect(lists).toEqual({
      microphones: [{ id: 'mic1', label: 'Mic', n: 1 }],
      cameras: [{ id: 'cam1', label: '', n: 1 }],
      speakers: [{ id: 'spk1', label: 'Speakers', n: 1 }],
    });
  });
});

describe('levelFromSamples', () => {
  it('is 0 for silence and grows with amplitude, capped at 1', () => {
    expect(levelFromSamples(new Uint8Array(256).fill(128))).toBe(0);
    expect(levelFromSamples(new Uint8Array())).toBe(0);
    const quiet = Uint8Array.from({ length: 256 }, (_, i) => (i % 2 ? 131 : 125));
    const loud = Uint8Array.from({ length: 256 }, (_, i) => (i % 2 ? 200 : 56));
    expect(levelFromSamples(quiet)).toBeGreaterThan(0);
    expect(levelFromSamples(quiet)).toBeLessThan(levelFromSamples(loud));
    expect(levelFromSamples(loud)).toBe(1);
  });
});
