/** The short-lived ticket a participant presents to the media origin (JWS HS256 via jose). */
import { type MediaSource, type MeetingId, type Role, TICKET_AUDIENCE, TICKET_ISSUER, TICKET_TTL_SECONDS, deriveInternalKey } from '@sealroom/protocol';
import { SignJWT } from 'jose';

export interface TicketInput {
  meetingId: MeetingId;
  participantId: string;
  role: Role;
  sources: MediaSource[];
  /** Breakout room id, or null for the main room. */
  room: string | null;
}

export async function signTicket(secret: string, t: TicketInput, nowMs = Date.now()): Promise<{ ticket: string; expiresAt: number }> {
  const key = await deriveInternalKey(secret, 'ticket');
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + TICKET_TTL_SECONDS;
  const ticket = await new SignJWT({ mid: t.meetingId, role: t.role, src: t.sources, ...(t.room ? { room: t.room } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(t.participantId)
    .setIssuer(TICKET_ISSUER)
    .setAudience(TICKET_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key);
  return { ticket, expiresAt: exp * 1000 };
}
