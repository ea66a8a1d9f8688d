import { afterEach, describe, expect, it, vi } from 'vitest';
import { OriginClient, OriginError, RequestTable } from './origin-client.ts';
import { FakeSocket } from './testing/fake-socket.ts';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('RequestTable', () => {
  it('numbers requests and builds protocol frames', () => {
    const table = new RequestTable();
    const a = table.open('createTransport', { direction: 'send' });
    const b = table.open('rtpCapabilities', {});
    expect(JSON.parse(a.frame)).toEqual({ type: 'request', id: 1, method: 'createTransport', data: { direction: 'send' } });
    expect(JSON.parse(b.frame).id).toBe(2);
    expect(table.size).toBe(2);
    a.result.catch(() => {});
    b.result.catch(() => {});
    table.failAll(new OriginError('closed', 'test over'));
  });

  it('resolves the request whose id the response carries, not another', async () => {
    const table = new RequestTable();
    const first = table.open('produce', { transportId: 't1', kind: 'audio', source: 'audio', rtpParameters: {} });
    const second = table.open('produce', { transportId: 't1', kind: 'video', source: 'video', rtpParameters: {} });
    expect(table.settle({ type: 'response', id: 2, ok: true, data: { producerId: 'p-video' } })).toBe(true);
    expect(table.settle({ type: 'response', id: 1, ok: true, data: { producerId: 'p-audio' } })).toBe(true);
    await expect(first.result).resolves.toEqual({ producerId: 'p-audio' });
    await expect(second.result).resolves.toEqual({ producerId: 'p-video' });
    expect(table.size).toBe(0);
  });

  it('maps an error response to an OriginError with the code and method', async () => {
    const table = new RequestTable();
    const { result } = table.open('auth', { ticket: 'x' });
    table.settle({ type: 'response', id: 1, ok: false, error: { code: 'bad_ticket', message: 'expired' } });
    const err = await result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OriginError);
    expect(err).toMatchObject({ code: 'bad_ticket', method: 'auth', message: 'auth: expired' });
  });

  it('ignores a response nobody asked for, and a second answer to the same id', () => {
    const table = new RequestTable();
    expect(table.settle({ type: 'response', id: 7, ok: true, data: {} })).toBe(false);
    const { result } = table.open('resumeConsumer', { consumerId: 'c1' });
    expect(table.settle({ type: 'response', id: 1, ok: true, data: {} })).toBe(true);
    expect(table.settle({ type: 'response', id: 1, ok: true, data: {} })).toBe(false);
    return expect(result).resolves.toEqual({});
  });

  it('times out a request that gets no answer', async () => {
    vi.useFakeTimers();
    const table = new RequestTable(5000);
    const { result } = table.open('rtpCapabilities', {});
    const settled = result.catch((e: unknown) => e);
    vi.advanceTimersByTime(5001);
    expect(await settled).toMatchObject({ code: 'timeout', method: 'rtpCapabilities' });
    expect(table.size).toBe(0);
  });

  it('failAll rejects every pending request with its own method', async () => {
    const table = new RequestTable();
    const a = table.open('auth', { ticket: 't' }).result.catch((e: unknown) => e);
    const b = table.open('rtpCapabilities', {}).result.catch((e: unknown) => e);
    table.failAll(new OriginError('closed', 'gone'));
    expect(await a).toMatchObject({ code: 'closed', method: 'auth' });
    expect(await b).toMatchObject({ code: 'closed', method: 'rtpCapabilities' });
  });
});

describe('OriginClient', () => {
  function setup() {
    const socket = new FakeSocket();
    const notifications: unknown[] = [];
    const closed: string[] = [];
    const client = new OriginClient(socket, { onNotification: (n) => notifications.push(n), onClosed: (r) => closed.push(r) });
    return { socket, client, notifications, closed };
  }

  it('sends a request and resolves it from the matching response frame', async () => {
    const { socket, client } = setup();
    const p = client.request('createTransport', { direction: 'recv' });
    const sent = JSON.parse(socket.sent[0] ?? '');
    const info = { id: 'tr1', iceParameters: {}, iceCandidates: [], dtlsParameters: { fingerprints: [{ algorithm: 'sha-256', value: 'AB' }] } };
    socket.deliver(JSON.stringify({ type: 'response', id: sent.id, ok: true, data: info }));
    await expect(p).resolves.toEqual(info);
  });

  it('forwards notifications and drops frames that do not parse', () => {
    const { socket, notifications } = setup();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    socket.deliver('not json');
    socket.deliver(JSON.stringify({ type: 'notification', event: 'newProducer', data: { producerId: 'p1' } }));
    socket.deliver(JSON.stringify({ type: 'notification', event: 'activeSpeaker', data: { participantId: 'abcdefgh' } }));
    expect(notifications).toEqual([{ type: 'notification', event: 'activeSpeaker', data: { participantId: 'abcdefgh' } }]);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('fails pending requests and reports once when the socket drops', async () => {
    const { socket, client, closed } = setup();
    const p = client.request('rtpCapabilities', {}).catch((e: unknown) => e);
    socket.drop(1011);
    expect(await p).toMatchObject({ code: 'closed' });
    expect(closed).toHaveLength(1);
    await expect(client.request('rtpCapabilities', {})).rejects.toMatchObject({ code: 'closed' });
  });

  it('close() is quiet and safe twice', async () => {
    const { socket, client, closed } = setup();
    const p = client.request('auth', { ticket: 't' }).catch((e: unknown) => e);
    client.close();
    client.close();
    expect(await p).toMatchObject({ code: 'closed' });
    expect(socket.closedWith).toBe(1000);
    expect(closed).toEqual([]);
  });
});
