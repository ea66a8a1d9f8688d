/**
 * Building blocks shared by every message schema. Identifiers and byte strings are
 * bounded here once, so no message anywhere accepts an unbounded string.
 */
import { z } from 'zod';

/** Meeting ids are 9–11 digits so people can read them aloud. */
export const MeetingId = z.string().regex(/^[0-9]{9,11}$/, 'meeting id must be 9–11 digits');
export type MeetingId = z.infer<typeof MeetingId>;

/** Participant ids are opaque, server-assigned, URL-safe. */
export const ParticipantId = z.string().regex(/^[A-Za-z0-9_-]{8,40}$/, 'bad participant id');
export type ParticipantId = z.infer<typeof ParticipantId>;

/** Base64url without padding; `max` is in encoded characters. */
export const b64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/, 'expected base64url');

/** An X25519 public key: exactly 32 bytes → 43 base64url characters. */
export const PublicKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'public key must be 32 bytes base64url');

/**
 * A zero-width joiner inside an emoji ZWJ sequence (👩‍💻, 🏳️‍🌈, 👩🏽‍🚀, ❤️‍🔥): between two pictographs, the
 * first optionally with its emoji presentation selector or skin-tone modifier. Only these survive
 * the check below; a joiner anywhere else is just an invisible character.
 */
const EMOJI_ZWJ = /(?<=\p{Extended_Pictographic}[\u{FE0F}\p{Emoji_Modifier}]?)\u200D(?=\p{Extended_Pictographic})/gu;

/** C0, DEL and C1 controls, and line or paragraph separators: they break the one line a name is shown on. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;

/**
 * Characters that make displayed text differ from what it is (UTS #39, Unicode Bidi Algorithm):
 * bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069), directional marks (U+200E,
 * U+200F, U+061C), zero-width space, non-joiner and joiner (U+200B–200D), word joiner and the
 * invisible operators (U+2060–2064), and the byte-order mark (U+FEFF). "\u202Egnp.exe" shows as
 * "exe.png"; "Ali\u200Bce" looks like another participant's "Alice".
 */
const INVISIBLE = /[\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/u;

/**
 * Text one person shows others: a display name, an account or org name, a meeting topic.
 * Normalized to NFC (one spelling per visible string, so "é" typed either way is the same name)
 * and trimmed; then refused, not stripped, when it holds a control or an invisible/direction
 * character. Refused because stripping would silently store something other than what was typed,
 * and a sender who puts an override in a name is the case worth an error, not a repair; clients
 * only ever type these by accident, and a clear `bad_message` tells them what to fix. CJK, emoji
 * (ZWJ sequences included) and combining marks are ordinary text and pass.
 */
export const humanText = (what: string, { min = 1, max }: { min?: number; max: number }) =>
  z
    .string()
    .normalize('NFC')
    .trim()
    .min(min, `${what} is empty`)
    .max(max, `${what} is too long`)
    .refine((s) => !CONTROL.test(s), `${what} has control characters`)
    .refine((s) => !INVISIBLE.test(s.replace(EMOJI_ZWJ, '')), `${what} has invisible or text-direction characters`);

/** Display names: NFC, trimmed, 1–64 characters, no control, invisible or bidi characters. */
export const DisplayName = humanText('name', { max: 64 });

export const Role = z.enum(['host', 'cohost', 'participant']);
export type Role = z.infer<typeof Role>;

/** Media kinds a ticket may allow a participant to produce. */
export const MediaSource = z.enum(['audio', 'video', 'screen']);
export type MediaSource = z.infer<typeof MediaSource>;

/** Opaque mediasoup ids (UUIDs in practice). */
export const MediaId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/);

/**
 * Error codes every part can send. The UI maps each to a sentence in both languages;
 * peers never receive stack traces.
 */
/** Where browsers reach a media origin's signalling: a WebSocket URL and nothing else. */
export const WsUrl = z
  .string()
  .max(512)
  .url()
  .regex(/^wss?:\/\//, 'expected a ws: or wss: URL');

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
