/**
 * The cost of a password sign-in on the real Worker: a private edge (wrangler dev + workerd, D1
 * on disk, no media origin) with the production scrypt cost (N=2^15, r=8, p=1; the Worker's
 * default, edge/src/accounts/password-cost.ts). Timed from this client, one request at a time,
 * because workerd's clock does not advance during CPU work. Prints a table.
 *
 *   PATH=$PWD/node_modules/.bin:$PATH tsx bench/accounts/run.ts [runs]     (default 12)
 *
 * Rows: sign-up (one scrypt hash + org, user, session, audit writes), sign-in with the right
 * password (one scrypt verify + session + audit), sign-in with an unknown email (a verify
 * against a dummy hash, so it costs the same: no account probing by timing), and a session
 * check (no scrypt) as the floor of a request's cost here.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { localMasterKey, localSecret, root } from '../../scripts/env.mjs';
import { freePort, startStack } from '../../scripts/stack.mjs';

const runs = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 12;
const PASSWORD = 'Correct-horse-42';
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const stateDir = path.join(root, '.cache', `bench-accounts-${process.pid}`);
const stack = await startStack({
  port: await freePort(),
  withOrigin: false,
  stateDir,
  logDir: path.join(root, '.cache', 'bench-logs'),
  secret: localSecret(),
  masterKey: localMasterKey(),
  log: () => {},
});

async function timed(path: string, init: RequestInit, status: number): Promise<{ ms: number; res: Response }> {
  const t0 = performance.now();
  const res = await fetch(`${stack.url}${path}`, init);
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== status) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status}, expected ${status}: ${text.slice(0, 300)}`);
  return { ms, res };
}

const json = (body: unknown, ip: string): RequestInit => ({
  method: 'POST',
  // A fresh source address per request: the per-address lockout must not enter the figures.
  headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
  body: JSON.stringify(body),
});

const samples: Record<string, number[]> = { 'sign-up': [], 'sign-in, right password': [], 'sign-in, unknown email': [], 'session check (no scrypt)': [] };
try {
  console.log(`\nload average before: ${loadavg()}`);
  const stamp = Date.now().toString(36);
  // Warm the isolate (first request compiles the Worker).
  await timed('/api/auth/session', {}, 401);
  for (let i = 0; i < runs; i++) {
    const email = `bench${i}.${stamp}@example.test`;
    const ip = `198.51.100.${i + 1}`;
    samples['sign-up']!.push((await timed('/api/auth/signup', json({ orgName: `Bench ${i}`, name: 'Bench', email, password: PASSWORD }, ip), 201)).ms);
    const signin = await timed('/api/auth/signin', json({ email, password: PASSWORD }, ip), 200);
    samples['sign-in, right password']!.push(signin.ms);
    samples['sign-in, unknown email']!.push(
      (await timed('/api/auth/signin', json({ email: `nobody${i}.${stamp}@example.test`, password: PASSWORD }, `203.0.113.${i + 1}`), 401)).ms,
    );
    const cookie = /__Host-sealroom_session=[^;]+/.exec(signin.res.headers.get('set-cookie') ?? '')![0];
    samples['session check (no scrypt)']!.push((await timed('/api/auth/session', { headers: { cookie } }, 200)).ms);
  }
  const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`\nscrypt N=2^15, r=8, p=1 (32 MiB) in workerd under wrangler dev; ${runs} runs, one request at a time\n`);
  console.log('| request | median | min | max |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, xs] of Object.entries(samples)) {
    const s = [...xs].sort((a, b) => a - b);
    console.log(`| ${name} | ${fmt(s[Math.floor(s.length / 2)]!)} | ${fmt(s[0]!)} | ${fmt(s[s.length - 1]!)} |`);
  }
  console.log(`\nload average after: ${loadavg()}`);
} finally {
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
