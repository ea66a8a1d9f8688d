/**
 * The life of a call, from the pre-join form to its end: joining the Room as a new participant
 * (a new key pair each time), the waiting room, reconnecting to the same seat while the tab is
 * open (resume secret, back-off, the browser coming back online), and every way a call ends.
 */
import type { LocalDevices } from './devices.svelte.ts';
import { EarlySocket } from './early-socket.ts';
import { roomHandlers, type MeetingParts } from './meeting-routing.ts';
import type { UiErrorCode } from './messages.ts';
import { RoomRetry } from './reconnect.ts';
import { RoomConnection, roomSocketUrl, type WaitingReason } from './room.svelte.ts';
import { clientId, resumeStore } from './seat-store.ts';
import { exposeTestApi } from './test-hooks.ts';

export type Phase = 'prejoin' | 'joining' | 'waiting' | 'in-call' | 'ended';
/** Why the call ended. `ended`: the host ended it; `denied`: refused at the waiting room. */
export type EndReason = 'left' | 'removed' | 'ended' | 'denied' | 'disconnected' | 'error';
export type MeetingError = UiErrorCode | 'e2ee-unsupported';

interface JoinCredentials {
  name: string;
  password: string | undefined;
}

export class CallLifecycle {
  readonly id: string;
  readonly hostKey: string | undefined;
  #devices: LocalDevices;
  #parts: MeetingParts;
  #phase = $state<Phase>('prejoin');
  #endReason = $state<EndReason | null>(null);
  #error = $state<MeetingError | null>(null);
  #roomReconnecting = $state(false);
  #waitingReason = $state<WaitingReason | null>(null);
  #room = $state.raw<RoomConnection | null>(null);
  #credentials: JoinCredentials | null = null;
  #early: EarlySocket | null = null;
  readonly #retry = new RoomRetry();

  constructor(id: string, hostKey: string | undefined, devices: LocalDevices, parts: MeetingParts) {
    this.id = id;
    this.hostKey = hostKey;
    this.#devices = devices;
    this.#parts = parts;
  }

  get phase(): Phase {
    return this.#phase;
  }
  get endReason(): EndReason | null {
    return this.#endReason;
  }
  get error(): MeetingError | null {
    return this.#error;
  }
  get roomReconnecting(): boolean {
    return this.#roomReconnecting;
  }
  get waitingReason(): WaitingReason | null {
    return this.#waitingReason;
  }
  /** The current room session's connection, null between sessions. */
  get room(): RoomConnection | null {
    return this.#room;
  }

  /**
   * The pre-join form is showing: make the keys, open the room socket and, once the Room says
   * where the media will go, dial that origin and load the device, so the join finds all ready.
   */
  prepare(): void {
    if (this.#phase !== 'prejoin' || this.#room) return;
    this.#parts.keys.prepare();
    const url = roomSocketUrl(location, this.id);
    if (this.#early?.url === url) return;
    this.#early?.close();
    this.#early = new EarlySocket(url, undefined, (origin) => {
      if (this.#phase === 'prejoin') this.#parts.media.warm(origin);
    });
  }

  /** Joins with a display name (and the meeting password, if it has one). */
  join(name: string, password?: string): void {
    if (this.#phase === 'joining' || this.#phase === 'waiting' || this.#phase === 'in-call') return;
    this.#credentials = { name, password: password || undefined };
    this.#error = null;
    this.#endReason = null;
    this.#phase = 'joining';
    this.#retry.reset();
    this.#openRoom();
  }

  /** Dismisses a refused join's reason (back to the pre-join form). */
  clearError(): void {
    if (this.#phase === 'prejoin') this.#error = null;
  }

  /** Back to the pre-join check after the call ended (rejoin). */
  reset(): void {
    if (this.#phase !== 'ended') return;
    this.#error = null;
    this.#endReason = null;
    this.#parts.chat.clear();
    this.#parts.files.clear();
    this.#phase = 'prejoin';
  }

  /** Leaves for good: says goodbye to the room, closes media, stops the devices. */
  leave(): void {
    this.#end('left');
  }

  /** Tears everything down without a trace (page navigation). Safe to call twice. */
  dispose(): void {
    this.#teardown();
    this.#parts.keys.dispose();
    this.#devices.stop();
  }

  #openRoom(): void {
    const creds = this.#credentials;
    if (!creds) return;
    const e2ee = this.#parts.keys.open();
    const room: RoomConnection = new RoomConnection(
      roomHandlers(e2ee, () => room, this.#parts, {
        welcomed: (msg) => {
          resumeStore.set(this.id, msg.resume);
          this.#retry.reset();
          this.#roomReconnecting = false;
          this.#phase = 'in-call';
        },
        waiting: (reason) => {
          this.#waitingReason = reason;
          this.#roomReconnecting = false;
          this.#phase = 'waiting';
        },
        left: (reason) => this.#end(reason === 'removed' ? 'removed' : reason === 'ended' ? 'ended' : 'disconnected'),
        closedByRoom: (reason) => this.#end(reason),
        fail: (code) => this.fail(code),
        closed: (code, wasJoined) => this.#onRoomClosed(code, wasJoined),
      }),
    );
    this.#room = room;
    const cid = clientId();
    const resume = resumeStore.get(this.id);
    const url = roomSocketUrl(location, this.id);
    const early = this.#early?.take(url) ?? null;
    this.#early = null;
    room.connect(
      url,
      {
        ...(resume ? { resume } : {}),
        name: creds.name,
        publicKey: e2ee.publicKey,
        ...(cid ? { clientId: cid } : {}),
        ...(this.hostKey ? { hostKey: this.hostKey } : {}),
        ...(creds.password ? { password: creds.password } : {}),
      },
      early,
    );
  }

  #onRoomClosed(_code: number, wasJoined: boolean): void {
    if (this.#phase === 'ended' || this.#error) return;
    // Keep local devices; drop everything tied to the old identity and join again.
    this.#parts.media.close();
    this.#parts.keys.close();
    this.#parts.chat.detach();
    this.#parts.annotations.detach();
    this.#parts.files.detach();
    void this.#parts.share.stop(false);
    exposeTestApi(undefined);
    if (!wasJoined && this.#phase === 'joining' && this.#retry.attempt === 0) {
      this.fail('closed');
      return;
    }
    this.#parts.media.stopRetrying();
    this.#roomReconnecting = true;
    this.#retry.schedule(() => {
      this.#room = null;
      this.#openRoom();
    });
  }

  // ── endings ────────────────────────────────────────────────────────────────

  /** The call cannot go on (a refused join goes back to the form). */
  fail(code: MeetingError): void {
    const wasJoining = this.#phase === 'joining';
    this.#error = code;
    this.#teardown();
    // A refused join (wrong password, locked…) goes back to the pre-join form with the reason.
    if (wasJoining) this.#phase = 'prejoin';
    else {
      this.#endReason = 'error';
      this.#phase = 'ended';
    }
  }

  #end(reason: EndReason): void {
    this.#teardown();
    this.#devices.stop();
    this.#endReason = reason;
    this.#phase = 'ended';
  }

  #teardown(): void {
    this.#retry.cancel();
    this.#early?.close();
    this.#early = null;
    this.#parts.media.reset();
    this.#room?.leave();
    this.#room = null;
    this.#parts.keys.close();
    this.#parts.chat.detach();
    this.#parts.annotations.detach();
    this.#parts.files.detach();
    this.#parts.share.reset();
    this.#parts.recording.reset();
    this.#roomReconnecting = false;
    this.#parts.reactions.clear();
    exposeTestApi(undefined);
  }
}
