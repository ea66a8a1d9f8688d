import { describe, expect, it, vi } from 'vitest';

/** Each `create` is a new key pair: a numbered fake that records whether it was closed. */
const made = vi.hoisted(() => [] as { n: number; closed: boolean; disableKeyExchange: boolean; close(): void }[]);
vi.mock('./e2ee.ts', () => ({
  E2ee: {
    create: () => {
      const e = { n: made.length, closed: false, disableKeyExchange: false, close: () => void (e.closed = true) };
      made.push(e);
      return e;
    },
  },
}));

const { MeetingKeys } = await import('./meeting-keys.svelte.ts');

describe('MeetingKeys made ahead', () => {
  it('hands the keys made at the pre-join form to the first session only; every later session makes its own', () => {
    made.length = 0;
    const keys = new MeetingKeys(() => null);
    keys.prepare();
    keys.prepare();
    expect(made).toHaveLength(1);
    const first = keys.open();
    expect(first).toBe(made[0]);
    expect(made).toHaveLength(1);
    keys.close();
    const second = keys.open();
    expect(second).not.toBe(first);
    expect(made).toHaveLength(2);
  });

  it('closes keys made ahead that no session took when the page goes', () => {
    made.length = 0;
    const keys = new MeetingKeys(() => null);
    keys.prepare();
    keys.close();
    expect(made[0]!.closed).toBe(false);
    keys.dispose();
    expect(made[0]!.closed).toBe(true);
  });
});
