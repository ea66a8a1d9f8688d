import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ICE_DISCONNECTED_GRACE_MS, type IceTransport, MAX_ICE_RESTARTS, watchIce } from './origin-client.ts';

/** A transport whose connection state the test drives, recording the ICE parameters it was given. */
class FakeTransport implements IceTransport {
  readonly id = 'transport-1';
  closed = false;
  connectionState: RTCPeerConnectionState = 'connected';
  readonly restartedWith: unknown[] = [];
  #listener: ((s: RTCPeerConnectionState) => void) | undefined;

  on(_event: 'connectionstatechange', listener: (state: RTCPeerConnectionState) => void): void {
    this.#listener = listener;
  }

  async restartIce({ iceParameters }: { iceParameters: unknown }): Promise<void> {
    this.restartedWith.push(iceParameters);
  }

  set(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.#listener?.(state);
  }
}

let transport: FakeTransport;
let asked: string[];
let gaveUp: string[];
let n: number;
const watch = (restartIce?: (id: string) => Promise<{ iceParameters: Record<string, unknown> }>) =>
  watchIce(transport, {
    restartIce:
      restartIce ??
      (async (id) => {
        asked.push(id);
        return { iceParameters: { usernameFragment: `u${++n}`, password: `p${n}`, iceLite: true } };
      }),
    onGiveUp: (r) => gaveUp.push(r),
  });

beforeEach(() => {
  vi.useFakeTimers();
  transport = new FakeTransport();
  asked = [];
  gaveUp = [];
  n = 0;
});
afterEach(() => vi.useRealTimers());

describe('watchIce', () => {
  it('restarts at once when the connection fails, with the parameters the origin gave', async () => {
    watch();
    transport.set('failed');
    await vi.advanceTimersByTimeAsync(0);
    expect(asked).toEqual(['transport-1']);
    expect(transport.restartedWith).toEqual([{ usernameFragment: 'u1', password: 'p1', iceLite: true }]);
    expect(gaveUp).toEqual([]);
  });

  it('gives a disconnected transport the grace period, and does nothing if it recovers', async () => {
    watch();
    transport.set('disconnected');
    await vi.advanceTimersByTimeAsync(ICE_DISCONNECTED_GRACE_MS - 1);
    expect(asked).toEqual([]);
    transport.set('connected');
    await vi.advanceTimersByTimeAsync(ICE_DISCONNECTED_GRACE_MS * 2);
    expect(asked).toEqual([]);

    transport.set('disconnected');
    await vi.advanceTimersByTimeAsync(ICE_DISCONNECTED_GRACE_MS);
    expect(asked).toEqual(['transport-1']);
    expect(transport.restartedWith).toHaveLength(1);
  });

  it('keeps trying while it stays down, then gives up; reconnecting resets the count', async () => {
    watch();
    transport.set('failed');
    await vi.advanceTimersByTimeAsync(0);
    transport.set('connected'); // that restart worked
    transport.set('failed');
    await vi.advanceTimersByTimeAsync(0);
    expect(asked).toHaveLength(2);
    // From here nothing reconnects: one more restart per grace period, up to the limit.
    await vi.advanceTimersByTimeAsync(ICE_DISCONNECTED_GRACE_MS * (MAX_ICE_RESTARTS + 2));
    expect(asked).toHaveLength(1 + MAX_ICE_RESTARTS);
    expect(gaveUp).toEqual([`ICE did not recover after ${MAX_ICE_RESTARTS} restarts`]);
    // Once given up, later state changes do nothing.
    transport.set('failed');
    await vi.advanceTimersByTimeAsync(ICE_DISCONNECTED_GRACE_MS * 3);
    expect(asked).toHaveLength(1 + MAX_ICE_RESTARTS);
    expect(gaveUp).toHaveLength(1);
  });

  it('gives up when the origin refuses the restart', async () => {
    watch(async () => {
      throw new Error('no such transport');
    });
    transport.set('failed');
    await vi.advanceTimersByTimeAsync(0);
    expect(gaveUp).toEqual(['ICE restart failed: no such transport']);
    expect(transport.restartedWith).toEqual([]);
  });

  it('stops when the transport closes or the watch is stopped', async () => {
    const stop = watch();
    transport.set('disconnected');
    stop();
    await vi.advanceTimersByTimeAsync(ICE_DISCONNECTED_GRACE_MS * 2);
    expect(asked).toEqual([]);

    transport = new FakeTransport();
    watch();
    transport.set('disconnected');
    transport.set('closed');
    await vi.advanceTimersByTimeAsync(ICE_DISCONNECTED_GRACE_MS * 2);
    expect(asked).toEqual([]);
    expect(gaveUp).toEqual([]);
  });
});
