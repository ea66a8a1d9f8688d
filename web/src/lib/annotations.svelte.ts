/**
 * Annotation strokes on shared screens. Each finished stroke travels as a sealed `annotate`
 * envelope (same sealing as chat; the payload's kind is checked on opening); the room relays
 * envelopes it cannot read and tells everyone when a host clears them all. Pure state plus the
 * injected sealer, so it is testable without keys or sockets. A sharer's "paused while I choose
 * another window" travels the same way, so viewers can show it and the room cannot see it.
 */
import { MAX_ENVELOPE_CHARS } from '@sealroom/protocol';
import type { ChatSealer } from './chat.svelte.ts';
import { decodePayload, encodePayload, type AnnotationPayload, type AnnotationTool } from './sealed-payload.ts';

/** Most points one stroke carries; longer strokes are thinned evenly. */
export const MAX_STROKE_POINTS = 600;

export interface Stroke extends AnnotationPayload {
  /** Who drew it. */
  from: string;
}

export type AnnotateSend = (msg: { type: 'annotate'; envelope: string }) => void;

export const STROKE_COLORS = ['#e53935', '#1e88e5', '#43a047', '#fdd835', '#000000'] as const;

/** Keeps at most `max` points, first and last included. */
export function thin(points: [number, number][], max = MAX_STROKE_POINTS): [number, number][] {
  if (points.length <= max) return points;
  const out: [number, number][] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.round((i * (points.length - 1)) / (max - 1))]!);
  return out;
}

const clamp01 = (n: number) => Math.min(1, Math.max(0, n));

export class Annotations {
  #strokes = $state.raw<readonly Stroke[]>([]);
  /** Sharers whose screen is paused now (they are choosing what to share next). */
  #paused = $state.raw<ReadonlySet<string>>(new Set());
  #selfId = '';
  #send: AnnotateSend | null = null;
  #sealer: ChatSealer | null = null;
  #seq = 0;

  get strokes(): readonly Stroke[] {
    return this.#strokes;
  }

  /** Whether this participant's shared screen is paused. */
  isPaused(screen: string): boolean {
    return this.#paused.has(screen);
  }

  #setPaused(screen: string, paused: boolean): void {
    if (paused === this.#paused.has(screen)) return;
    const next = new Set(this.#paused);
    if (paused) next.add(screen);
    else next.delete(screen);
    this.#paused = next;
  }

  /** Tells everyone, sealed, that our own shared screen is paused or resumed. False when it cannot be sent. */
  async sendScreenState(paused: boolean): Promise<boolean> {
    const sealer = this.#sealer;
    const send = this.#send;
    if (!sealer || !send) return false;
    this.#setPaused(this.#selfId, paused);
    try {
      send({ type: 'annotate', envelope: await sealer.seal(encodePayload({ k: 'screen', paused })) });
      return true;
    } catch {
      return false;
    }
  }

  /** Strokes drawn on one participant's shared screen. */
  on(screen: string): Stroke[] {
    return this.#strokes.filter((s) => s.screen === screen);
  }

  attach(selfId: string, send: AnnotateSend, sealer: ChatSealer): void {
    this.#selfId = selfId;
    this.#send = send;
    this.#sealer = sealer;
  }

  detach(): void {
    this.#send = null;
    this.#sealer = null;
    this.#strokes = [];
    this.#paused = new Set();
  }

  /** Seals and sends a finished stroke, and shows it here at once. False when it cannot be sent. */
  async draw(screen: string, tool: AnnotationTool, color: string, points: [number, number][], text?: string): Promise<boolean> {
    const sealer = this.#sealer;
    const send = this.#send;
    if (!sealer || !send || points.length === 0) return false;
    const id = `${this.#selfId.slice(0, 8)}-${(++this.#seq).toString(36)}`.replace(/[^A-Za-z0-9_-]/g, '_');
    const stroke: AnnotationPayload = {
      k: 'annotate',
      screen,
      id,
      tool,
      color,
      points: thin(points.map(([x, y]) => [clamp01(x), clamp01(y)] as [number, number])),
      ...(tool === 'text' && text ? { text: text.slice(0, 200) } : {}),
    };
    let envelope: string;
    try {
      envelope = await sealer.seal(encodePayload(stroke));
    } catch {
      return false;
    }
    if (envelope.length > MAX_ENVELOPE_CHARS) return false;
    send({ type: 'annotate', envelope });
    this.#strokes = [...this.#strokes, { ...stroke, from: this.#selfId }];
    return true;
  }

  /**
   * A stroke, or a sharer's pause, relayed by the room; anything that does not open or is
   * neither is dropped. A pause applies to the sender's own screen only.
   */
  async receive(from: string, envelope: string): Promise<boolean> {
    if (!this.#sealer || from === this.#selfId) return false;
    try {
      const payload = decodePayload(await this.#sealer.open(from, envelope), 'annotate', 'screen');
      if (payload.k === 'screen') this.#setPaused(from, payload.paused);
      else this.#strokes = [...this.#strokes, { ...payload, from }];
      return true;
    } catch {
      return false;
    }
  }

  /** Everyone's strokes go (the room's `annotations-cleared`). */
  clear(): void {
    this.#strokes = [];
  }

  /** A screen share ended: its strokes, and any pause, go with it. */
  dropScreen(screen: string): void {
    this.#setPaused(screen, false);
    if (this.#strokes.some((s) => s.screen === screen)) this.#strokes = this.#strokes.filter((s) => s.screen !== screen);
  }
}
