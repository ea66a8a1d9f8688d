import { afterEach, describe, expect, it, vi } from 'vitest';
import { EARLY_PING_MS, EARLY_PONG_MS, EarlySocket } from './early-socket.ts';
import { FakeSocket } from './testing/fake-socket.ts';

const URL_A = 'ws://x/api/meetings/123456789/ws';

afterEach(() => {
  vi.useRealTimers();
});

describe('EarlySocket', () => {
  it('hands over the socket it opened once, with its handlers cleared for the taker', () => {
    const socket = new FakeSocket(false);
    const early = new EarlySocket(URL_A, () => socket);
    socket.open();
    expect(early.take(URL_A)).toBe(socket);
    expect([socket.onopen, socket.onmessage, socket.onclose, socket.onerror]).toEqual([null, null, null, null]);
    expect(early.take(URL_A)).toBeNull();
  });

  it('hands over a socket still opening', () => {
    const socket = new FakeSocket(false);
    const early = new EarlySocket(URL_A, () => socket);
    expect(early.take(URL_A)).toBe(socket);
  });

  it('gives nothing once the socket closed (the join then opens its own)', () => {
    const socket = new FakeSocket(false);
    const early = new EarlySocket(URL_A, () => socket);
    socket.open();
    socket.drop(1001);
    expect(early.take(URL_A)).toBeNull();
  });

  it('closes and gives nothing for another address', () => {
    const socket = new FakeSocket(true);
    const early = new EarlySocket(URL_A, () => socket);
    expect(early.take('ws://x/api/meetings/987654321/ws')).toBeNull();
    expect(socket.readyState).toBe(3);
  });

  it('closes a socket nobody took', () => {
    const socket = new FakeSocket(true);
    const early = new EarlySocket(URL_A, () => socket);
    early.close();
    expect(socket.readyState).toBe(3);
    expect(early.take(URL_A)).toBeNull();
  });

  it('pings while it waits and keeps a socket that answers', () => {
    vi.useFakeTimers();
    const socket = new FakeSocket(false);
    const early = new EarlySocket(URL_A, () => socket);
    socket.open();
    for (let i = 0; i < 6; i++) {
      vi.advanceTimersByTime(EARLY_PING_MS);
      socket.deliver('pong');
    }
    expect(socket.sent).toEqual(Array(6).fill('ping'));
    expect(early.take(URL_A)).toBe(socket);
  });

  it('closes a socket whose ping went unanswered, and never hands over a silent one', () => {
    vi.useFakeTimers();
    const silent = new FakeSocket(false);
    const early = new EarlySocket(URL_A, () => silent);
    silent.open();
    vi.advanceTimersByTime(EARLY_PING_MS + EARLY_PONG_MS + 1);
    expect(early.take(URL_A)).toBeNull();
    expect(silent.readyState).toBe(3);

    const dead = new FakeSocket(false);
    const later = new EarlySocket(URL_A, () => dead);
    dead.open();
    vi.advanceTimersByTime(2 * EARLY_PING_MS);
    expect(dead.readyState).toBe(3);
    expect(later.take(URL_A)).toBeNull();
  });

  it('asks the Room where the media will go once open, and hands over the parsed answer only', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const socket = new FakeSocket(false);
    const heard: (string | null)[] = [];
    const early = new EarlySocket(
      URL_A,
      () => socket,
      (origin) => heard.push(origin),
    );
    expect(socket.sent).toEqual([]);
    socket.open();
    expect(socket.json()).toEqual([{ type: 'prepare' }]);
    socket.deliver('pong');
    socket.deliver(JSON.stringify({ type: 'prepared', origin: 'javascript:alert(1)' }));
    socket.deliver(JSON.stringify({ type: 'error', code: 'rate_limited', message: 'slow down', retryAfter: 1 }));
    socket.deliver(JSON.stringify({ type: 'prepared', origin: 'wss://origin.test/ws' }));
    socket.deliver(JSON.stringify({ type: 'prepared', origin: null }));
    expect(heard).toEqual(['wss://origin.test/ws', null]);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(early.take(URL_A)).toBe(socket);
    warn.mockRestore();
  });
});
