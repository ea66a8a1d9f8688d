/** Reading the audit trail for an organization: filters, JSON and CSV. */
import type { AuditQuery } from '@sealroom/protocol';

export interface AuditRow {
  seq: number;
  at: number;
  meeting_id: string | null;
  actor: string | null;
  actor_role: string | null;
  action: string;
  target: string | null;
  result: string;
  ip: string | null;
  detail: string | null;
  hash: string | null;
}

export async function queryAudit(db: D1Database, orgId: string, q: AuditQuery): Promise<AuditRow[]> {
  const where = ['org_id = ?'];
  const binds: unknown[] = [orgId];
  if (q.action) {
    // A trailing '*' filters by prefix ("auth.*"); LIKE wildcards inside the value are escaped.
    const like = q.action.endsWith('*') ? `${q.action.slice(0, -1).replace(/[\\%_]/g, (m) => `\\${m}`)}%` : null;
    where.push(like ? "action LIKE ? ESCAPE '\\'" : 'action = ?');
    binds.push(like ?? q.action);
  }
  if (q.actor) {
    where.push('actor = ?');
    binds.push(q.actor);
  }
  if (q.result) {
    where.push('result = ?');
    binds.push(q.result);
  }
  if (q.from !== undefined) {
    where.push('at >= ?');
    binds.push(q.from);
  }
  if (q.to !== undefined) {
    where.push('at < ?');
    binds.push(q.to);
  }
  const sql = `SELECT seq, at, meeting_id, actor, actor_role, action, target, result, ip, detail, hash FROM audit WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`;
  return (
    await db
      .prepare(sql)
      .bind(...binds, q.limit)
      .all<AuditRow>()
  ).results;
}

const COLUMNS = ['seq', 'at', 'meeting_id', 'actor', 'actor_role', 'action', 'target', 'result', 'ip', 'detail', 'hash'] as const;

/** RFC 4180 quoting; cells that a spreadsheet would run as a formula are prefixed with ' (CSV injection). */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function auditCsv(rows: AuditRow[]): string {
  const lines = [COLUMNS.join(',')];
  for (const r of rows) lines.push(COLUMNS.map((k) => cell(k === 'at' ? new Date(r.at).toISOString() : r[k])).join(','));
  return lines.join('\r\n') + '\r\n';
}
