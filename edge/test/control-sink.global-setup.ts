/**
 * Runs in Node before the edge tests: a stand-in for a media origin's control endpoint, a real
 * HTTP server on 127.0.0.1 that records every enforcement call the Room sends and can be told
 * to refuse the next few, so tests can see the Room retry until the origin confirms.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    controlSink: string;
  }
}

export interface SunkControl {
  at: number;
  status: number;
  body: unknown;
}

export default async function setup(project: TestProject) {
  const calls: SunkControl[] = [];
  let refuse = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://sink');
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST' && url.pathname === '/refuse') {
        refuse = Number(url.searchParams.get('n') ?? '1');
        return reply(200, { refuse });
      }
      if (req.method === 'GET' && url.pathname === '/calls') return reply(200, calls);
      if (req.method === 'POST' && url.pathname === '/control') {
        const status = refuse > 0 ? 503 : 200;
        if (refuse > 0) refuse--;
        calls.push({ at: Date.now(), status, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
        return reply(status, status === 200 ? { ok: true } : { error: 'not now' });
      }
      reply(404, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  project.provide('controlSink', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
