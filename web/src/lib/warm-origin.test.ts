import type { Device } from 'mediasoup-client';
import { describe, expect, it, vi } from 'vitest';
import { WarmOrigin } from './warm-origin.ts';
import { FakeSocket } from './testing/fake-socket.ts';

const URL_O = 'ws://origin.test/ws';
const CAPS = { codecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100 }], headerExtensions: [] };

/** A fake device loader that records what it was given. */
function loader() {
  const loaded: unknown[] = [];
  const device = { loaded: true } as unknown as Device;
  return { loaded, device, load: async (caps: unknown) => (loaded.push(caps), device) };
}

/** Answers the warm origin's one request (the capabilities before auth) on `socket`. */
function answerCapabilities(socket: FakeSocket, ok = true): void {
  const req = socket.json()[0] as { id: number; method: string };
  expect(req.method).toBe('rtpCapabilities');
  socket.deliver(
    JSON.stringify(
      ok
        ? { type: 'response', id: req.id, ok: true, data: { rtpCapabilities: CAPS } }
        : { type: 'response', id: req.id, ok: false, error: { code: 'not_joined', message: 'send auth with a ticket first' } },
    ),
  );
}

describe('WarmOrigin', () => {
  it('dials the origin, loads the device with its capabilities, and hands both to the join once', async () => {
    const socket = new FakeSocket(false);
    const l = loader();
    const warm = new WarmOrigin(URL_O, () => socket, l.load);
    socket.open();
    await vi.waitFor(() => expect(socket.json()).toHaveLength(1));
    answerCapabilities(socket);
    const relay = { onNotification: vi.fn(), onClosed: vi.fn() };
    const parts = warm.take(relay)!;
    const client = await parts.client;
    expect(client).not.toBeNull();
    expect(await parts.device).toEqual({ device: l.device, capabilities: JSON.stringify(CAPS) });
    expect(l.loaded).toEqual([CAPS]);
    expect(warm.take(relay)).toBeNull();
    // The taker hears what the socket says from now on, and its close.
    socket.deliver(JSON.stringify({ type: 'notification', event: 'reconnect', data: { reason: 'draining' } }));
    expect(relay.onNotification).toHaveBeenCalledOnce();
    socket.drop(1006);
    expect(relay.onClosed).toHaveBeenCalledOnce();
  });

  it('hands over a socket still dialling; the join waits for it', async () => {
    const socket = new FakeSocket(false);
    const warm = new WarmOrigin(URL_O, () => socket, loader().load);
    const parts = warm.take({ onNotification: () => {}, onClosed: () => {} })!;
    socket.open();
    expect(await parts.client).not.toBeNull();
    expect(socket.readyState).toBe(1);
  });

  it('gives no device when the origin will not say before auth, and no socket once it closed', async () => {
    const socket = new FakeSocket(false);
    const warm = new WarmOrigin(URL_O, () => socket, loader().load);
    socket.open();
    await vi.waitFor(() => expect(socket.json()).toHaveLength(1));
    answerCapabilities(socket, false);
    socket.drop(4001);
    const parts = warm.take({ onNotification: () => {}, onClosed: () => {} })!;
    expect(await parts.device).toBeNull();
    expect(await parts.client).toBeNull();
  });

  it('gives nothing when the origin cannot be reached', async () => {
    const socket = new FakeSocket(false);
    const warm = new WarmOrigin(URL_O, () => socket, loader().load);
    socket.drop(1006);
    const parts = warm.take({ onNotification: () => {}, onClosed: () => {} })!;
    expect(await parts.client).toBeNull();
    expect(await parts.device).toBeNull();
  });

  it('closes the socket when nobody takes it, even one that opens after', async () => {
    const open = new FakeSocket(false);
    const warm = new WarmOrigin(URL_O, () => open, loader().load);
    open.open();
    await vi.waitFor(() => expect(open.json()).toHaveLength(1));
    warm.close();
    expect(open.readyState).toBe(3);
    expect(warm.take({ onNotification: () => {}, onClosed: () => {} })).toBeNull();

    const late = new FakeSocket(false);
    const gone = new WarmOrigin(URL_O, () => late, loader().load);
    gone.close();
    late.open();
    await vi.waitFor(() => expect(late.readyState).toBe(3));
  });
});
