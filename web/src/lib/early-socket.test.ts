import { describe, expect, it } from 'vitest';
import { EarlySocket } from './early-socket.ts';
import { FakeSocket } from './testing/fake-socket.ts';

const URL_A = 'ws://x/api/meetings/123456789/ws';

describe('EarlySocket', () => {
  it('hands over the socket it opened once, with its handlers cleared for the taker', () => {
    const socket = new FakeSocket(false);
    const early = new EarlySocket(URL_A, () => socket);
    socket.open();
    expect(early.take(URL_A)).toBe(socket);
    expect(socket.onclose).toBeNull();
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
});
