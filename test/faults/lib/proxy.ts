/**
 * A TCP proxy that can cut its traffic: what a network blip does to one browser's signalling.
 * Bytes pass through untouched (HTTP, WebSocket upgrades and frames alike); `cut(ms)` resets
 * every open connection at once and resets each new one for `ms`, as a dead link does to a
 * client that keeps retrying.
 *
 * Only TCP goes through here. WebRTC media is UDP between the browser and the origin and is not
 * cut: a blip kills the signalling sockets, and media recovery follows the origin socket's fate
 * (the client tears its transports down with it and builds new ones).
 */
import net from 'node:net';

export interface CuttableProxy {
  /** `http://host:port` of the proxy. */
  readonly url: string;
  readonly port: number;
  /** Client connections open now (each with its upstream twin). */
  readonly open: number;
  /** Connections accepted since the start, cut ones included. */
  readonly accepted: number;
  /** Connections reset on arrival because a cut was on. */
  readonly refused: number;
  /** Resets every open connection and refuses new ones for `ms`; resolves when the link is back. */
  cut(ms: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Listens on `listenHost:listenPort` (port 0: any free one) and forwards each connection to
 * `target`.
 */
export async function startProxy(target: { host: string; port: number }, listenHost = '127.0.0.1', listenPort = 0): Promise<CuttableProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let cutUntil = 0;
  let accepted = 0;
  let refused = 0;

  const server = net.createServer({ noDelay: true }, (client) => {
    accepted++;
    if (Date.now() < cutUntil) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port, noDelay: true });
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, listenHost, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    url: `http://${listenHost}:${port}`,
    port,
    get open() {
      return pairs.size;
    },
    get accepted() {
      return accepted;
    },
    get refused() {
      return refused;
    },
    async cut(ms) {
      cutUntil = Date.now() + ms;
      // A reset, not a polite close: the far ends learn of it the way they learn of a dead link.
      for (const { client, upstream } of [...pairs]) {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
      await new Promise((r) => setTimeout(r, Math.max(0, cutUntil - Date.now())));
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
