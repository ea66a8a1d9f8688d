import { describe, expect, it, vi } from 'vitest';
import { appendAudit, audit } from '../../src/audit.ts';
import { verifyChain } from '../../src/audit/chain.ts';
import { auditRows, env, newOrg } from './helpers.ts';

// Every sign-in runs scrypt and several D1 round trips; under a full parallel run that needs more than 5 s.
vi.setConfig({ testTimeout: 30_000 });

// Tests in this file share one D1 (and so one chain): every test that tampers puts the row back.
async function take(seq: number) {
  return (await env.DB.prepare('SELECT * FROM audit WHERE seq = ?').bind(seq).first<Record<string, unknown>>())!;
}
async function putBack(row: Record<string, unknown>) {
  const cols = Object.keys(row);
  await env.DB.prepare(`INSERT OR REPLACE INTO audit (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`)
    .bind(...cols.map((c) => row[c]))
    .run();
}

const entry = (action: string) => ({ meetingId: null, actor: 'tester', role: null, action, target: null, result: 'ok', ip: '192.0.2.1', detail: null });

describe('audit hash chain', () => {
  it('keeps the Room’s audit(db, entry) signature and links every entry to the one before', async () => {
    await audit(env.DB, entry('room.test'));
    await audit(env.DB, entry('room.test'));
    const rows = (await env.DB.prepare('SELECT seq, prev_hash, hash FROM audit ORDER BY seq').all<{ seq: number; prev_hash: string; hash: string }>()).results;
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.seq).toBe(rows[i - 1]!.seq + 1);
      expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    }
    expect((await verifyChain(env.DB)).ok).toBe(true);
  });

  it('stays linear under concurrent appends (one writer wins each seq; the rest retry)', async () => {
    const seqs = await Promise.all(Array.from({ length: 20 }, (_, i) => appendAudit(env.DB, entry(`burst.${i}`))));
    expect(seqs.every((s) => s !== null)).toBe(true);
    expect(new Set(seqs).size).toBe(20);
    const v = await verifyChain(env.DB);
    expect(v).toMatchObject({ ok: true, breaksAt: null });
  });

  it('says where an edited entry breaks the chain', async () => {
    const seq = (await appendAudit(env.DB, entry('to.edit')))!;
    await appendAudit(env.DB, entry('after.edit'));
    await env.DB.prepare("UPDATE audit SET result = 'denied' WHERE seq = ?").bind(seq).run();
    expect(await verifyChain(env.DB)).toMatchObject({ ok: false, breaksAt: { seq, reason: 'hash_mismatch' } });
    await env.DB.prepare("UPDATE audit SET result = 'ok' WHERE seq = ?").bind(seq).run();
    expect((await verifyChain(env.DB)).ok).toBe(true);
  });

  it('detects an entry rewritten together with its own hash (the next link breaks)', async () => {
    const { chainHash, canonicalEntry } = await import('../../src/audit/chain.ts');
    const seq = (await appendAudit(env.DB, entry('to.forge')))!;
    await appendAudit(env.DB, entry('after.forge'));
    const r = (await take(seq)) as any;
    const forged = await chainHash(
      r.prev_hash,
      canonicalEntry({
        seq,
        at: r.at,
        orgId: r.org_id,
        meetingId: r.meeting_id,
        actor: r.actor,
        role: r.actor_role,
        action: r.action,
        target: r.target,
        result: 'forged',
        ip: r.ip,
        detail: r.detail,
      }),
    );
    await env.DB.prepare("UPDATE audit SET result = 'forged', hash = ? WHERE seq = ?").bind(forged, seq).run();
    expect(await verifyChain(env.DB)).toMatchObject({ ok: false, breaksAt: { seq: seq + 1, reason: 'prev_mismatch' } });
    await putBack(r);
    expect((await verifyChain(env.DB)).ok).toBe(true);
  });

  it('detects a deleted entry as a gap, and a truncated tail against a recorded head', async () => {
    const b = (await appendAudit(env.DB, entry('delete.me')))!;
    await appendAudit(env.DB, entry('keep.too'));
    const removed = await take(b);
    await env.DB.prepare('DELETE FROM audit WHERE seq = ?').bind(b).run();
    expect(await verifyChain(env.DB)).toMatchObject({ ok: false, breaksAt: { seq: b, reason: 'gap' } });
    await putBack(removed);
    expect((await verifyChain(env.DB)).ok).toBe(true);

    // Truncating the tail leaves a valid shorter chain; only a recorded head reveals it.
    const head = (await verifyChain(env.DB)).head;
    const t1 = (await appendAudit(env.DB, entry('tail.1')))!;
    const t1Hash = (await env.DB.prepare('SELECT hash FROM audit WHERE seq = ?').bind(t1).first<{ hash: string }>())!.hash;
    await env.DB.prepare('DELETE FROM audit WHERE seq = ?').bind(t1).run();
    expect((await verifyChain(env.DB)).ok).toBe(true);
    expect(await verifyChain(env.DB, { seq: t1, hash: t1Hash })).toMatchObject({ ok: false, breaksAt: { seq: t1, reason: 'gap' } });
    expect(head!.seq).toBe(t1 - 1);
  });
});

describe('audit for admins', () => {
  it('records sign-in and admin actions with who, what, when, where, result; filters; exports JSON and CSV', async () => {
    const { owner, orgId, info } = await newOrg();
    await owner.ok('PATCH', '/api/admin/org', { tier: 500 });
    const rows = await auditRows(orgId);
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['org.create', 'org.update']));
    const upd = rows.find((r) => r.action === 'org.update')!;
    expect(upd).toMatchObject({ actor: info.user.id, actor_role: 'owner', result: 'ok', ip: '198.51.100.7' });

    const json = await owner.ok('GET', '/api/admin/audit?action=org.*&limit=10');
    expect(json.entries.every((e: any) => e.action.startsWith('org.'))).toBe(true);
    expect(json.entries.length).toBe(2);

    const res = await owner.req('GET', '/api/admin/audit?format=csv&action=org.update');
    expect(res.headers.get('content-type')).toContain('text/csv');
    const csv = await res.text();
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('seq,at,meeting_id,actor,actor_role,action,target,result,ip,detail,hash');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('org.update');

    const v = await owner.ok('GET', '/api/admin/audit/verify');
    expect(v.ok).toBe(true);
    expect(v.head.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await owner.fails('GET', '/api/admin/audit?limit=0', undefined, 400)).toBe('bad_message');
  });

  it('does not show one organization the other’s entries', async () => {
    const a = await newOrg('A');
    const b = await newOrg('B');
    await b.owner.ok('PATCH', '/api/admin/org', { name: 'B2' });
    const seen = await a.owner.ok('GET', '/api/admin/audit');
    expect(seen.entries.some((e: any) => e.actor === b.info.user.id)).toBe(false);
  });

  it('neutralizes spreadsheet formulas in CSV cells', async () => {
    const { auditCsv } = await import('../../src/admin/audit-export.ts');
    const csv = auditCsv([
      {
        seq: 1,
        at: 0,
        meeting_id: null,
        actor: '=HYPERLINK("x")',
        actor_role: null,
        action: 'a,b',
        target: null,
        result: 'ok',
        ip: null,
        detail: 'line\nbreak',
        hash: null,
      },
    ]);
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
    expect(csv).toContain('"a,b"');
    expect(csv).toContain('"line\nbreak"');
  });
});
