/**
 * Building blocks shared by every message schema. Identifiers and byte strings are
 * bounded here once, so no message anywhere accepts an unbounded string.
 */
import { z } from 'zod';

/** Meeting ids are 9–11 digits so people can read them aloud (issue 4). */
export const MeetingId = z.string().regex(/^[0-9]{9,11}$/, 'meeting id must be 9–11 digits');
export type MeetingId = z.infer<typeof MeetingId>;

/** Participant ids are opaque, server-assigned, URL-safe. */
export const ParticipantId = z.string().regex(/^[A-Za-z0-9_-]{8,40}$/, 'bad participant id');
export type ParticipantId = z.infer<typeof ParticipantId>;

/** Base64url without padding; `max` is in encoded characters. */
export const b64url = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9_-]*$/, 'expected base64url');

/** An X25519 public key: exactly 32 bytes → 43 base64url characters. */
export const PublicKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'public key must be 32 bytes base64url');

/** Display names: trimmed, 1–64 characters, no control characters. */
export const DisplayName = z
  .string()
  .trim()
  .min(1, 'name is empty')
  .max(64, 'name is too long')
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'name has control characters');

export const Role = z.enum(['host', 'cohost', 'participant']);
export type Role = z.infer<typeof Role>;

/** Media kinds a ticket may allow a participant to produce. */
export const MediaSource = z.enum(['audio', 'video', 'screen']);
export type MediaSource = z.infer<typeof MediaSource>;

/** Opaque mediasoup ids (UUIDs in practice). */
export const MediaId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/);

/**
 * Error codes every part can send. The UI maps each to a sentence in both languages;
 * peers never receive stack traces.
 */
export const ErrorCode = z.enum([
  'bad_message',
  'unknown_type',
  'not_joined',
  'already_joined',
  'meeting_not_found',
  'meeting_ended',
  'meeting_locked',
  'removed',
  'meeting_full',
  'wrong_password',
  'rate_limited',
  'forbidden',
  'not_found',
  'bad_ticket',
  'no_origin',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;
