/**
 * Lockouts under real concurrency: a hundred requests at once through the Worker, counted exactly
 * (lockout.ts: the attempt is reserved before it is checked), and the scrypt gate keeping memory
 * bounded however many sign-ins arrive together.
 */
import * as OTPAuth from 'otpauth';
import { describe, expect, it, vi } from 'vitest';
import { ACCOUNT_FREE, ADDRESS_FREE, BASE_LOCK_MS, lockMs } from '../../src/accounts/lockout.ts';
import { refundAttempt, reserveAttempt } from '../../src/accounts/store.ts';
import { SCRYPT_QUEUE, SCRYPT_SLOTS, runScrypt, scryptHighWater, scryptQueued } from '../../src/scrypt-gate.ts';
import { Agent, GOOD_PASSWORD, env, newOrg, uniqueEmail } from './helpers.ts';

// A hundred requests at once, each with D1 round trips and some with scrypt, in a shared pool.
vi.setConfig({ testTimeout: 120_000 });

const BURST = 100;
/** Checked guesses before the lock holds: the free failures, and the one that arms the first lock. */
const CHECKED = ACCOUNT_FREE + 1;

interface Answer {
  status: number;
  code: string | null;
  retryAfter: string | null;
}

async function answer(res: Response): Promise<Answer> {
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: body.error?.code ?? null, retryAfter: res.headers.get('retry-after') };
}

const tally = (answers: Answer[]) => {
  const t: Record<string, number> = {};
  for (const a of answers) t[`${a.status} ${a.code ?? 'ok'}`] = (t[`${a.status} ${a.code ?? 'ok'}`] ?? 0) + 1;
  return t;
};

const signIn = (ip: string, email: string, password: string) => new Agent(ip).req('POST', '/api/auth/signin', { email, password }).then(answer);

const lockRow = (email: string) =>
  env.DB.prepare('SELECT id, failed_count, locked_until FROM users WHERE email = ?')
    .bind(email)
    .first<{ id: string; failed_count: number; locked_until: number }>();

const addressRow = (key: string) =>
  env.DB.prepare('SELECT failed_count, locked_until FROM signin_failures WHERE ip = ?').bind(key).first<{ failed_count: number; locked_until: number }>();

describe('account lockout under concurrency', () => {
  it(`checks exactly ${CHECKED} of ${BURST} concurrent wrong passwords and counts exactly those`, async () => {
    const { email } = await newOrg();
    const before = Date.now();
    // One address per request, so only the account limit is in play.
    const answers = await Promise.all(Array.from({ length: BURST }, (_, i) => signIn(`10.7.${i >> 8}.${i & 255}`, email, `wrong-guess-${i}-xx`)));
    expect(tally(answers)).toEqual({ '401 bad_credentials': CHECKED, '429 account_locked': BURST - CHECKED });
    for (const a of answers.filter((x) => x.status === 429)) expect(Number(a.retryAfter)).toBeGreaterThan(0);
    const row = (await lockRow(email))!;
    expect(row.failed_count).toBe(CHECKED);
    // The first lock of the schedule, armed by the last free reservation, not a longer one.
    expect(row.locked_until - before).toBeGreaterThanOrEqual(BASE_LOCK_MS);
    expect(row.locked_until - Date.now()).toBeLessThanOrEqual(BASE_LOCK_MS);
    // The right password is refused while the lock holds.
    expect(await signIn('10.8.0.1', email, GOOD_PASSWORD)).toMatchObject({ status: 429, code: 'account_locked' });
  });

  it('applies the documented schedule in SQL, one reservation at a time past each lock', async () => {
    const { email } = await newOrg();
    const id = (await lockRow(email))!.id;
    let now = 1_000_000;
    for (let n = 1; n <= 25; n++) {
      const r = await reserveAttempt(env.DB, 'id', id, now);
      expect(r.reserved).toBe(true);
      expect(r.user!.failedCount).toBe(n);
      const ms = lockMs(n);
      expect(r.user!.lockedUntil === 0 ? 0 : r.user!.lockedUntil - now).toBe(ms);
      if (ms > 0) expect((await reserveAttempt(env.DB, 'id', id, now + ms - 1)).reserved).toBe(false);
      now += ms;
    }
    expect(lockMs(25)).toBe(24 * 3_600_000);
  });

  it('a refund undoes exactly its own reservation, including the lock it armed', async () => {
    const { email } = await newOrg();
    const id = (await lockRow(email))!.id;
    const now = 2_000_000;
    for (let n = 1; n <= ACCOUNT_FREE; n++) await reserveAttempt(env.DB, 'id', id, now);
    const arming = (await reserveAttempt(env.DB, 'id', id, now)).user!;
    expect(arming.lockedUntil).toBe(now + BASE_LOCK_MS);
    await refundAttempt(env.DB, id, arming);
    expect(await lockRow(email)).toMatchObject({ failed_count: ACCOUNT_FREE, locked_until: 0 });
  });

  it('counts every guess exactly across two bursts (no lost updates), then only the lock answers', async () => {
    const { email } = await newOrg();
    const first = await Promise.all(Array.from({ length: 3 }, (_, i) => signIn(`10.9.0.${i}`, email, `wrong-a-${i}-xxxx`)));
    expect(tally(first)).toEqual({ '401 bad_credentials': 3 });
    expect((await lockRow(email))!.failed_count).toBe(3);
    const second = await Promise.all(Array.from({ length: 30 }, (_, i) => signIn(`10.9.1.${i}`, email, `wrong-b-${i}-xxxx`)));
    expect(tally(second)).toEqual({ '401 bad_credentials': CHECKED - 3, '429 account_locked': 30 - (CHECKED - 3) });
    expect((await lockRow(email))!.failed_count).toBe(CHECKED);
  });
});

