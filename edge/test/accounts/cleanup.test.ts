/** The hourly accounts sweep: expired rows go, live ones stay, and one run's work is bounded. */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';
import { FAILURES_FORGOTTEN_AFTER_MS, sweepAccounts } from '../../src/accounts/cleanup.ts';
import { env, newOrg } from './helpers.ts';

const HOUR = 3_600_000;
let n = 0;
const tag = (t: string) => `cleanup-${t}-${Date.now().toString(36)}-${n++}`;

async function count(sql: string, ...args: unknown[]): Promise<number> {
  return (await env.DB.prepare(sql)
    .bind(...args)
    .first<number>('n'))!;
}

/** One expired and one live row in every table the sweep covers; returns their keys. */
async function seed(userId: string, now: number) {
  const k = {
    deadSession: tag('s'),
    liveSession: tag('s'),
    deadToken: tag('t'),
    liveToken: tag('t'),
    deadNonce: tag('n'),
    liveNonce: tag('n'),
    deadReq: tag('r'),
    liveReq: tag('r'),
    deadAssertion: tag('a'),
    liveAssertion: tag('a'),
    quietIp: tag('ip'),
    lockedIp: tag('ip'),
    recentIp: tag('ip'),
  };
  const session = 'INSERT INTO sessions (id_hash, user_id, csrf, mfa, pending_mfa, created_at, expires_at, ip) VALUES (?, ?, ?, 0, 0, ?, ?, NULL)';
  const token = 'INSERT INTO tokens (id_hash, user_id, scopes_json, created_at, expires_at) VALUES (?, ?, ?, ?, ?)';
  const failure = 'INSERT INTO signin_failures (ip, failed_count, locked_until, updated_at) VALUES (?, ?, ?, ?)';
  await env.DB.batch([
    env.DB.prepare(session).bind(k.deadSession, userId, 'c', now - 10 * HOUR, now - HOUR),
    env.DB.prepare(session).bind(k.liveSession, userId, 'c', now - HOUR, now + HOUR),
    env.DB.prepare(token).bind(k.deadToken, userId, '{"scopes":["self:read"],"mfa":false}', now - 2 * HOUR, now - 1),
    env.DB.prepare(token).bind(k.liveToken, userId, '{"scopes":["self:read"],"mfa":false}', now, now + HOUR),
    env.DB.prepare('INSERT INTO api_nonces (key_id, nonce, expires_at) VALUES (?, ?, ?)').bind('srk_x', k.deadNonce, now - 1),
    env.DB.prepare('INSERT INTO api_nonces (key_id, nonce, expires_at) VALUES (?, ?, ?)').bind('srk_x', k.liveNonce, now + 60_000),
    env.DB.prepare('INSERT INTO saml_requests (id, org_id, expires_at) VALUES (?, ?, ?)').bind(k.deadReq, 'org', now - 1),
    env.DB.prepare('INSERT INTO saml_requests (id, org_id, expires_at) VALUES (?, ?, ?)').bind(k.liveReq, 'org', now + 60_000),
    env.DB.prepare('INSERT INTO saml_assertions (id, expires_at) VALUES (?, ?)').bind(k.deadAssertion, now - 1),
    env.DB.prepare('INSERT INTO saml_assertions (id, expires_at) VALUES (?, ?)').bind(k.liveAssertion, now + 60_000),
    // Quiet for longer than the window: forgotten. Still locked, or failed recently: kept.
    env.DB.prepare(failure).bind(k.quietIp, 9, now - FAILURES_FORGOTTEN_AFTER_MS, now - FAILURES_FORGOTTEN_AFTER_MS - 1),
    env.DB.prepare(failure).bind(k.lockedIp, 30, now + HOUR, now - FAILURES_FORGOTTEN_AFTER_MS - 1),
    env.DB.prepare(failure).bind(k.recentIp, 3, 0, now - HOUR),
  ]);
  return k;
}

async function present(k: Awaited<ReturnType<typeof seed>>) {
  const one = async (table: string, col: string, id: string) => (await count(`SELECT COUNT(*) AS n FROM ${table} WHERE ${col} = ?`, id)) === 1;
  return {
    deadSession: await one('sessions', 'id_hash', k.deadSession),
    liveSession: await one('sessions', 'id_hash', k.liveSession),
    deadToken: await one('tokens', 'id_hash', k.deadToken),
    liveToken: await one('tokens', 'id_hash', k.liveToken),
    deadNonce: await one('api_nonces', 'nonce', k.deadNonce),
    liveNonce: await one('api_nonces', 'nonce', k.liveNonce),
    deadReq: await one('saml_requests', 'id', k.deadReq),
    liveReq: await one('saml_requests', 'id', k.liveReq),
    deadAssertion: await one('saml_assertions', 'id', k.deadAssertion),
    liveAssertion: await one('saml_assertions', 'id', k.liveAssertion),
    quietIp: await one('signin_failures', 'ip', k.quietIp),
    lockedIp: await one('signin_failures', 'ip', k.lockedIp),
    recentIp: await one('signin_failures', 'ip', k.recentIp),
  };
}

describe('accounts sweep', () => {
  it("the Worker's scheduled() handler deletes expired rows and keeps live ones", async () => {
    const { info } = await newOrg('Sweep');
    const k = await seed(info.user.id, Date.now());
    expect(Object.values(await present(k)).every(Boolean)).toBe(true);
    const ctx = createExecutionContext();
    // Through the Worker's own scheduled() handler, as the cron trigger calls it.
    await worker.scheduled!(createScheduledController({ cron: '17 * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await present(k)).toEqual({
      deadSession: false,
      liveSession: true,
      deadToken: false,
      liveToken: true,
      deadNonce: false,
      liveNonce: true,
      deadReq: false,
      liveReq: true,
      deadAssertion: false,
      liveAssertion: true,
      quietIp: false,
      lockedIp: true,
      recentIp: true,
    });
  });

  it('a live session survives the sweep and still signs the user in', async () => {
    const { owner, info } = await newOrg('Sweep live');
    const before = await count('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', info.user.id);
    await sweepAccounts(env.DB);
    expect(await count('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', info.user.id)).toBe(before);
    await owner.ok('GET', '/api/auth/session');
  });

  it('works in bounded batches: one run deletes at most batch × maxBatches rows per table', async () => {
    const { info } = await newOrg('Sweep batches');
    const now = Date.now();
    const ids = Array.from({ length: 10 }, () => tag('b'));
    await env.DB.batch(
      ids.map((id) =>
        env.DB.prepare('INSERT INTO sessions (id_hash, user_id, csrf, mfa, pending_mfa, created_at, expires_at, ip) VALUES (?, ?, ?, 0, 0, ?, ?, NULL)').bind(
          id,
          info.user.id,
          'c',
          now - 2 * HOUR,
          now - HOUR,
        ),
      ),
    );
    const mine = () => count(`SELECT COUNT(*) AS n FROM sessions WHERE id_hash IN (${ids.map(() => '?').join(',')})`, ...ids);
    const first = await sweepAccounts(env.DB, now, { batch: 3, maxBatches: 2 });
    expect(first.sessions).toBe(6);
    expect(await mine()).toBeGreaterThanOrEqual(4);
    // Later runs finish the job; a run that finds less than a batch stops early.
    let runs = 1;
    for (let r = first; r.sessions === 6; runs++) r = await sweepAccounts(env.DB, now, { batch: 3, maxBatches: 2 });
    expect(await mine()).toBe(0);
    expect(runs).toBeGreaterThan(1);
  });
});
