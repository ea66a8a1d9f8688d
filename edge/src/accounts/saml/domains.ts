/**
 * SSO domain claims in D1 (table sso_domains, migration 0013). Many organizations may claim a
 * domain; the unique partial index lets only one hold it verified, so two proofs racing for the
 * same domain cannot both win.
 */
import { randomToken } from '../../random.ts';
import { type DomainClaim, type DomainVerifier, type ProofResult, challengeRecord } from './domain-proof.ts';

interface ClaimRow {
  org_id: string;
  domain: string;
  token: string;
  operator_approved_token: string | null;
  verified_at: number | null;
  verified_by: string | null;
}

export interface StoredClaim extends DomainClaim {
  verifiedAt: number | null;
}

const toClaim = (r: ClaimRow): StoredClaim => ({
  orgId: r.org_id,
  domain: r.domain,
  token: r.token,
  operatorApprovedToken: r.operator_approved_token,
  verifiedAt: r.verified_at,
});

export async function getClaim(db: D1Database, orgId: string, domain: string): Promise<StoredClaim | null> {
  const r = await db.prepare('SELECT * FROM sso_domains WHERE org_id = ? AND domain = ?').bind(orgId, domain).first<ClaimRow>();
  return r ? toClaim(r) : null;
}

/** The organization that has proven `domain`, if any. */
export async function verifiedOwner(db: D1Database, domain: string): Promise<string | null> {
  return db.prepare('SELECT org_id FROM sso_domains WHERE domain = ? AND verified_at IS NOT NULL').bind(domain).first<string>('org_id');
}

/**
 * Claims `domain` for `orgId` (keeping an existing claim and its challenge) and drops the
 * organization's claims on any other domain, so a domain it stops using is released.
 */
export async function claimDomain(db: D1Database, orgId: string, domain: string, now = Date.now()): Promise<StoredClaim> {
  await db.batch([
    db.prepare('DELETE FROM sso_domains WHERE org_id = ? AND domain != ?').bind(orgId, domain),
    // 32 base64url characters: 192 bits, unguessable by another organization.
    db
      .prepare('INSERT INTO sso_domains (org_id, domain, token, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .bind(orgId, domain, randomToken(32), now),
  ]);
  return (await getClaim(db, orgId, domain))!;
}

/** Records that an operator approved `token` for this claim; false when no claim has that token. */
export async function recordOperatorApproval(db: D1Database, orgId: string, domain: string, token: string): Promise<boolean> {
  const r = await db
    .prepare('UPDATE sso_domains SET operator_approved_token = token WHERE org_id = ? AND domain = ? AND token = ?')
    .bind(orgId, domain, token)
    .run();
  return r.meta.changes === 1;
}

export type ProveOutcome = { state: 'verified' } | { state: 'pending'; reason: string } | { state: 'taken' };

/** Runs the verifier and, when it succeeds, marks the claim verified unless another organization already holds the domain. */
export async function proveClaim(db: D1Database, claim: StoredClaim, verifier: DomainVerifier, now = Date.now()): Promise<ProveOutcome> {
  if (claim.verifiedAt !== null) return { state: 'verified' };
  const owner = await verifiedOwner(db, claim.domain);
  if (owner && owner !== claim.orgId) return { state: 'taken' };
  const proof: ProofResult = await verifier.check(claim);
  if (!proof.ok) return { state: 'pending', reason: proof.reason };
  try {
    await db
      .prepare('UPDATE sso_domains SET verified_at = ?, verified_by = ? WHERE org_id = ? AND domain = ? AND token = ? AND verified_at IS NULL')
      .bind(now, verifier.method, claim.orgId, claim.domain, claim.token)
      .run();
  } catch (err) {
    // The unique partial index: another organization proved the domain between our read and this write.
    if (/UNIQUE constraint failed/i.test(String(err))) return { state: 'taken' };
    throw err;
  }
  const after = await getClaim(db, claim.orgId, claim.domain);
  return after?.verifiedAt != null ? { state: 'verified' } : { state: 'pending', reason: 'the claim changed while it was being verified' };
}

/** The domain section of the admin's SAML settings. */
export function claimView(claim: StoredClaim, method: DomainVerifier['method']) {
  return {
    domain: claim.domain,
    status: claim.verifiedAt === null ? ('pending' as const) : ('verified' as const),
    verifiedAt: claim.verifiedAt,
    method,
    challenge: challengeRecord(claim),
  };
}
