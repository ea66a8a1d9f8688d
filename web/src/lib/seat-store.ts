/**
 * What this browser keeps to be recognised by the Room again: a stable client id, and the
 * resume secret of its seat in each meeting.
 */
import { toB64url } from '@sealroom/crypto/bytes';

const CLIENT_ID_KEY = 'sealroom:client-id';

/** This browser's stable random id (lets a host's "don't let them back in" survive reconnects). */
export function clientId(): string | undefined {
  try {
    let id = localStorage.getItem(CLIENT_ID_KEY);
    if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
      const bytes = crypto.getRandomValues(new Uint8Array(18));
      id = toB64url(bytes);
      localStorage.setItem(CLIENT_ID_KEY, id);
    }
    return id;
  } catch {
    return undefined;
  }
}

/**
 * The seat's resume secret, per meeting, in this tab only: a reload or a reconnect of this tab
 * is the same participant, while a second tab is another one (it must not take the seat over).
 */
const resumeKey = (meetingId: string) => `sealroom:resume:${meetingId}`;
export const resumeStore = {
  get(meetingId: string): string | undefined {
    try {
      return sessionStorage.getItem(resumeKey(meetingId)) ?? undefined;
    } catch {
      return undefined;
    }
  },
  set(meetingId: string, secret: string | undefined): void {
    try {
      if (secret) sessionStorage.setItem(resumeKey(meetingId), secret);
      else sessionStorage.removeItem(resumeKey(meetingId));
    } catch {
      // storage unavailable: reconnects then start a new seat
    }
  },
};
