/**
 * How an origin is reached in production: HTTPS/WSS from its own certificate (renewed without a
 * restart), and ICE on one fixed UDP+TCP port per worker, so a firewall opens a few ports rather
 * than a range and TCP can sit on 443.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { makeLocalTls } from '../../scripts/local-tls.mjs';
import { freePort } from '../../scripts/stack.mjs';
import { SignalClient, newMeetingId, newParticipantId, startOrigin, until } from './helpers.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'origin-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Candidate {
  protocol: string;
  port: number;
  tcpType?: string;
}

/** The fingerprint of the certificate a TLS server presents now. */
function presented(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: undefined }, () => {
      resolve(s.getPeerX509Certificate()!.fingerprint256);
      s.end();
    });
    s.once('error', reject);
  });
}

function get(url: string, ca?: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https') ? https : http).get(url, ca ? { ca } : {}, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
  });
}

describe('an origin with TLS and fixed ICE ports', () => {
  it('serves HTTPS and WSS from its certificate, refuses plain HTTP, and takes a renewed certificate on reload', async () => {
    const t = makeLocalTls(path.join(dir, 'a'));
    const ca = readFileSync(t.caFile);
    const origin = await startOrigin({ ORIGIN_TLS_CERT: t.certFile, ORIGIN_TLS_KEY: t.keyFile });
    try {
      expect(origin.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(origin.wsUrl).toMatch(/^wss:\/\//);
      expect(await get(`${origin.url}/healthz`, ca)).toBe(200);
      await expect(get(`${origin.url.replace('https', 'http')}/healthz`)).rejects.toThrow();
      await expect(get(`${origin.url}/healthz`)).rejects.toThrow(/certificate/);
      const c = await SignalClient.join(origin, { mid: newMeetingId(), sub: newParticipantId() }, { ca });
      c.close();

      const port = Number(new URL(origin.url).port);
      const before = await presented(port, ca);
      expect(before).toBe(new X509Certificate(readFileSync(t.certFile)).fingerprint256);
      // A renewal writes new files in place (as certbot does), then the service is told to reload.
      const renewed = makeLocalTls(path.join(dir, 'a'));
      const renewedCa = readFileSync(renewed.caFile);
      origin.reloadTls();
      const after = await presented(port, renewedCa);
      expect(after).not.toBe(before);
      expect(after).toBe(new X509Certificate(readFileSync(renewed.certFile)).fingerprint256);
    } finally {
      await origin.close();
    }
  });

  it('puts every transport of a worker on its one ICE port, UDP and TCP, and a replacement worker takes the same port', async () => {
    const icePort = await freePort();
    const origin = await startOrigin({ ORIGIN_WEBRTC_PORT: String(icePort) });
    try {
      const candidatesOf = async (c: SignalClient, direction: 'send' | 'recv') =>
        (await c.ok('createTransport', { direction })).iceCandidates as unknown as Candidate[];
      const a = await SignalClient.join(origin, { mid: newMeetingId(), sub: newParticipantId() });
      const b = await SignalClient.join(origin, { mid: newMeetingId(), sub: newParticipantId() });
      const all = [...(await candidatesOf(a, 'send')), ...(await candidatesOf(a, 'recv')), ...(await candidatesOf(b, 'send'))];
      expect(new Set(all.map((c) => c.port))).toEqual(new Set([icePort]));
      expect(new Set(all.map((c) => c.protocol))).toEqual(new Set(['udp', 'tcp']));
      // Passive TCP: the browser connects to the origin, which is what passes a firewall.
      for (const c of all.filter((c) => c.protocol === 'tcp')) expect(c.tcpType).toBe('passive');

      const old = origin.workers[0]!;
      process.kill(old.pid, 'SIGKILL');
      await until(() => origin.workers.length === 1 && origin.workers[0]!.pid !== old.pid, 10_000, 'replacement worker');
      const c = await SignalClient.join(origin, { mid: newMeetingId(), sub: newParticipantId() });
      expect(new Set((await candidatesOf(c, 'send')).map((x) => x.port))).toEqual(new Set([icePort]));
      for (const x of [a, b, c]) x.close();
    } finally {
      await origin.close();
    }
  });

  it('gives worker n the port ORIGIN_WEBRTC_PORT + n', async () => {
    const icePort = await freePort();
    const origin = await startOrigin({ ORIGIN_WEBRTC_PORT: String(icePort), ORIGIN_WORKERS: '2', ORIGIN_PEERS_PER_ROUTER: '1' });
    try {
      const ports = new Set<number>();
      // Separate meetings go to the worker with the fewest routers, so two open meetings use both.
      const clients: SignalClient[] = [];
      for (let i = 0; i < 2; i++) {
        const c = await SignalClient.join(origin, { mid: newMeetingId(), sub: newParticipantId() });
        clients.push(c);
        for (const x of (await c.ok('createTransport', { direction: 'send' })).iceCandidates as unknown as Candidate[]) ports.add(x.port);
      }
      expect(ports).toEqual(new Set([icePort, icePort + 1]));
      for (const c of clients) c.close();
    } finally {
      await origin.close();
    }
  });
});
