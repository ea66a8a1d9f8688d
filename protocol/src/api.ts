/** HTTP API bodies (edge routes), shared with the web client. */
import { z } from 'zod';
import { MeetingId, humanText } from './common.ts';
import { MeetingSettings } from './room.ts';

export const Recurrence = z.strictObject({
  freq: z.enum(['daily', 'weekly', 'monthly']),
  interval: z.number().int().min(1).max(12),
  /** Number of occurrences, or an end date; neither means it goes on. */
  count: z.number().int().min(1).max(365).optional(),
  until: z.number().int().optional(),
  /** Weekly only: 0 = Sunday … 6 = Saturday. */
  byDay: z.array(z.number().int().min(0).max(6)).max(7).optional(),
});
export type Recurrence = z.infer<typeof Recurrence>;

/** An IANA time zone name such as "Asia/Shanghai"; checked against Intl at the edge. */
export const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_+\-/]+$/);

const Email = z.string().email().max(254);

export const MeetingInput = z.strictObject({
  topic: humanText('topic', { min: 0, max: 200 }).optional(),
  /** Empty string or absent: no password. */
  password: z.string().max(64).optional(),
  settings: MeetingSettings.partial().optional(),
  startAt: z.number().int().min(0).nullable().optional(),
  durationMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
  timeZone: TimeZone.optional(),
  recurrence: Recurrence.nullable().optional(),
  alternativeHosts: z.array(Email).max(20).optional(),
});
export type MeetingInput = z.infer<typeof MeetingInput>;

/** What anyone with the link may read: nothing secret, no password, no host key. */
export const MeetingPublic = z.strictObject({
  id: MeetingId,
  topic: z.string(),
  hasPassword: z.boolean(),
  startAt: z.number().int().nullable(),
  durationMinutes: z.number().int(),
  timeZone: z.string(),
  recurrence: Recurrence.nullable(),
  ended: z.boolean(),
});
export type MeetingPublic = z.infer<typeof MeetingPublic>;

/** What the host (host key or owner) reads. */
export const MeetingDetails = MeetingPublic.extend({
  settings: MeetingSettings,
  alternativeHosts: z.array(Email),
});
export type MeetingDetails = z.infer<typeof MeetingDetails>;

export const MeetingCreated = z.strictObject({
  id: MeetingId,
  hostKey: z.string(),
  url: z.string(),
});
export type MeetingCreated = z.infer<typeof MeetingCreated>;

/** Header carrying a meeting's host key on host-only routes: `authorization: HostKey <key>`. */
export const HOST_KEY_SCHEME = 'HostKey';
