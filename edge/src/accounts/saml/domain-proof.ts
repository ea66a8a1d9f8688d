/**
 * Proof that an organization controls an email domain, before that domain routes SSO sign-ins
 * to the organization's IdP (whoever routes a domain can sign in as any of its addresses).
 *
 *   dns       a TXT record `_sealroom-challenge.<domain>` = `sealroom-domain-verification=<token>`,
 *             looked up over DNS-over-HTTPS (Cloudflare's JSON API, `application/dns-json`):
 *             production, where only the domain's owner can publish it
 *   operator  an operator, holding the edge's internal secret, approved this exact challenge
 *             (POST /internal/sso-domains/approve): local stacks and tests, which have no DNS
 *
 * The binding SSO_DOMAIN_PROOF picks one (`dns` when unset).
 */
import { z } from 'zod';

export const CHALLENGE_LABEL = '_sealroom-challenge';
export const TXT_PREFIX = 'sealroom-domain-verification=';
export const DOH_RESOLVER = 'https://cloudflare-dns.com/dns-query';
/** RR type number of TXT (RFC 1035 §3.2.2). */
const TXT = 16;
/** DNS RCODE 3, NXDOMAIN (RFC 1035 §4.1.1). */
const NXDOMAIN = 3;

export interface DomainClaim {
  orgId: string;
  domain: string;
  token: string;
  /** The token an operator approved, if any. */
  operatorApprovedToken: string | null;
}

export type ProofResult = { ok: true } | { ok: false; reason: string };

export interface DomainVerifier {
  readonly method: 'dns' | 'operator';
  /** Whether `claim.domain` is shown, now, to be controlled by whoever holds `claim.token`. */
  check(claim: DomainClaim): Promise<ProofResult>;
}

/** What the admin publishes (dns) or hands the operator (operator). */
export function challengeRecord(claim: Pick<DomainClaim, 'domain' | 'token'>) {
  return { name: `${CHALLENGE_LABEL}.${claim.domain}`, type: 'TXT' as const, value: `${TXT_PREFIX}${claim.token}` };
}

const DohAnswer = z.object({
  Status: z.number().int(),
  Answer: z
    .array(z.object({ type: z.number().int(), data: z.string().max(4096) }))
    .max(100)
    .optional(),
});

/** A TXT record's RDATA in presentation form: one or more quoted strings, joined (RFC 7208 §3.3 does the same). */
function txtValue(data: string): string {
  const parts = [...data.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
  return parts.length ? parts.join('') : data;
}

export class DnsTxtVerifier implements DomainVerifier {
  readonly method = 'dns' as const;
  readonly #fetch: typeof fetch;
  readonly #resolver: string;

  /** @param fetcher injectable for unit tests; the Worker's fetch otherwise. */
  constructor(fetcher: typeof fetch = (input, init) => fetch(input, init), resolver = DOH_RESOLVER) {
    this.#fetch = fetcher;
    this.#resolver = resolver;
  }

  async check(claim: DomainClaim): Promise<ProofResult> {
    const record = challengeRecord(claim);
    const url = new URL(this.#resolver);
    url.searchParams.set('name', record.name);
    url.searchParams.set('type', 'TXT');
    let body: unknown;
    try {
      const res = await this.#fetch(url.toString(), { headers: { accept: 'application/dns-json' } });
      if (!res.ok) return { ok: false, reason: `DNS lookup failed (HTTP ${res.status})` };
      body = await res.json();
    } catch {
      return { ok: false, reason: 'DNS lookup failed' };
    }
    const parsed = DohAnswer.safeParse(body);
    if (!parsed.success) return { ok: false, reason: 'DNS lookup failed (unexpected answer)' };
    if (parsed.data.Status === NXDOMAIN) return { ok: false, reason: `no TXT record at ${record.name}` };
    if (parsed.data.Status !== 0) return { ok: false, reason: `DNS lookup failed (rcode ${parsed.data.Status})` };
    const values = (parsed.data.Answer ?? []).filter((a) => a.type === TXT).map((a) => txtValue(a.data));
    if (values.includes(record.value)) return { ok: true };
    if (values.some((v) => v.startsWith(TXT_PREFIX))) return { ok: false, reason: `the TXT record at ${record.name} does not match the challenge` };
    return { ok: false, reason: `no TXT record at ${record.name}` };
  }
}

export class OperatorApprovalVerifier implements DomainVerifier {
  readonly method = 'operator' as const;

  async check(claim: DomainClaim): Promise<ProofResult> {
    if (claim.operatorApprovedToken === null) return { ok: false, reason: 'waiting for an operator to approve the challenge' };
    if (claim.operatorApprovedToken !== claim.token) return { ok: false, reason: 'the approved challenge does not match' };
    return { ok: true };
  }
}

export const DomainProofMode = z.enum(['dns', 'operator']);
export type DomainProofMode = z.infer<typeof DomainProofMode>;

/** The mode a binding value names; unset means `dns`. A misspelt value is a deployment error, not a silent default. */
export function domainProofMode(binding: string | undefined): DomainProofMode {
  const r = DomainProofMode.safeParse(binding ?? 'dns');
  if (!r.success) throw new Error(`SSO_DOMAIN_PROOF must be "dns" or "operator", not ${JSON.stringify(binding)}`);
  return r.data;
}

export function domainVerifier(binding: string | undefined): DomainVerifier {
  return domainProofMode(binding) === 'operator' ? new OperatorApprovalVerifier() : new DnsTxtVerifier();
}
