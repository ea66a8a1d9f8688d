/**
 * Chat state: the lines of this session, unread count, and sending. Lines travel sealed end
 * to end (crypto/seal.ts through the E2EE manager); the room relays envelopes it cannot read.
 * The sealing itself is injected, so this class is pure state and testable without keys.
 */
import { MAX_ENVELOPE_CHARS } from '@sealroom/protocol';

/** Longest line the UI accepts, in characters; the sealed form must stay under the room's envelope cap. */
export const MAX_CHAT_CHARS = 2000;

/** Seals and opens chat lines; the E2EE manager provides it once keys are in place. */
export interface ChatSealer {
  /** Returns the base64url envelope for the room. */
  seal(text: string): Promise<string>;
  /** Opens a line from `fromId`; throws when it cannot (no key yet, tampered). */
  open(fromId: string, envelope: string): Promise<string>;
}

export interface ChatLine {
  /** The room's sequence number, or a local one (negative) for lines not yet echoed. */
  id: number;
  from: string;
  /** null: to everyone. */
  to: string | null;
  at: number;
  /** null when the line could not be opened. */
  text: string | null;
  mine: boolean;
}

export type ChatSend = (msg: { type: 'chat'; to: string | null; envelope: string }) => void;

export class Chat {
  #lines = $state.raw<readonly ChatLine[]>([]);
  #unread = $state(0);
  #open = $state(false);
  #sealer: ChatSealer | null = $state.raw(null);
  #selfId = '';
  #send: ChatSend | null = null;
  #localId = 0;

  get lines(): readonly ChatLine[] {
    return this.#lines;
  }
  get unread(): number {
    return this.#unread;
  }
  /** Whether the chat panel is showing (lines then arrive read). */
  get open(): boolean {
    return this.#open;
  }
  set open(open: boolean) {
    this.#open = open;
    if (open) this.#unread = 0;
  }
  /** Sending works once a sealer is attached. */
  get available(): boolean {
    return this.#sealer !== null && this.#send !== null;
  }

  /** Binds this chat to a room session. */
  attach(selfId: string, send: ChatSend, sealer: ChatSealer | null): void {
    this.#selfId = selfId;
    this.#send = send;
    this.#sealer = sealer;
  }

  detach(): void {
    this.#send = null;
    this.#sealer = null;
  }

  /** Seals and sends a line; returns false when there is nothing to send or no way to seal it. */
  async send(text: string, to: string | null = null): Promise<boolean> {
    const line = text.trim();
    const sealer = this.#sealer;
    const send = this.#send;
    if (!line || line.length > MAX_CHAT_CHARS || !sealer || !send) return false;
    const envelope = await sealer.seal(line);
    if (envelope.length > MAX_ENVELOPE_CHARS) return false;
    send({ type: 'chat', to, envelope });
    this.#push({ id: --this.#localId, from: this.#selfId, to, at: Date.now(), text: line, mine: true });
    return true;
  }

  /** A line relayed by the room. Our own lines come back too: those are already shown. */
  async receive(msg: { id: number; from: string; to: string | null; at: number; envelope: string }): Promise<void> {
    if (msg.from === this.#selfId) return;
    let text: string | null = null;
    if (this.#sealer) {
      try {
        text = await this.#sealer.open(msg.from, msg.envelope);
      } catch {
        text = null;
      }
    }
    this.#push({ id: msg.id, from: msg.from, to: msg.to, at: msg.at, text, mine: false });
    if (!this.#open) this.#unread++;
  }

  /** The log as plain text, one line per message, for "save chat". */
  transcript(nameOf: (id: string) => string, when: (at: number) => string, sealedText: string): string {
    return this.#lines.map((l) => `[${when(l.at)}] ${nameOf(l.from)}${l.to ? ` → ${nameOf(l.to)}` : ''}: ${l.text ?? sealedText}`).join('\n') + '\n';
  }

  clear(): void {
    this.#lines = [];
    this.#unread = 0;
  }

  #push(line: ChatLine): void {
    this.#lines = [...this.#lines, line];
  }
}
