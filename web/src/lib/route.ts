/**
 * Client-side routing on `location.pathname` (the edge serves the app for `/` and `/m/:id`),
 * meeting-id input parsing, and the host key that travels only in the URL fragment.
 */
import { MeetingId } from '@sealroom/protocol';
import { MEETING_PATH } from './meeting-path.ts';

export type Route =
  | { page: 'home' }
  | { page: 'meeting'; id: string }
  | { page: 'schedule' }
  | { page: 'edit'; id: string }
  | { page: 'recordings' }
  /** Sign-in and the admin console; `mfa` is the enrolment page, `verify-email` the page a verification mail links to. */
  | { page: 'account'; section: 'admin' | 'mfa' | 'signup' | 'verify-email' }
  /** A shared recording: the key is in the fragment, which never reaches the server. */
  | { page: 'shared-recording'; shareId: string }
  | { page: 'not-found' };

export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '') return { page: 'home' };
  if (pathname === '/schedule' || pathname === '/schedule/') return { page: 'schedule' };
  if (pathname === '/recordings' || pathname === '/recordings/') return { page: 'recordings' };
  if (pathname === '/signin' || pathname === '/admin' || pathname === '/admin/') return { page: 'account', section: 'admin' };
  if (pathname === '/account/mfa') return { page: 'account', section: 'mfa' };
  if (pathname === '/signup' || pathname === '/signup/') return { page: 'account', section: 'signup' };
  if (pathname === '/verify-email' || pathname === '/verify-email/') return { page: 'account', section: 'verify-email' };
  const shared = /^\/r\/([A-Za-z0-9_-]{8,64})\/?$/.exec(pathname);
  if (shared?.[1]) return { page: 'shared-recording', shareId: shared[1] };
  const edit = /^\/m\/([0-9]{9,11})\/edit\/?$/.exec(pathname);
  if (edit?.[1]) return { page: 'edit', id: edit[1] };
  const m = MEETING_PATH.exec(pathname);
  return m?.[1] ? { page: 'meeting', id: m[1] } : { page: 'not-found' };
}

/**
 * What someone typed or pasted in "join a meeting": a bare id (spaces and dashes allowed,
 * as ids are read aloud in groups) or a meeting link. Returns the path to open, fragment
 * included (a host link keeps its `#host=`), or null.
 */
export function parseJoinInput(input: string): string | null {
  const text = input.trim();
  const digits = text.replace(/[\s-]/g, '');
  if (MeetingId.safeParse(digits).success) return `/m/${digits}`;
  try {
    const url = new URL(text, 'https://placeholder.invalid');
    const route = parseRoute(url.pathname);
    if (route.page !== 'meeting') return null;
    return `/m/${route.id}${url.hash}`;
  } catch {
    return null;
  }
}

/** Groups a meeting id for reading aloud: 123 456 789, 1234 567 890. */
export function formatMeetingId(id: string): string {
  const head = id.length % 3 === 0 ? 3 : id.length % 3 === 1 ? 4 : 5;
  const groups = [id.slice(0, head)];
  for (let i = head; i < id.length; i += 3) groups.push(id.slice(i, i + 3));
  return groups.join(' ');
}

const hostKeyItem = (meetingId: string) => `sealroom:host:${meetingId}`;

interface HostKeyEnv {
  location: { hash: string; pathname: string; search: string };
  history: { replaceState(data: unknown, unused: string, url?: string): void; state: unknown };
  storage: Pick<Storage, 'getItem' | 'setItem'>;
}

/**
 * Moves `#host=<key>` from the URL into sessionStorage (so it is not shared by copying the
 * address bar, nor kept in history) and returns the host key for this meeting, if any.
 */
export function takeHostKey(meetingId: string, env: HostKeyEnv): string | undefined {
  const params = new URLSearchParams(env.location.hash.replace(/^#/, ''));
  const fromHash = params.get('host');
  if (fromHash) {
    try {
      env.storage.setItem(hostKeyItem(meetingId), fromHash);
    } catch {
      // Storage refused: the key still works for this page load.
    }
    env.history.replaceState(env.history.state, '', env.location.pathname + env.location.search);
    return fromHash;
  }
  try {
    return env.storage.getItem(hostKeyItem(meetingId)) ?? undefined;
  } catch {
    return undefined;
  }
}
