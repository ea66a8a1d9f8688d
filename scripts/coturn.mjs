// coturn (Debian's `turnserver`) beside the stack: TURN over UDP and TCP on one port, with the
// TURN REST API scheme (`use-auth-secret`) and the secret the edge mints credentials from.
// Started by `npm run selfhost` (TURN_PORT) and by the TURN test. Relaying to loopback peers is
// allowed only when it listens on loopback, where the origin it relays to lives too.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * @typedef {{ port: number, pid: number, urls: string[], stop: () => Promise<void> }} Coturn
 *   urls: for the edge's TURN_URLS
 */

/**
 * @param {{ secret: string, port: number, relayPorts: [number, number], logDir: string,
 *   listenIp?: string, host?: string, realm?: string }} o
 *   listenIp: address to listen and relay on (default 127.0.0.1); host: the name or IP browsers
 *   are given in TURN_URLS (default listenIp)
 * @returns {Promise<Coturn>}
 */
export async function startCoturn(o) {
  if (!existsSync('/usr/bin/turnserver')) throw new Error('coturn is not installed (Debian package coturn; npm test installs it)');
  mkdirSync(o.logDir, { recursive: true });
  const listenIp = o.listenIp ?? '127.0.0.1';
  const loopback = listenIp.startsWith('127.') || listenIp === '::1';
  const host = o.host ?? listenIp;
  const log = createWriteStream(path.join(o.logDir, 'coturn.log'), { flags: 'a' });
  const child = spawn(
    '/usr/bin/turnserver',
    [
      '-n', // no config file: everything is on this command line
      `--listening-ip=${listenIp}`,
      `--listening-port=${o.port}`,
      `--relay-ip=${listenIp}`,
      `--min-port=${o.relayPorts[0]}`,
      `--max-port=${o.relayPorts[1]}`,
      '--use-auth-secret',
      `--static-auth-secret=${o.secret}`,
      `--realm=${o.realm ?? 'sealroom.localhost'}`,
      ...(loopback ? ['--allow-loopback-peers'] : []),
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
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
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
  while (!(await listening(loopback ? listenIp : '127.0.0.1', o.port))) {
    if (gone || Date.now() > deadline) {
      await stop();
      throw new Error(`coturn did not listen on 127.0.0.1:${o.port}; see ${path.join(o.logDir, 'coturn.log')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port: o.port,
    pid: child.pid,
    urls: [`turn:${host}:${o.port}?transport=udp`, `turn:${host}:${o.port}?transport=tcp`],
    stop,
  };
}

function listening(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