/** The independent TOTP implementation, as in mfa.test.ts. */
const reference = (secret: string) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });

async function mfaUser() {
  const { owner, email } = await newOrg();
  const { secret } = await owner.ok('POST', '/api/account/mfa/enroll');
  const totp = reference(secret);
  // The previous step, so the current one stays unused for the sign-in under test.
  await owner.ok('POST', '/api/account/mfa/confirm', { code: totp.generate({ timestamp: Date.now() - 30_000 }) });
  return { email, totp };
}

/** Six-digit codes that no step in the acceptance window (±1, and a step of margin) matches. */
function wrongCodes(totp: OTPAuth.TOTP, n: number): string[] {
  const valid = new Set([-2, -1, 0, 1, 2].map((d) => totp.generate({ timestamp: Date.now() + d * 30_000 })));
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const c = String((i * 7919 + 123_457) % 1_000_000).padStart(6, '0');
    if (!valid.has(c)) out.push(c);
  }
  return out;
}

async function pendingSession(email: string, ip: string) {
  const a = new Agent(ip);
  expect(await a.ok('POST', '/api/auth/signin', { email, password: GOOD_PASSWORD })).toMatchObject({ mfaRequired: true });
  return a;
}

const verify = (a: Agent, code: string) => a.req('POST', '/api/auth/mfa/verify', { code }).then(answer);

describe('TOTP lockout under concurrency', () => {
  it('accepts the right code sent alone before any failure (control)', async () => {
    const { email, totp } = await mfaUser();
    const a = await pendingSession(email, '10.20.0.1');
    expect(await verify(a, totp.generate())).toMatchObject({ status: 200 });
  });

  it(`compares only ${CHECKED} of ${BURST} concurrent guesses; the right code is then refused, though still valid`, async () => {
    const { email, totp } = await mfaUser();
    const a = await pendingSession(email, '10.21.0.1');
    const guesses = await Promise.all(wrongCodes(totp, BURST).map((code) => verify(a, code)));
    expect(tally(guesses)).toEqual({ '401 mfa_invalid': CHECKED, '429 account_locked': BURST - CHECKED });
    expect((await lockRow(email))!.failed_count).toBe(CHECKED);

    const right = totp.generate();
    const burst = [...wrongCodes(totp, BURST - 1), right];
    const again = await Promise.all(burst.map((code) => verify(a, code)));
    expect(tally(again)).toEqual({ '429 account_locked': BURST });
    expect((await lockRow(email))!.failed_count).toBe(CHECKED);

    // The refused code was right and never consumed: with the lock lifted it is accepted.
    await env.DB.prepare('UPDATE users SET failed_count = 0, locked_until = 0 WHERE email = ?').bind(email).run();
    expect(await verify(a, right)).toMatchObject({ status: 200 });
  });

  it('signing in again with the known password neither wipes the count of wrong codes nor buys a guess', async () => {
    const { email, totp } = await mfaUser();
    const a = await pendingSession(email, '10.22.0.1');
    const [w1, w2] = wrongCodes(totp, 2) as [string, string];
    expect(await verify(a, w1)).toMatchObject({ status: 401, code: 'mfa_invalid' });
    expect(await verify(a, w2)).toMatchObject({ status: 401, code: 'mfa_invalid' });
    const b = await pendingSession(email, '10.22.0.2');
    expect((await lockRow(email))!.failed_count).toBe(2);

    // Spend the budget, then let the lock expire: the password still works (its reservation armed the
    // next lock and its refund lifts it), and exactly one code is compared before the next lock.
    await Promise.all(wrongCodes(totp, 10).map((code) => verify(b, code)));
    expect((await lockRow(email))!.failed_count).toBe(CHECKED);
    await env.DB.prepare('UPDATE users SET locked_until = 0 WHERE email = ?').bind(email).run();
    const c = await pendingSession(email, '10.22.0.3');
    expect(await lockRow(email)).toMatchObject({ failed_count: CHECKED, locked_until: 0 });
    const next = await Promise.all(wrongCodes(totp, 10).map((code) => verify(c, code)));
    expect(tally(next)).toEqual({ '401 mfa_invalid': 1, '429 account_locked': 9 });
    expect(await verify(c, totp.generate())).toMatchObject({ status: 429, code: 'account_locked' });
    const row = (await lockRow(email))!;
    expect(row.failed_count).toBe(CHECKED + 1);
    expect(row.locked_until - Date.now()).toBeGreaterThan(BASE_LOCK_MS);
  });
});

