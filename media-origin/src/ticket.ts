/**
 * Verifies the edge-signed ticket (JWS HS256, see protocol origin.ts) with jose: signature,
 * algorithm, audience, issuer and expiry are all jose's job; the claims' shape is the protocol's.
 */
import { TICKET_AUDIENCE, TICKET_ISSUER, TicketClaims, deriveInternalKey } from '@sealroom/protocol';
import { errors, jwtVerify } from 'jose';
import { OriginError } from './errors.ts';

/** Clocks of edge and origin may differ a little; a ticket lives 300 s, so 5 s is plenty. */
export const TICKET_CLOCK_TOLERANCE_S = 5;

export interface Ticket extends TicketClaims {
  iat?: number;
}

export class TicketVerifier {
  readonly #key: Uint8Array;

  private constructor(key: Uint8Array) {
    this.#key = key;
  }

  static async create(sharedSecret: string): Promise<TicketVerifier> {
    return new TicketVerifier(await deriveInternalKey(sharedSecret, 'ticket'));
  }

  /** @throws OriginError('bad_ticket') with a reason a client may see. */
  async verify(token: string, now: Date = new Date()): Promise<Ticket> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.#key, {
        algorithms: ['HS256'],
        audience: TICKET_AUDIENCE,
        issuer: TICKET_ISSUER,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: TICKET_CLOCK_TOLERANCE_S,
        currentDate: now,
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new OriginError('bad_ticket', 'ticket expired');
      if (err instanceof errors.JWSSignatureVerificationFailed) throw new OriginError('bad_ticket', 'ticket signature invalid');
      if (err instanceof errors.JWTClaimValidationFailed) throw new OriginError('bad_ticket', `ticket claim "${err.claim}" invalid`);
      throw new OriginError('bad_ticket', 'ticket malformed');
    }
    const claims = TicketClaims.safeParse(payload);
    if (!claims.success) throw new OriginError('bad_ticket', 'ticket claims malformed');
    const iat = (payload as { iat?: unknown }).iat;
    return { ...claims.data, ...(typeof iat === 'number' ? { iat } : {}) };
  }
}
