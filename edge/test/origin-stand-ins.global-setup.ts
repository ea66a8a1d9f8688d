/**
 * Runs in Node before the edge tests: two stand-ins for media origins, real HTTP servers on
 * 127.0.0.1 whose health check a test makes alive, dead (503) or hung (never answers), and
 * slow. Each counts the health checks it was sent and records the enforcement calls it got,
 * so a test sees how often the Room probed and where the holds went after a failover.
 *
 *   POST /mode?health=alive|dead|hang&delayMs=N   set the health check's behaviour (resets counts)
 *   GET  /seen                                      { probes, controls }
 */
import { type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    originStandIns: string[];
  }
}

type Health = 'alive' | 'dead' | 'hang';

function standIn() {
  let health: Health = 'alive';
  let delayMs = 0;
  let probes = 0;
  let controls: unknown[] = [];
  const hung = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST' && url.pathname === '/mode') {
        const h = url.searchParams.get('health');
        if (h !== 'alive' && h !== 'dead' && h !== 'hang') return reply(400, { error: 'health must be alive, dead or hang' });
        health = h;
        delayMs = Number(url.searchParams.get('delayMs') ?? '0') || 0;
        probes = 0;
        controls = [];
        return reply(200, { health, delayMs });
      }
      if (req.method === 'GET' && url.pathname === '/seen') return reply(200, { probes, controls });
      if (req.method === 'GET' && url.pathname === '/healthz') {
        probes++;
        if (health === 'hang') {
          hung.add(res);
          res.on('close', () => hung.delete(res));
          return;
        }
        setTimeout(() => (health === 'alive' ? reply(200, { ok: true, draining: false, workers: 1 }) : reply(503, { ok: false })), delayMs);
        return;
      }
      if (req.method === 'POST' && url.pathname === '/control') {
        controls.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
        return reply(200, { ok: true });
      }
      reply(404, {});
    });
  });
  return { server, hung };
}

export default async function setup(project: TestProject) {
  const servers = [standIn(), standIn()];
  for (const s of servers) await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
  project.provide(
    'originStandIns',
    servers.map((s) => `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`),
  );
  return async () => {
    for (const s of servers) {
      for (const r of s.hung) r.destroy();
      s.server.closeAllConnections();
      await new Promise<void>((resolve) => s.server.close(() => resolve()));
    }
  };
}