describe('per-address lockout', () => {
  it('counts two IPv6 addresses of one /64 as one address, exactly, under concurrency', async () => {
    const a = '2001:db8:77:1::a';
    const b = '2001:DB8:77:1:ffff:1:2:3';
    // Unknown emails: no account lock interferes, only the address.
    const answers = await Promise.all(Array.from({ length: BURST }, (_, i) => signIn(i % 2 ? a : b, uniqueEmail('nobody'), 'wrong-password-xx')));
    expect(tally(answers)).toEqual({ '401 bad_credentials': ADDRESS_FREE + 1, '429 account_locked': BURST - ADDRESS_FREE - 1 });
    expect(await addressRow('2001:db8:77:1::/64')).toMatchObject({ failed_count: ADDRESS_FREE + 1 });
    expect(await addressRow(a)).toBeNull();
    // The /64 next door is another address.
    expect(await signIn('2001:db8:77:2::a', uniqueEmail('nobody'), 'wrong-password-xx')).toMatchObject({ status: 401, code: 'bad_credentials' });
  });

  it('a right password clears the address; a locked address refuses even that', async () => {
    const { email } = await newOrg();
    const ip = '203.0.113.201';
    await Promise.all(Array.from({ length: 3 }, () => signIn(ip, uniqueEmail('nobody'), 'wrong-password-xx')));
    expect(await addressRow(ip)).toMatchObject({ failed_count: 3 });
    expect(await signIn(ip, email, GOOD_PASSWORD)).toMatchObject({ status: 200 });
    expect(await addressRow(ip)).toBeNull();
    await Promise.all(Array.from({ length: ADDRESS_FREE + 1 }, () => signIn(ip, uniqueEmail('nobody'), 'wrong-password-xx')));
    expect(await signIn(ip, email, GOOD_PASSWORD)).toMatchObject({ status: 429, code: 'account_locked' });
  });
});

describe('scrypt gate on sign-in', () => {
  it('answers a sign-in with 503 busy and retry-after when the gate is full, and refunds the attempt', async () => {
    const { email } = await newOrg();
    const ip = '203.0.113.202';
    // Hold every slot and every queue place, as a crowd of sign-ins would.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const holders = Array.from({ length: SCRYPT_SLOTS + SCRYPT_QUEUE }, () => runScrypt(() => held));
    try {
      expect(scryptQueued()).toBe(SCRYPT_QUEUE);
      const busy = await signIn(ip, email, 'wrong-password-xx');
      expect(busy).toMatchObject({ status: 503, code: 'busy' });
      expect(Number(busy.retryAfter)).toBeGreaterThanOrEqual(1);
      // Nothing was checked, so nothing is counted.
      expect(await lockRow(email)).toMatchObject({ failed_count: 0, locked_until: 0 });
      expect(await addressRow(ip)).toMatchObject({ failed_count: 0, locked_until: 0 });
      // Routes that hash (here sign-up) get the same answer from the app's error handler.
      const signup = await new Agent(ip)
        .req('POST', '/api/auth/signup', { orgName: 'Busy', name: 'B', email: uniqueEmail('busy'), password: GOOD_PASSWORD })
        .then(answer);
      expect(signup).toMatchObject({ status: 503, code: 'busy' });
      expect(Number(signup.retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      release();
      await Promise.all(holders);
    }
    expect(scryptQueued()).toBe(0);
    expect(await signIn(ip, email, GOOD_PASSWORD)).toMatchObject({ status: 200 });
  });

  it(`answers ${BURST} concurrent sign-ins, never running more than ${SCRYPT_SLOTS} scrypt jobs at once`, async () => {
    const { email } = await newOrg();
    const requests = Array.from({ length: BURST }, (_, i) =>
      // A tenth with the right password, the rest unknown emails (each costs a full dummy check); one address each.
      i % 10 === 0 ? signIn(`10.30.0.${i}`, email, GOOD_PASSWORD) : signIn(`10.31.0.${i}`, uniqueEmail('crowd'), 'wrong-password-xx'),
    );
    const answers = await Promise.all(requests);
    // Ten right passwords for one account at once are ten reservations in flight: past the free
    // ones the account is locked until one of them succeeds, so 429 is a correct answer too.
    for (const a of answers) {
      expect(['200 ok', '401 bad_credentials', '429 account_locked', '503 busy']).toContain(`${a.status} ${a.code ?? 'ok'}`);
      if (a.status >= 429) expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    const t = tally(answers);
    expect((t['200 ok'] ?? 0) + (t['401 bad_credentials'] ?? 0)).toBeGreaterThan(0);
    expect(scryptHighWater()).toBeGreaterThan(0);
    expect(scryptHighWater()).toBeLessThanOrEqual(SCRYPT_SLOTS);
    expect(scryptQueued()).toBe(0);
  });
});
