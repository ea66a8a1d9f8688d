import { signRequest } from '@sealroom/protocol';
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { pickOrigin } from '../src/origins/registry.ts';
import { call, heartbeat } from './helpers.ts';

// D1 is shared by the tests of a file: start each from no registered origin.
beforeEach(async () => {
  await env.DB.exec('DELETE FROM origins');
});

describe('origin registry', () => {
  it('records a signed heartbeat and picks the least-loaded live origin', async () => {
    expect((await heartbeat('origin-busy', { consumers: 500 })).status).toBe(200);
    expect((await heartbeat('origin-idle', { consumers: 3 })).status).toBe(200);
    expect((await pickOrigin(env.DB, null))?.id).toBe('origin-idle');
  });

  it("places a meeting in the caller's region, then the nearest region with room, then by load", async () => {
    await heartbeat('weur-1', { region: 'weur', consumers: 40 });
    await heartbeat('weur-2', { region: 'weur', consumers: 10 });
    await heartbeat('apac-1', { region: 'apac', consumers: 300 });
    await heartbeat('enam-1', { region: 'enam', consumers: 0 });
    // Own region first even when busier than elsewhere; within it, the least loaded.
    expect((await pickOrigin(env.DB, 'apac'))?.id).toBe('apac-1');
    expect((await pickOrigin(env.DB, 'weur'))?.id).toBe('weur-2');
    // Oceania has none: Asia-Pacific is nearest. Eastern Europe: western Europe.
    expect((await pickOrigin(env.DB, 'oc'))?.id).toBe('apac-1');
    expect((await pickOrigin(env.DB, 'eeur'))?.id).toBe('weur-2');
    // No region known: load alone.
    expect((await pickOrigin(env.DB, null))?.id).toBe('enam-1');
    expect((await pickOrigin(env.DB, 'moon'))?.id).toBe('enam-1');
  });

  it('passes over a region whose origins are full, and uses a full one only when all are', async () => {
    await heartbeat('apac-hot', { region: 'apac', cpu: 0.95 });
    await heartbeat('oc-1', { region: 'oc', consumers: 100 });
    expect((await pickOrigin(env.DB, 'apac'))?.id).toBe('oc-1');
    await heartbeat('oc-1', { region: 'oc', consumers: 100, cpu: 0.9 });
    expect((await pickOrigin(env.DB, 'apac'))?.id).toBe('apac-hot');
  });

  it('never picks a draining origin', async () => {
    await heartbeat('origin-only', { draining: true });
    expect(await pickOrigin(env.DB, null)).toBeNull();
  });

  it('ignores origins whose heartbeat is stale', async () => {
    await heartbeat('origin-old');
    expect(await pickOrigin(env.DB, null, Date.now() + 60_000)).toBeNull();
  });

  it('refuses unsigned, wrongly signed and replayed-late heartbeats, storing nothing', async () => {
    const body = JSON.stringify({
      originId: 'evil',
      region: 'local',
      url: 'ws://x.test/ws',
      controlUrl: 'http://x.test',
      draining: false,
      load: { workers: 1, routers: 0, transports: 0, producers: 0, consumers: 0, cpu: 0, bitrateIn: 0, bitrateOut: 0 },
    });
    const wrongKey = await signRequest('another-secret-another-secret-another-secret', 'POST', '/internal/origins/heartbeat', body);
    const stale = await signRequest(env.SEALROOM_SHARED_SECRET, 'POST', '/internal/origins/heartbeat', body, Date.now() - 120_000);
    for (const headers of [{}, wrongKey, stale]) {
      const res = await call('/internal/origins/heartbeat', { method: 'POST', body, headers });
      expect(res.status).toBe(401);
    }
    const row = await env.DB.prepare("SELECT id FROM origins WHERE id = 'evil'").first();
    expect(row).toBeNull();
  });

  it('refuses a signed but malformed heartbeat with 400', async () => {
    const body = JSON.stringify({ originId: 'UPPER CASE', region: 'local' });
    const headers = await signRequest(env.SEALROOM_SHARED_SECRET, 'POST', '/internal/origins/heartbeat', body);
    const res = await call('/internal/origins/heartbeat', { method: 'POST', body, headers });
    expect(res.status).toBe(400);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe('bad_message');
  });
});
