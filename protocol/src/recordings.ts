/**
 * Cloud recordings API: bodies and answers of /api/recordings, shared by edge and web.
 *
 * The edge stores bytes it cannot read: the browser seals each MediaRecorder chunk with a
 * random recording key (crypto/ seal.ts, kind 'recording') and uploads the sealed byte stream
 * cut into equal parts (R2 multipart needs every part but the last to have the same size).
 * The recording key never reaches the server: the owner keeps it wrapped under a key that lives
 * only in their browser (`keyWrap`, opaque here), and a share link carries it in the URL fragment.
 */
import { z } from 'zod';

/** Bytes per uploaded part except the last. R2 refuses multipart parts under 5 MiB (but the last). */
export const RECORDING_PART_SIZE = 5 * 1024 * 1024;
/** R2's multipart limit is 10 000 parts; at 5 MiB each that is ~48 GiB, far past a meeting's length. */
export const RECORDING_MAX_PARTS = 10_000;

export const RecordingErrorCode = z.enum([
  'bad_message',
  'unauthenticated',
  'csrf',
  'forbidden',
  'not_found',
  /** The recording is not in the state this call needs (e.g. a part after completion). */
  'wrong_state',
  /** A part's length is not what the upload's part size requires. */
  'bad_part',
  /** Completion asked for while parts are missing. */
  'parts_missing',
  'length_required',
  /** The share link expired or was revoked. */
  'share_gone',
  /** The stored object no longer opens: its data key was erased, or the bytes were altered. */
  'sealed_unavailable',
  'kms_unavailable',
  /** A byte range outside the recording (416). */
  'range_not_satisfiable',
  'internal',
]);
export type RecordingErrorCode = z.infer<typeof RecordingErrorCode>;

const Id = z.string().regex(/^[A-Za-z0-9_-]{16,40}$/);
/** base64url text of at most `max` characters. */
const B64 = (max: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/)
    .max(max);

export const CreateRecording = z.strictObject({
  title: z.string().trim().min(1).max(200),
  /** The meeting recorded, when there was one (a meeting id is 9–11 digits). */
  meetingId: z
    .string()
    .regex(/^[0-9]{9,11}$/)
    .nullable()
    .default(null),
  /** Container type MediaRecorder produced, so playback can pick a decoder. */
  mimeType: z
    .string()
    .regex(/^[a-z]+\/[A-Za-z0-9.+-]+(;[ A-Za-z0-9=,.+"-]*)?$/)
    .max(100),
  /** The recording key wrapped under the owner's browser-held key: opaque to the server. */
  keyWrap: B64(200),
});
export type CreateRecording = z.infer<typeof CreateRecording>;

export const CompleteRecording = z.strictObject({
  /** How many parts the client uploaded; the edge checks it has exactly these. */
  parts: z.int().min(1).max(RECORDING_MAX_PARTS),
  durationMs: z
    .int()
    .min(0)
    .max(7 * 24 * 3_600_000),
});
export type CompleteRecording = z.infer<typeof CompleteRecording>;

export const RecordingStatus = z.enum(['uploading', 'complete']);

export const RecordingView = z.strictObject({
  id: Id,
  title: z.string(),
  meetingId: z.string().nullable(),
  mimeType: z.string(),
  status: RecordingStatus,
  createdAt: z.number(),
  completedAt: z.number().nullable(),
  durationMs: z.number().nullable(),
  /** Client-sealed bytes (what a download returns). */
  size: z.number(),
  partSize: z.number(),
  keyWrap: z.string(),
});
export type RecordingView = z.infer<typeof RecordingView>;

export const StorageUsage = z.strictObject({
  user: z.strictObject({ bytes: z.number(), recordings: z.number() }),
  org: z.strictObject({ bytes: z.number(), recordings: z.number() }),
});
export type StorageUsage = z.infer<typeof StorageUsage>;

export const RecordingList = z.strictObject({ recordings: z.array(RecordingView), usage: StorageUsage });
export type RecordingList = z.infer<typeof RecordingList>;

/** What a resuming uploader asks: which parts arrived (and their sizes). */
export const PartList = z.strictObject({
  status: RecordingStatus,
  partSize: z.number(),
  parts: z.array(z.strictObject({ partNumber: z.number(), size: z.number() })),
});
export type PartList = z.infer<typeof PartList>;

export const PartReceipt = z.strictObject({ partNumber: z.number(), size: z.number() });
/** A tail segment stored: bytes `offset…offset+size` of the part being filled (kept until that part arrives whole). */
export const TailReceipt = z.strictObject({ partNumber: z.number(), offset: z.number(), size: z.number() });
export type TailReceipt = z.infer<typeof TailReceipt>;

/** Longest a share link may live: 30 days. */
export const MAX_SHARE_SECONDS = 30 * 24 * 3600;

export const CreateShare = z.strictObject({
  expiresInSeconds: z.int().min(60).max(MAX_SHARE_SECONDS),
});
export type CreateShare = z.infer<typeof CreateShare>;

export const ShareView = z.strictObject({
  id: Id,
  recordingId: Id,
  createdAt: z.number(),
  expiresAt: z.number(),
  revokedAt: z.number().nullable(),
});
export type ShareView = z.infer<typeof ShareView>;

/** What an anonymous holder of a share link learns before downloading. */
export const SharedRecording = z.strictObject({
  title: z.string(),
  mimeType: z.string(),
  size: z.number(),
  durationMs: z.number().nullable(),
  createdAt: z.number(),
  expiresAt: z.number(),
  /** The id the client-side stream is bound to (the seal key's meetingId). */
  recordingId: Id,
});
export type SharedRecording = z.infer<typeof SharedRecording>;

/** Organization retention: null keeps recordings until deleted. */
export const RetentionSetting = z.strictObject({ days: z.int().min(1).max(3650).nullable() });
export type RetentionSetting = z.infer<typeof RetentionSetting>;
