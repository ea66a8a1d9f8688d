/** The audit trail in D1: every host action and refusal, with who, what, when, from where, result. */
export interface AuditEntry {
  meetingId: string | null;
  actor: string | null;
  role: string | null;
  action: string;
  target: string | null;
  result: string;
  ip: string | null;
  detail: string | null;
}

export async function audit(db: D1Database, e: AuditEntry, now = Date.now()): Promise<void> {
  try {
    await db
      .prepare('INSERT INTO audit (at, meeting_id, actor, actor_role, action, target, result, ip, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .bind(now, e.meetingId, e.actor, e.role, e.action, e.target, e.result, e.ip, e.detail)
      .run();
  } catch (err) {
    // An audit write that fails must be seen: it is logged with the entry itself.
    console.error(JSON.stringify({ event: 'audit_write_failed', entry: e, error: String(err) }));
  }
}
