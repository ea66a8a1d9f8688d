/**
 * A participant without a browser that still takes part in the key exchange: it joins the Room
 * over its WebSocket with a real X25519 key, seals its sender key to everyone on `welcome`,
 * follows joins and leaves through the same KeyGroup the web app uses, and opens the blobs sent
 * to it. To the browsers in the call it is a member like any other (they rekey when it comes
 * and goes); it sends no media, so it costs a socket rather than a Chromium.
 */
import { toB64url } from '@sealroom/crypto/bytes';
import { KeyGroup, KeyGroupError, type KeyBlobsOut } from '@sealroom/crypto/key-group';
import { generateKeyPair } from '@sealroom/crypto/key-schedule';
import { RoomToClient, parseJson, type Participant } from '@sealroom/protocol';

/** How long a join may take before it counts as failed (a loaded machine, a cold Room). */
const JOIN_TIMEOUT_MS = 20_000;

export class KeyedMember {
  readonly name: string;
  id = '';
  /** Key blobs from others that opened: the exchange really ran both ways. */
  blobsOpened = 0;
  /** Key blobs that did not open or came from someone the group does not know (codes). */
  readonly blobErrors: string[] = [];
  readonly #ws: WebSocket;
  readonly #keyPair = generateKeyPair();
  #group: KeyGroup | null = null;
  #closed: Promise<void>;

  private constructor(ws: WebSocket, name: string) {
    this.#ws = ws;
    this.name = name;
    this.#closed = new Promise((resolve) => ws.addEventListener('close', () => resolve()));
  }

  /** Joins `meetingId` and resolves once welcomed and its key blobs are sent. */
  static async join(stackUrl: string, meetingId: string, name: string): Promise<KeyedMember> {
    const ws = new WebSocket(`${stackUrl.replace(/^http/, 'ws')}/api/meetings/${meetingId}/ws`);
    const m = new KeyedMember(ws, name);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no welcome within ${JOIN_TIMEOUT_MS} ms`)), JOIN_TIMEOUT_MS);
      ws.onerror = () => reject(new Error(`${name}: socket error before welcome`));
      ws.onopen = () => ws.send(JSON.stringify({ type: 'join', name, publicKey: toB64url(m.#keyPair.publicKey) }));
      ws.onmessage = (ev) => {
        try {
          if (m.#onMessage(ev.data)) {
            clearTimeout(timer);
            resolve();
          }
        } catch (err) {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
    });
    return m;
  }

  /** Handles one room frame; true when it was our welcome. */
  #onMessage(raw: unknown): boolean {
    if (typeof raw !== 'string' || !raw.startsWith('{')) return false;
    const parsed = parseJson(RoomToClient, raw, 4 * 1024 * 1024);
    if (!parsed.ok) throw new Error(`${this.name}: room frame did not parse: ${parsed.code}`);
    const msg = parsed.value;
    const now = performance.now();
    switch (msg.type) {
      case 'welcome': {
        this.id = msg.self.id;
        const group = new KeyGroup({ meetingId: msg.meetingId, self: { id: msg.self.id, index: msg.self.index }, keyPair: this.#keyPair });
        this.#group = group;
        this.#send(group.welcome(msg.participants.filter((p) => p.breakout === msg.self.breakout).map(member)));
        return true;
      }
      case 'error':
        if (!this.#group) throw new Error(`${this.name}: refused: ${msg.code}`);
        return false;
      case 'participant-joined':
        if (this.#group && msg.participant.id !== this.id) this.#send(this.#group.memberJoined(member(msg.participant), now));
        return false;
      case 'participant-left':
        if (this.#group?.roster().some((p) => p.id === msg.id)) this.#send(this.#group.memberLeft(msg.id, now));
        return false;
      case 'participant-back':
        // A resumed seat comes back with a new key pair and sender index: swap its keys, as the web app does.
        if (!this.#group || msg.participant.id === this.id) return false;
        if (this.#group.roster().some((p) => p.id === msg.participant.id)) this.#send(this.#group.memberLeft(msg.participant.id, now));
        this.#send(this.#group.memberJoined(member(msg.participant), now));
        return false;
      case 'key-blob':
        try {
          if (this.#group?.receiveBlob(msg.from, msg.epoch, msg.blob)) this.blobsOpened++;
        } catch (err) {
          if (!(err instanceof KeyGroupError)) throw err;
          this.blobErrors.push(err.code);
        }
        return false;
      default:
        return false;
    }
  }

  #send(out: KeyBlobsOut[]): void {
    for (const m of out)
      if (m.blobs.length > 0 && this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify({ type: 'key-blobs', epoch: m.epoch, blobs: m.blobs }));
  }

  /**
   * Leaves as the web app does (`leave`, then close), or with `drop` as a crashed tab does: the
   * socket closes with no word and the Room holds the seat until its reconnect window ends.
   * Resolves when the socket is closed.
   */
  async leave(opts: { drop?: boolean } = {}): Promise<void> {
    if (this.#ws.readyState === WebSocket.OPEN) {
      if (!opts.drop) this.#ws.send(JSON.stringify({ type: 'leave' }));
      this.#ws.close(1000, 'bye');
    } else if (this.#ws.readyState === WebSocket.CONNECTING) this.#ws.close();
    await this.#closed;
  }
}

function member(p: Participant): { id: string; index: number; publicKey: Uint8Array } {
  return { id: p.id, index: p.index, publicKey: Buffer.from(p.publicKey, 'base64url') };
}
