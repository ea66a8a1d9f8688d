/**
 * The meeting's E2EE wiring: one key group per room session, keyed from the roster of the room
 * (main or breakout) we are in and following it as people come, go and move between rooms, and
 * the security code over everyone's keys that the badge shows.
 */
import type { Participant } from '@sealroom/protocol';
import type { Annotations } from './annotations.svelte.ts';
import type { Chat, ChatSealer } from './chat.svelte.ts';
import { E2ee } from './e2ee.ts';
import type { Files } from './files.svelte.ts';
import type { RoomConnection } from './room.svelte.ts';
import { keyExchangeDisabledByTest } from './test-hooks.ts';

export interface SealedChannels {
  chat: Chat;
  annotations: Annotations;
  files: Files;
  /** Who a file offer goes to: the others in our room. */
  members(): string[];
  maxFileBytes: number | undefined;
}

const member = ({ id, index, publicKey }: Participant) => ({ id, index, publicKey });

export class MeetingKeys {
  /** The breakout room our key group is for (null: the main room). */
  #keyRoom: () => string | null;
  #e2ee: E2ee | null = null;
  /** The next session's keys, made ahead while the pre-join form shows; used once. */
  #spare: E2ee | null = null;
  #selfId: string | null = null;
  #securityCode = $state('');
  #codeChanged = $state(false);

  constructor(keyRoom: () => string | null) {
    this.#keyRoom = keyRoom;
  }

  /** The current room session's keys, null between sessions. */
  get e2ee(): E2ee | null {
    return this.#e2ee;
  }
  get securityCode(): string {
    return this.#securityCode;
  }
  /** True after the code changed until the user dismisses the warning. */
  get codeChanged(): boolean {
    return this.#codeChanged;
  }

  dismissCodeChange(): void {
    this.#codeChanged = false;
  }

  /**
   * Makes the next session's key pair and frame worker now, off the join's path (about 40 ms of
   * the click in bench/join). It is still a pair of its own for that session: `open` takes it once.
   */
  prepare(): void {
    this.#spare ??= E2ee.create();
  }

  /** A new room session is a new participant: new key pair, new sender index. */
  open(): E2ee {
    const e2ee = this.#spare ?? E2ee.create();
    this.#spare = null;
    if (keyExchangeDisabledByTest()) e2ee.disableKeyExchange = true;
    this.#e2ee = e2ee;
    return e2ee;
  }

  /** The room let us in: key the group with the others in our room. */
  start(e2ee: E2ee, meetingId: string, self: Participant, room: RoomConnection): void {
    this.#selfId = self.id;
    e2ee.start({
      meetingId,
      self: { id: self.id, index: self.index },
      members: room.roster.others.filter((p) => p.breakout === self.breakout).map(member),
      send: (keyBlobs) => room.send(keyBlobs),
    });
    this.#refreshCode(false);
  }

  /** Seals chat, annotations and files of this room session with its group's keys. */
  attach(e2ee: E2ee, room: RoomConnection, self: Participant, channels: SealedChannels): void {
    const sealer: ChatSealer = {
      seal: async (plaintext) => e2ee.sealEnvelope(plaintext),
      open: async (from, envelope) => e2ee.openEnvelope(from, envelope),
    };
    const send = (m: Parameters<RoomConnection['send']>[0]) => room.send(m);
    channels.chat.attach(self.id, send, sealer);
    channels.annotations.attach(self.id, send, sealer);
    channels.files.attach(
      {
        selfId: self.id,
        send,
        ownKey: () => e2ee.ownSealKey(),
        keyOf: (from, epoch) => e2ee.sealKeyOf(from, epoch),
        members: channels.members,
        buffered: () => room.bufferedAmount,
      },
      channels.maxFileBytes,
    );
  }

  /** Someone joined: into our group when they are in our room. @returns whether they were keyed */
  joined(p: Participant): boolean {
    const e2ee = this.#e2ee;
    if (!e2ee?.started || p.breakout !== this.#keyRoom()) return false;
    e2ee.memberJoined(member(p));
    this.#refreshCode(true);
    return true;
  }

  /**
   * Someone else moved between rooms: our key group follows who is in our room.
   * @returns whether they left our room
   */
  moved(p: Participant, prev: Participant): boolean {
    const e2ee = this.#e2ee;
    if (p.id === this.#selfId || prev.breakout === p.breakout || !e2ee?.started) return false;
    const left = prev.breakout === this.#keyRoom();
    if (left) this.#memberLeft(p.id);
    else if (p.breakout === this.#keyRoom()) e2ee.memberJoined(member(p));
    this.#refreshCode(true);
    return left;
  }

  /** Someone left the meeting (`p` unknown: they had not been announced to us). */
  left(p: Participant | undefined, id: string): void {
    if (this.#e2ee?.started && (!p || p.breakout === this.#keyRoom())) this.#memberLeft(id);
    this.#refreshCode(true);
  }

  /** The same seat on a new connection: its old keys go, its new keys come in. */
  back(p: Participant, prev: Participant | undefined): void {
    const e2ee = this.#e2ee;
    if (!e2ee?.started) return;
    if (prev?.breakout === this.#keyRoom()) this.#memberLeft(p.id);
    if (p.breakout === this.#keyRoom()) e2ee.memberJoined(member(p));
    this.#refreshCode(true);
  }

  /** We moved into another room: a new group with the people there, same identity. */
  restart(others: readonly Participant[]): void {
    this.#e2ee?.restart(others.map(member));
    this.#refreshCode(false);
  }

  /** The room session is over: its keys go with it. */
  close(): void {
    this.#e2ee?.close();
    this.#e2ee = null;
  }

  /** The page is going: keys made ahead go too. */
  dispose(): void {
    this.close();
    this.#spare?.close();
    this.#spare = null;
  }

  #memberLeft(id: string): void {
    try {
      this.#e2ee?.memberLeft(id);
    } catch (err) {
      console.warn('sealroom: key group had no such member', String(err));
    }
  }

  #refreshCode(changed: boolean): void {
    const code = this.#e2ee?.securityCode() ?? '';
    if (changed && this.#securityCode && code !== this.#securityCode) this.#codeChanged = true;
    this.#securityCode = code;
  }
}
