/**
 * A crowd of sign-ins at once on the real Worker (wrangler dev + workerd, D1 on disk, production
 * scrypt cost N=2^15, 32 MiB per check): how much memory workerd holds, and what the crowd is
 * answered. Without the scrypt gate a hundred concurrent checks took workerd from 0.75 to 2.3 GB;
 * with it at most SCRYPT_SLOTS checks hold their 32 MiB at once and the rest queue or get 503 busy.
 *
 *   npm run bench:accounts-crowd -- [crowd]     (default 100)
 *
 * Bursts: (1) `crowd` sign-ins from as many addresses, a tenth with the right password of their
 * own account, the rest unknown emails (each a full dummy check); (2) `crowd` wrong passwords for
 * one account at once, where the lockout must let exactly FREE_FAILURES + 1 through to scrypt.
 * workerd's resident memory (VmRSS of every workerd under the stack) is sampled every 20 ms.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { localMasterKey, localSecret, root } from '../../scripts/env.mjs';
import { freePort, startStack } from '../../scripts/stack.mjs';

const crowd = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 100;
const PASSWORD = 'Correct-horse-42';
const SAMPLE_MS = 20;

type Stack = Awaited<ReturnType<typeof startStack>>;

/** A fresh stack per scenario: V8 keeps freed scrypt blocks around, so one scenario's garbage must not be the next one's baseline. */
async function withStack(fn: (stack: Stack) => Promise<void>): Promise<void> {
  const stateDir = path.join(root, '.cache', `bench-accounts-crowd-${process.pid}`);
  const stack = await startStack({
    port: await freePort(),
    withOrigin: false,
    stateDir,
    logDir: path.join(root, '.cache', 'bench-logs'),
    secret: localSecret(),
    masterKey: localMasterKey(),
    log: () => {},
  });
  try {
    await fetch(`${stack.url}/api/auth/session`);
    await fn(stack);
  } finally {
    await stack.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Every process under the stack's children whose command is workerd. */
function workerdPids(stack: Stack): number[] {
  const parent = new Map<number, number>();
  const comm = new Map<number, string>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      comm.set(Number(d), stat.slice(stat.indexOf('(') + 1, close));
      parent.set(Number(d), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const ours = new Set(stack.pids);
  const under = (pid: number): boolean => {
    for (let p = pid, i = 0; p > 1 && i < 64; p = parent.get(p) ?? 0, i++) if (ours.has(p)) return true;
    return false;
  };
  return [...comm].filter(([pid, c]) => c.startsWith('workerd') && under(pid)).map(([pid]) => pid);
}

const rssMiB = (pids: number[]): number =>
  pids.reduce((sum, pid) => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return sum + (m ? Number(m[1]) / 1024 : 0);
    } catch {
      return sum;
    }
  }, 0);

const post = (stack: Stack, p: string, body: unknown, ip: string) =>
  fetch(`${stack.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip }, body: JSON.stringify(body) });

/** `status code`; a body that is not ours (wrangler dev reloading, workerd out of memory) shows as `other`. */
async function answerOf(res: Response): Promise<string> {
  const text = await res.text();
  try {
    return `${res.status} ${(JSON.parse(text) as { error?: { code: string } }).error?.code ?? 'ok'}`;
  } catch {
    return `${res.status} other`;
  }
}

/** Runs `requests` (all at once, or one after another) while sampling workerd's memory; prints a table row. */
async function burst(stack: Stack, name: string, requests: Array<() => Promise<Response>>, oneAtATime = false) {
  const pids = workerdPids(stack);
  const before = rssMiB(pids);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pids))), SAMPLE_MS);
  const t0 = performance.now();
  const answers: string[] = [];
  if (oneAtATime) for (const r of requests) answers.push(await answerOf(await r()));
  else answers.push(...(await Promise.all(requests.map(async (r) => answerOf(await r())))));
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rssMiB(pids));
  const tally: Record<string, number> = {};
  for (const a of answers) tally[a] = (tally[a] ?? 0) + 1;
  const answered = Object.entries(tally)
    .sort()
    .map(([k, n]) => `${n} × ${k}`)
    .join(', ');
  console.log(`| ${name} | ${before.toFixed(0)} MiB | ${peak.toFixed(0)} MiB | ${seconds.toFixed(1)} s | ${answered} |`);
}

async function signUp(stack: Stack, n: number, stamp: string): Promise<string[]> {
  const emails: string[] = [];
  for (let i = 0; i < n; i++) {
    const email = `crowd${i}.${stamp}@example.test`;
    const res = await post(stack, '/api/auth/signup', { orgName: `Crowd ${i}`, name: 'Crowd', email, password: PASSWORD }, `198.18.0.${i + 1}`);
    if (res.status !== 201) throw new Error(`sign-up: ${res.status} ${await res.text()}`);
    emails.push(email);
  }
  return emails;
}

const ip = (prefix: string, i: number) => `${prefix}.${i >> 8}.${i & 255}`;
const stamp = Date.now().toString(36);
console.log(
  `\n${crowd} sign-ins, scrypt N=2^15 (32 MiB), workerd under wrangler dev; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`,
);
console.log('| burst (fresh stack each) | workerd RSS before | peak | wall | answers |');
console.log('| --- | ---: | ---: | ---: | --- |');
await withStack(async (stack) => {
  // The control: as many checks as the gate lets through at once in the crowd, but one at a time.
  const checks = 34;
  await burst(
    stack,
    `${checks} unknown emails, one at a time`,
    Array.from(
      { length: checks },
      (_, i) => () => post(stack, '/api/auth/signin', { email: `nobody${i}.${stamp}@example.test`, password: PASSWORD }, ip('198.21', i)),
    ),
    true,
  );
});
await withStack(async (stack) => {
  const emails = await signUp(stack, Math.max(1, Math.floor(crowd / 10)), stamp);
  await burst(
    stack,
    `${crowd} at once: a tenth right passwords, the rest unknown emails`,
    Array.from({ length: crowd }, (_, i) => {
      const email = i % 10 === 0 && emails[i / 10] ? emails[i / 10] : `nobody${i}.${stamp}@example.test`;
      return () => post(stack, '/api/auth/signin', { email, password: PASSWORD }, ip('198.19', i));
    }),
  );
  await burst(
    stack,
    `${crowd} wrong passwords for one account at once`,
    Array.from({ length: crowd }, (_, i) => () => post(stack, '/api/auth/signin', { email: emails[0], password: `wrong-${i}-xxxxxxx` }, ip('198.20', i))),
  );
});
