/**
 * What goes inside a sealed envelope (crypto/seal.ts `sealChat`): a small JSON document whose
 * `k` names its kind. crypto/seal.ts has one label for chat and none for annotations, so the
 * kind lives inside the authenticated plaintext instead: a relay that replays an annotation
 * envelope as a chat line (or the reverse) produces a payload the receiver rejects.
 */
import { MAX_ENVELOPE_CHARS } from '@sealroom/protocol';

/** Bytes of plaintext that fit in one envelope: base64url(34 + n) ≤ MAX_ENVELOPE_CHARS. */
export const MAX_PAYLOAD_BYTES = Math.floor((MAX_ENVELOPE_CHARS * 3) / 4) - 34;

/** Image types shown inline; anything else is refused (no SVG: it can carry script). */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

export interface ChatPayload {
  k: 'chat';
  text: string;
  /** A small image, standard base64 of its bytes. */
  image?: { mime: ImageType; data: string };
}

export const ANNOTATION_TOOLS = ['pen', 'highlighter', 'arrow', 'text'] as const;
export type AnnotationTool = (typeof ANNOTATION_TOOLS)[number];

/** One finished stroke on a shared screen; coordinates are fractions (0…1) of the shared frame. */
export interface AnnotationPayload {
  k: 'annotate';
  /** Whose shared screen this stroke belongs to. */
  screen: string;
  id: string;
  tool: AnnotationTool;
  color: string;
  points: [number, number][];
  text?: string;
}

/**
 * The sender's own shared screen is paused (they are choosing another window) or resumed. It
 * travels sealed with the strokes so the room never learns it; it names no screen, as only the
 * sharer may pause their own.
 */
export interface ScreenStatePayload {
  k: 'screen';
  paused: boolean;
}

export type SealedPayload = ChatPayload | AnnotationPayload | ScreenStatePayload;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const onlyKeys = (o: Record<string, unknown>, keys: string[]) => Object.keys(o).every((k) => keys.includes(k));
const ID = /^[A-Za-z0-9_-]{4,40}$/;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

function chatPayload(v: Record<string, unknown>): ChatPayload | null {
  if (!onlyKeys(v, ['k', 'text', 'image']) || typeof v.text !== 'string' || v.text.length > 4000) return null;
  if (v.image === undefined) return { k: 'chat', text: v.text };
  const img = v.image;
  if (!isObj(img) || !onlyKeys(img, ['mime', 'data'])) return null;
  if (!(IMAGE_TYPES as readonly unknown[]).includes(img.mime) || typeof img.data !== 'string' || !B64.test(img.data)) return null;
  return { k: 'chat', text: v.text, image: { mime: img.mime as ImageType, data: img.data } };
}

function annotationPayload(v: Record<string, unknown>): AnnotationPayload | null {
  if (!onlyKeys(v, ['k', 'screen', 'id', 'tool', 'color', 'points', 'text'])) return null;
  const { screen, id, tool, color, points, text } = v;
  if (typeof screen !== 'string' || !ID.test(screen) || typeof id !== 'string' || !ID.test(id)) return null;
  if (!(ANNOTATION_TOOLS as readonly unknown[]).includes(tool)) return null;
  if (typeof color !== 'string' || !/^#[0-9a-f]{6}$/i.test(color)) return null;
  if (!Array.isArray(points) || points.length < 1 || points.length > 600) return null;
  const pts: [number, number][] = [];
  for (const p of points) {
    if (!Array.isArray(p) || p.length !== 2) return null;
    const [x, y] = p as unknown[];
    if (typeof x !== 'number' || typeof y !== 'number' || !(x >= 0 && x <= 1 && y >= 0 && y <= 1)) return null;
    pts.push([x, y]);
  }
  if (text !== undefined && (typeof text !== 'string' || text.length > 200)) return null;
  return { k: 'annotate', screen, id, tool: tool as AnnotationTool, color, points: pts, ...(text !== undefined ? { text } : {}) };
}

function screenStatePayload(v: Record<string, unknown>): ScreenStatePayload | null {
  return onlyKeys(v, ['k', 'paused']) && typeof v.paused === 'boolean' ? { k: 'screen', paused: v.paused } : null;
}

const PARSERS: { [K in SealedPayload['k']]: (v: Record<string, unknown>) => Extract<SealedPayload, { k: K }> | null } = {
  chat: chatPayload,
  annotate: annotationPayload,
  screen: screenStatePayload,
};

export function encodePayload(p: SealedPayload): string {
  return JSON.stringify(p);
}

/** Parses opened plaintext as one of the expected kinds; throws on anything else. */
export function decodePayload<K extends SealedPayload['k']>(text: string, ...kinds: [K, ...K[]]): Extract<SealedPayload, { k: K }> {
  const v: unknown = JSON.parse(text);
  const kind = isObj(v) ? kinds.find((k) => k === v.k) : undefined;
  const out = kind && isObj(v) ? PARSERS[kind](v) : null;
  if (!out) throw new Error(`sealed payload is not a valid ${kinds.join(' or ')}`);
  return out as Extract<SealedPayload, { k: K }>;
}

/** UTF-8 size of the encoded payload, to check it fits before sealing. */
export function payloadBytes(p: SealedPayload): number {
  return new TextEncoder().encode(encodePayload(p)).length;
}
