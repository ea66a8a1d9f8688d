/**
 * The bare baseline: the least a mediasoup app must do to show a remote camera. One router per
 * run, WebRTC transports on loopback, signalling as JSON over HTTP POST, and the page bundled
 * with esbuild from baseline-page.ts. No Sealroom code: no edge, no Room, no E2EE, no tickets.
 * It uses the same mediasoup version and worker binary (MEDIASOUP_WORKER_BIN) as the origin.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { types as ms } from 'mediasoup';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The same codecs the origin's routers offer (media-origin/src/media.ts), as data. */
const CODECS: ms.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
];

type Room = { router: ms.Router; transports: Map<string, ms.WebRtcTransport>; producers: ms.Producer[]; consumers: Map<string, ms.Consumer> };

export type Baseline = { url: string; close(): Promise<void> };

/** Starts the baseline server on a free loopback port. */
export async function startBaseline(opts: { rtcPorts: [number, number] }): Promise<Baseline> {
  // mediasoup reads MEDIASOUP_WORKER_BIN when it is first imported, so not before the caller set it.
  const mediasoup = await import('mediasoup');
  const worker = await mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: opts.rtcPorts[0], rtcMaxPort: opts.rtcPorts[1] });
  const bundle = await build({
    entryPoints: [path.join(here, 'baseline-page.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    logLevel: 'warning',
  });
  const pageJs = bundle.outputFiles[0]!.text;
  const rooms = new Map<string, Room>();

  async function room(id: string): Promise<Room> {
    let r = rooms.get(id);
    if (!r) {
      r = { router: await worker.createRouter({ mediaCodecs: CODECS }), transports: new Map(), producers: [], consumers: new Map() };
      rooms.set(id, r);
    }
    return r;
  }

  const methods: Record<string, (r: Room, d: Record<string, unknown>) => Promise<unknown>> = {
    rtpCapabilities: async (r) => r.router.rtpCapabilities,
    createTransport: async (r) => {
      const t = await r.router.createWebRtcTransport({
        listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }],
        enableUdp: true,
        initialAvailableOutgoingBitrate: 1_000_000,
      });
      r.transports.set(t.id, t);
      return { id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters };
    },
    connectTransport: async (r, d) => {
      await r.transports.get(d['transportId'] as string)!.connect({ dtlsParameters: d['dtlsParameters'] as ms.DtlsParameters });
      return {};
    },
    produce: async (r, d) => {
      const t = r.transports.get(d['transportId'] as string)!;
      const p = await t.produce({ kind: d['kind'] as ms.MediaKind, rtpParameters: d['rtpParameters'] as ms.RtpParameters, appData: { owner: d['self'] } });
      r.producers.push(p);
      return { id: p.id };
    },
    /** Producers present when asked, then every later one as it appears (long poll of one). */
    producers: async (r, d) => {
      const seen = new Set(d['seen'] as string[]);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const fresh = r.producers.filter((p) => !seen.has(p.id) && p.appData['owner'] !== d['self']);
        if (fresh.length > 0 || Date.now() > deadline) return fresh.map((p) => ({ id: p.id, kind: p.kind }));
        await new Promise((res) => setTimeout(res, 10));
      }
    },
    consume: async (r, d) => {
      const t = r.transports.get(d['transportId'] as string)!;
      const c = await t.consume({ producerId: d['producerId'] as string, rtpCapabilities: d['rtpCapabilities'] as ms.RtpCapabilities, paused: true });
      r.consumers.set(c.id, c);
      return { id: c.id, producerId: c.producerId, kind: c.kind, rtpParameters: c.rtpParameters };
    },
    resume: async (r, d) => {
      await r.consumers.get(d['consumerId'] as string)!.resume();
      return {};
    },
    close: async (r) => {
      r.router.close();
      for (const [id, x] of rooms) if (x === r) rooms.delete(id);
      return {};
    },
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(pageJs);
      return;
    }
    if (req.method === 'POST' && url.pathname.startsWith('/rpc/')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const name = url.pathname.slice(5);
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
        const fn = methods[name];
        if (!fn) return void res.writeHead(404).end();
        room(String(body['room']))
          .then((r) => fn(r, body))
          .then((out) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out)))
          .catch((e: unknown) => res.writeHead(500).end(String(e)));
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      worker.close();
    },
  };
}

/** A fresh room id for one run. */
export const newRoomId = (): string => randomUUID();

const PAGE = `<!doctype html><meta charset="utf-8"><title>baseline</title>
<button id="join" data-bench-join disabled>Join</button><div id="videos"></div>
<script type="module" src="/page.js"></script>`;
