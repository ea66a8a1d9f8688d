/**
 * Chat state: the lines of this session, unread count, and sending. Lines travel sealed end
 * to end (crypto/seal.ts through the E2EE manager); the room relays envelopes it cannot read.
 * The sealing itself is injected, so this class is pure state and testable without keys.
 */
import { MAX_ENVELOPE_CHARS } from '@sealroom/protocol';
import type { MessageKey } from './messages.ts';
import { decodePayload, encodePayload, MAX_PAYLOAD_BYTES, payloadBytes, type ChatPayload, type ImageType } from './sealed-payload.ts';

/** Longest line the UI accepts, in characters; the sealed form must stay under the room's envelope cap. */
export const MAX_CHAT_CHARS = 2000;

/** Seals and opens chat lines; the E2EE manager provides it once keys are in place. */
export interface ChatSealer {
  /** Returns the base64url envelope for the room. */
  seal(plaintext: string): Promise<string>;
  /** Opens an envelope from `fromId`; throws when it cannot (no key yet, tampered). */
  open(fromId: string, envelope: string): Promise<string>;
}

/** An image carried inside a sealed line. */
export interface ChatImage {
  mime: ImageType;
  /** Standard base64 of the bytes. */
  data: string;
}

export interface ChatLine {
  /** Unique within this session (the room's ids are timestamps and may repeat). */
  key: number;
  /** The room's id, or a local one (negative) for our own lines. */
  id: number;
  from: string;
  /** null: to everyone. */
  to: string | null;
  at: number;
  /** null when the line could not be opened. */
  text: string | null;
  image: ChatImage | null;
  mine: boolean;
  /** A line from the meeting itself (someone started recording…), written here, never sent. */
  notice?: ChatNotice;
}

export interface ChatNotice {
  key: MessageKey;
  params: Record<string, string | number>;
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
  #key = 0;

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
    if (!line || line.length > MAX_CHAT_CHARS) return false;
    return this.#sendPayload({ k: 'chat', text: line }, to);
  }

  /**
   * Sends an image sealed like any line. It must fit in one envelope (see `fitImage`); returns
   * false when it does not or there is no way to seal it.
   */
  async sendImage(image: ChatImage, to: string | null = null, caption = ''): Promise<boolean> {
    return this.#sendPayload({ k: 'chat', text: caption.trim().slice(0, MAX_CHAT_CHARS), image }, to);
  }

  async #sendPayload(payload: ChatPayload, to: string | null): Promise<boolean> {
    const sealer = this.#sealer;
    const send = this.#send;
    if (!sealer || !send || payloadBytes(payload) > MAX_PAYLOAD_BYTES) return false;
    let envelope: string;
    try {
      envelope = await sealer.seal(encodePayload(payload));
    } catch {
      return false;
    }
    if (envelope.length > MAX_ENVELOPE_CHARS) return false;
    send({ type: 'chat', to, envelope });
    this.#push({ id: --this.#localId, from: this.#selfId, to, at: Date.now(), text: payload.text, image: payload.image ?? null, mine: true });
    return true;
  }

  /** A line relayed by the room. Our own lines come back too: those are already shown. */
  async receive(msg: { id: number; from: string; to: string | null; at: number; envelope: string }): Promise<void> {
    if (msg.from === this.#selfId) return;
    let payload: ChatPayload | null = null;
    if (this.#sealer) {
      try {
        payload = decodePayload(await this.#sealer.open(msg.from, msg.envelope), 'chat');
      } catch {
        payload = null;
      }
    }
    this.#push({ id: msg.id, from: msg.from, to: msg.to, at: msg.at, text: payload?.text ?? null, image: payload?.image ?? null, mine: false });
    if (!this.#open) this.#unread++;
  }

  /** A system line (recording started or stopped…): everyone's client writes its own, so no one can forge or drop it for others. */
  notice(key: MessageKey, params: Record<string, string | number> = {}): void {
    this.#push({ id: --this.#localId, from: '', to: null, at: Date.now(), text: null, image: null, mine: false, notice: { key, params } });
    if (!this.#open) this.#unread++;
  }

  /** The log as plain text, one line per message, for "save chat". */
  transcript(
    nameOf: (id: string) => string,
    when: (at: number) => string,
    sealedText: string,
    imageText = '[image]',
    noticeText: (n: ChatNotice) => string = (n) => n.key,
  ): string {
    const body = (l: ChatLine) => (l.text === null ? sealedText : [l.image ? imageText : '', l.text].filter(Boolean).join(' '));
    return (
      this.#lines
        .map((l) => (l.notice ? `[${when(l.at)}] ${noticeText(l.notice)}` : `[${when(l.at)}] ${nameOf(l.from)}${l.to ? ` → ${nameOf(l.to)}` : ''}: ${body(l)}`))
        .join('\n') + '\n'
    );
  }

  clear(): void {
    this.#lines = [];
    this.#unread = 0;
  }

  #push(line: Omit<ChatLine, 'key'>): void {
    this.#lines = [...this.#lines, { ...line, key: ++this.#key }];
  }
}
