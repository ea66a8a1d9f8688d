import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES, readPreferences, savePreferences, skipsForm, type JoinPreferences } from './join-preferences.ts';

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), items };
}

const chosen: JoinPreferences = { skip: true, micOn: false, camOn: true, camera: 'cam-2', microphone: 'mic-1', speaker: '' };

describe('join preferences', () => {
  it('are kept and read back as saved', () => {
    const storage = memoryStorage();
    expect(readPreferences(storage)).toEqual(DEFAULT_PREFERENCES);
    savePreferences(chosen, storage);
    expect(readPreferences(storage)).toEqual(chosen);
  });

  it.each([
    ['not JSON', '{nope'],
    ['the wrong shape', JSON.stringify({ skip: 'yes' })],
    ['an unknown field', JSON.stringify({ ...chosen, admin: true })],
    ['an oversized device id', JSON.stringify({ ...chosen, camera: 'x'.repeat(300) })],
  ])('fall back to the defaults when the stored value is %s', (_what, raw) => {
    expect(readPreferences(memoryStorage({ 'sealroom:join-preferences': raw }))).toEqual(DEFAULT_PREFERENCES);
  });

  it('fall back to the defaults when storage is blocked, and saving then fails quietly', () => {
    const blocked = {
      getItem: () => {
        throw new DOMException('blocked', 'SecurityError');
      },
      setItem: () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
    };
    expect(readPreferences(blocked)).toEqual(DEFAULT_PREFERENCES);
    expect(() => savePreferences(chosen, blocked)).not.toThrow();
  });

  it('skip the form only when asked to, with a name, and never for a meeting with a password', () => {
    expect(skipsForm(chosen, 'Ann', false)).toBe(true);
    expect(skipsForm(chosen, '  ', false)).toBe(false);
    expect(skipsForm(chosen, 'Ann', true)).toBe(false);
    expect(skipsForm({ ...chosen, skip: false }, 'Ann', false)).toBe(false);
  });
});
