import { describe, expect, it } from 'vitest';
import { MAX_SKEW_MS, MemoryNonceLedger, NONCE_HEADER, SIGNATURE_HEADER, TIME_HEADER, signRequest, verifyRequest } from './internal-auth.ts';

const SECRET = 'internal-auth-test-secret-0123456789abcdef';
const headersOf = (h: Record<string, string>) => ({ get: (n: string) => h[n] ?? null });

describe('internal request signatures', () => {
  it('gives every signed request its own nonce', async () => {
    const a = await signRequest(SECRET, 'POST', '/control', '{}', 1_000);
    const b = await signRequest(SECRET, 'POST', '/control', '{}', 1_000);
    expect(a[NONCE_HEADER]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a[NONCE_HEADER]).not.toBe(b[NONCE_HEADER]);
    expect(a[SIGNATURE_HEADER]).not.toBe(b[SIGNATURE_HEADER]);
  });

  it('accepts a request once, however many copies arrive at the same time', async () => {
    const ledger = new MemoryNonceLedger();
    const h = await signRequest(SECRET, 'POST', '/control', '{"a":1}');
    const results = await Promise.all(Array.from({ length: 10 }, () => verifyRequest(SECRET, 'POST', '/control', '{"a":1}', headersOf(h), ledger)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'replayed')).toHaveLength(9);
  });

  it.each([
    ['no nonce', (h: Record<string, string>) => ({ ...h, [NONCE_HEADER]: '' }), 'unsigned'],
    ['a malformed nonce', (h: Record<string, string>) => ({ ...h, [NONCE_HEADER]: 'short' }), 'unsigned'],
    ['another nonce than the signed one', (h: Record<string, string>) => ({ ...h, [NONCE_HEADER]: 'A'.repeat(22) }), 'bad_signature'],
    ['another time than the signed one', (h: Record<string, string>) => ({ ...h, [TIME_HEADER]: String(Number(h[TIME_HEADER]) + 1) }), 'bad_signature'],
  ])('refuses %s, without claiming the nonce', async (_what, mangle, reason) => {
    const ledger = new MemoryNonceLedger();
    const h = await signRequest(SECRET, 'POST', '/control', '{}');
    expect(await verifyRequest(SECRET, 'POST', '/control', '{}', headersOf(mangle(h)), ledger)).toEqual({ ok: false, reason });
    expect(ledger.size).toBe(0);
    expect(await verifyRequest(SECRET, 'POST', '/control', '{}', headersOf(h), ledger)).toEqual({ ok: true });
  });

  it('refuses a request outside the skew before looking at the ledger', async () => {
    const ledger = new MemoryNonceLedger();
    const now = 10_000_000;
    const h = await signRequest(SECRET, 'POST', '/control', '{}', now - MAX_SKEW_MS - 1);
    expect(await verifyRequest(SECRET, 'POST', '/control', '{}', headersOf(h), ledger, now)).toEqual({ ok: false, reason: 'stale' });
    expect(ledger.size).toBe(0);
  });
});
