/**
 * Breakout rooms from this client's side: which room our keys and media are in, help requests
 * for the hosts, and the hosts' sealed message to every room (each room has its own keys, so
 * each recipient gets the message key wrapped for them).
 */
import type { HostAction, Participant, RoomState } from '@sealroom/protocol';
import type { Say } from './announcer.svelte.ts';
import type { E2ee } from './e2ee.ts';
import type { RoomConnection } from './room.svelte.ts';
import { decodePayload, encodePayload } from './sealed-payload.ts';

export interface HelpRequest {
  from: string;
  room: string | null;
  at: number;
}

export interface Broadcast {
  from: string;
  /** null: it could not be opened here. */
  text: string | null;
  seq: number;
}

export interface BreakoutContext {
  room(): RoomConnection | null;
  e2ee(): E2ee | null;
  roomState(): RoomState | null;
  nameOf(id: string): string;
  host(command: HostAction): void;
  say: Say;
}

export class Breakouts {
  #ctx: BreakoutContext;
  /** The breakout room our key group and media are in (null: the main room). */
  #current = $state<string | null>(null);
  #helpRequests = $state.raw<readonly HelpRequest[]>([]);
  #broadcast = $state.raw<Broadcast | null>(null);
  #seq = 0;
  /** Numbers our broadcasts; bound into each recipient's key wrap. */
  #broadcastsSent = 0;

  constructor(ctx: BreakoutContext) {
    this.#ctx = ctx;
  }

  /** The breakout room we are in, null in the main room. */
  get current(): string | null {
    return this.#current;
  }
  /** Hosts: help requests from breakout rooms, oldest first. */
  get helpRequests(): readonly HelpRequest[] {
    return this.#helpRequests;
  }
  /** The host's last message to every room. */
  get broadcast(): Broadcast | null {
    return this.#broadcast;
  }

  /** We are now in `room` (the welcome says where, a move changes it). */
  enter(room: string | null): void {
    this.#current = room;
  }

  name(id: string | null): string {
    return this.#ctx.roomState()?.breakout.rooms.find((r) => r.id === id)?.name ?? id ?? '';
  }

  /** Asks the hosts for help from a breakout room. */
  askForHelp(): void {
    this.#ctx.room()?.send({ type: 'breakout-help' });
    this.#ctx.say('breakout.helpSent');
  }

  /** Picks a breakout room when the host lets participants choose. */
  choose(room: string): void {
    this.#ctx.room()?.send({ type: 'breakout-choose', room });
  }

  helpAsked(from: string, room: string | null): void {
    this.#helpRequests = [...this.#helpRequests.filter((h) => h.from !== from), { from, room, at: Date.now() }];
    this.#ctx.say('breakout.helpAsked', { name: this.#ctx.nameOf(from), room: this.name(room) });
  }

  dismissHelp(from: string): void {
    this.#helpRequests = this.#helpRequests.filter((h) => h.from !== from);
  }

  /** A host's sealed message to every room, opened with the key wrapped for us. */
  received(sender: Participant | undefined, from: string, n: number, envelope: string, key: string): void {
    const seq = ++this.#seq;
    const e2ee = this.#ctx.e2ee();
    let text: string | null;
    try {
      text = e2ee && sender ? decodePayload(e2ee.openFromEach(sender, n, envelope, key), 'chat').text : null;
    } catch {
      text = null;
    }
    this.#broadcast = { from, text, seq };
    this.#ctx.say('breakout.broadcastFrom', { name: this.#ctx.nameOf(from) });
  }

  dismissBroadcast(): void {
    this.#broadcast = null;
  }

  /** Hosts: a message to every breakout room (everyone but us), sealed like a chat line. */
  send(text: string, recipients: readonly Participant[]): boolean {
    const e2ee = this.#ctx.e2ee();
    const line = text.trim();
    if (!e2ee?.started || !line) return false;
    try {
      const to = recipients.slice(0, 1000);
      if (to.length === 0) return false;
      const n = ++this.#broadcastsSent;
      this.#ctx.host({ action: 'breakout-broadcast', n, ...e2ee.sealForEach(n, to, encodePayload({ k: 'chat', text: line.slice(0, 2000) })) });
      return true;
    } catch {
      return false;
    }
  }
}
