/**
 * The edge's ledger of internal-request nonces (protocol internal-auth). Isolates share nothing
 * in memory, so the ledger is a D1 table: the primary key makes the insert the atomic
 * check-and-set, and of concurrent replays across isolates exactly one inserts a row.
 * Rows past their expiry are swept hourly (accounts/cleanup.ts).
 */
import type { NonceLedger } from '@sealroom/protocol';

export function d1NonceLedger(db: D1Database): NonceLedger {
  return {
    async claim(nonce, expiresAt) {
      const res = await db.prepare('INSERT INTO internal_nonces (nonce, expires_at) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING').bind(nonce, expiresAt).run();
      return res.meta.changes === 1;
    },
  };
}
