import { afterEach, describe, expect, it, vi } from 'vitest';
import { FIRST_MEDIA_RETRY_MS, RoomRetry, backoffMs, mediaRetryMs, roomRetryMs } from './reconnect.ts';

describe('backoffMs', () => {
  it('doubles from 1 s and caps at 15 s', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });
});

describe('mediaRetryMs', () => {
  it('retries lost media quickly once, then backs off like the room', () => {
    expect(FIRST_MEDIA_RETRY_MS).toBeLessThanOrEqual(300);
    expect([0, 1, 2, 3, 10].map(mediaRetryMs)).toEqual([FIRST_MEDIA_RETRY_MS, 1000, 2000, 4000, 15000]);
  });
});

describe('roomRetryMs', () => {
  it('backs off from 1 s to a 15 s cap, each delay drawn between half and all of it', () => {
    expect([0, 1, 2, 3, 4, 9].map((a) => roomRetryMs(a, () => 0))).toEqual([500, 1000, 2000, 4000, 7500, 7500]);
    expect([0, 1, 2, 3, 4, 9].map((a) => roomRetryMs(a, () => 0.999_999))).toEqual([1000, 2000, 4000, 8000, 15000, 15000]);
  });
});

describe('RoomRetry', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('reconnects once after the back-off, or at once when the browser comes back online', () => {
    vi.useFakeTimers();
    const target = new EventTarget();
    vi.stubGlobal('addEventListener', target.addEventListener.bind(target));
    vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target));
    const retry = new RoomRetry();
    let reconnects = 0;
    retry.schedule(() => reconnects++);
    expect(retry.attempt).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(reconnects).toBe(1);
    target.dispatchEvent(new Event('online'));
    expect(reconnects).toBe(1);
    retry.schedule(() => reconnects++);
    target.dispatchEvent(new Event('online'));
    expect(reconnects).toBe(2);
    vi.advanceTimersByTime(15_000);
    expect(reconnects).toBe(2);
    retry.schedule(() => reconnects++);
    retry.cancel();
    vi.advanceTimersByTime(15_000);
    expect(reconnects).toBe(2);
    retry.reset();
    expect(retry.attempt).toBe(0);
  });
});
