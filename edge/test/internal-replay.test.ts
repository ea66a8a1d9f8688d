/** Signed internal requests (origin heartbeats, KMS rotation) are accepted once, even under concurrent replays. */
import { MAX_SKEW_MS, NONCE_HEADER, SIGNATURE_HEADER, TIME_HEADER, signRequest } from '@sealroom/protocol';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { sweepAccounts } from '../src/accounts/cleanup.ts';
import { call } from './helpers.ts';

const PATH = '/internal/origins/heartbeat';

const heartbeatBody = (originId: string, consumers = 0) =>
  JSON.stringify({
    originId,
    region: 'local',
    url: `ws://127.0.0.1:4443/ws?o=${originId}`,
    controlUrl: 'http://127.0.0.1:1',
    draining: false,
    load: { workers: 1, routers: 0, transports: 0, producers: 0, consumers, cpu: 0, bitrateIn: 0, bitrateOut: 0 },
  });

const post = (path: string, body: string, headers: Record<string, string>) => call(path, { method: 'POST', body, headers });

const consumersOf = async (id: string) =>
  (await env.DB.prepare('SELECT load_json FROM origins WHERE id = ?').bind(id).first<{ load_json: string }>())?.load_json;

describe('internal request replay', () => {
  it('accepts exactly one of many concurrent replays of one signed heartbeat', async () => {
    const body = heartbeatBody('origin-replayed');
    const headers = await signRequest(env.SEALROOM_SHARED_SECRET, 'POST', PATH, body);
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(PATH, body, headers)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
    const refused = answers.find((r) => r.status === 401)!;
    expect(await refused.json()).toMatchObject({ error: { code: 'forbidden', message: 'this signed request was already used' } });
  });

  it('refuses a later replay, so a captured old heartbeat cannot overwrite a newer one', async () => {
    const oldBody = heartbeatBody('origin-rewind', 900);
    const old = await signRequest(env.SEALROOM_SHARED_SECRET, 'POST', PATH, oldBody);
    expect((await post(PATH, oldBody, old)).status).toBe(200);
    const newBody = heartbeatBody('origin-rewind', 1);
    expect((await post(PATH, newBody, await signRequest(env.SEALROOM_SHARED_SECRET, 'POST', PATH, newBody))).status).toBe(200);
    const before = await consumersOf('origin-rewind');
    expect((await post(PATH, oldBody, old)).status).toBe(401);
    expect(await consumersOf('origin-rewind')).toBe(before);
  });

  it('refuses a request without a nonce, or whose nonce was swapped for a fresh one', async () => {
    const body = heartbeatBody('origin-no-nonce');
    const signed = await signRequest(env.SEALROOM_SHARED_SECRET, 'POST', PATH, body);
    const { [NONCE_HEADER]: _nonce, ...withoutNonce } = signed;
    expect((await post(PATH, body, withoutNonce)).status).toBe(401);
    // The nonce is under the MAC: a replay cannot dodge the ledger by changing it.
    const other = await signRequest(env.SEALROOM_SHARED_SECRET, 'POST', PATH, body);
    const swapped = { [TIME_HEADER]: signed[TIME_HEADER]!, [SIGNATURE_HEADER]: signed[SIGNATURE_HEADER]!, [NONCE_HEADER]: other[NONCE_HEADER]! };
    expect((await post(PATH, body, swapped)).status).toBe(401);
    expect(await env.DB.prepare("SELECT id FROM origins WHERE id = 'origin-no-nonce'").first()).toBeNull();
    // Neither refusal burned a nonce: the genuine request still goes through once.
    expect((await post(PATH, body, signed)).status).toBe(200);
  });

  it('accepts a KMS rotation once', async () => {
    const headers = await signRequest(env.SEALROOM_SHARED_SECRET, 'POST', '/internal/kms/rotate', '');
    const answers = await Promise.all([post('/internal/kms/rotate', '', headers), post('/internal/kms/rotate', '', headers)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
    const refused = answers.find((r) => r.status === 401)!;
    expect(await refused.json()).toMatchObject({ error: { code: 'replayed' } });
  });

  it('the hourly sweep forgets nonces only once their timestamp is outside the window', async () => {
    const now = Date.now();
    const live = `live${now.toString(36)}`.padEnd(22, 'x');
    const dead = `dead${now.toString(36)}`.padEnd(22, 'x');
    await env.DB.batch([
      env.DB.prepare('INSERT INTO internal_nonces (nonce, expires_at) VALUES (?, ?)').bind(live, now + MAX_SKEW_MS),
      env.DB.prepare('INSERT INTO internal_nonces (nonce, expires_at) VALUES (?, ?)').bind(dead, now - 1),
    ]);
    const swept = await sweepAccounts(env.DB, now);
    expect(swept.internal_nonces).toBeGreaterThanOrEqual(1);
    const left = await env.DB.prepare('SELECT nonce FROM internal_nonces WHERE nonce IN (?, ?)').bind(live, dead).all<{ nonce: string }>();
    expect(left.results.map((r) => r.nonce)).toEqual([live]);
  });
});
