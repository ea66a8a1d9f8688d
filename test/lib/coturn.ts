/**
 * coturn (Debian's `turnserver`) for a test: TURN over UDP and TCP on one port of 127.0.0.1, the
 * TURN REST API scheme (`use-auth-secret`) with the secret the edge mints credentials from.
 * Relaying to loopback peers is allowed here only because the media origin lives on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Coturn {
  port: number;
  pid: number;
  /** URLs for the edge's TURN_URLS. */
  urls: string[];
  stop(): Promise<void>;
}

export async function startCoturn(o: { secret: string; port: number; relayPorts: [number, number]; logDir: string }): Promise<Coturn> {
  if (!existsSync('/usr/bin/turnserver')) throw new Error('coturn is not installed (Debian package coturn; npm test installs it)');
  mkdirSync(o.logDir, { recursive: true });
  const log = createWriteStream(path.join(o.logDir, 'coturn.log'), { flags: 'a' });
  const child = spawn(
    '/usr/bin/turnserver',
    [
      '-n', // no config file: everything is on this command line
      '--listening-ip=127.0.0.1',
      `--listening-port=${o.port}`,
      '--relay-ip=127.0.0.1',
      `--min-port=${o.relayPorts[0]}`,
      `--max-port=${o.relayPorts[1]}`,
      '--use-auth-secret',
      `--static-auth-secret=${o.secret}`,
      '--realm=sealroom.localhost',
      '--allow-loopback-peers',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--no-multicast-peers',
      '--log-file=stdout',
      '--simple-log',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async () => {
    if (gone) return;
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (!gone) child.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + 20_000;
  while (!(await listening(o.port))) {
    if (gone || Date.now() > deadline) {
      await stop();
      throw new Error(`coturn did not listen on 127.0.0.1:${o.port}; see ${path.join(o.logDir, 'coturn.log')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port: o.port,
    pid: child.pid!,
    urls: [`turn:127.0.0.1:${o.port}?transport=udp`, `turn:127.0.0.1:${o.port}?transport=tcp`],
    stop,
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
