/**
 * A meeting's public details, asked for the moment the app starts on a meeting link, so the lookup
 * runs while the meeting page's code loads instead of after it (one round trip off the time from
 * link to call). The page takes that answer once; every later lookup goes to the network.
 */
import { getMeeting, type MeetingPublic } from './api.ts';
import { HEAD_START_KEY } from './meeting-path.ts';

let early: { id: string; answer: Promise<MeetingPublic> } | null = null;

/** What the page's head script started for a meeting link (web/build/meeting-preload.ts). */
interface HeadStart {
  path: string;
  answer: Promise<Response>;
}

/** The head script's request, taken once. */
function takeHeadStart(): HeadStart | null {
  const w = globalThis as unknown as Record<string, HeadStart | undefined>;
  const started = w[HEAD_START_KEY] ?? null;
  delete w[HEAD_START_KEY];
  return started;
}

/**
 * Starts the lookup for `id` now, or takes the one the page's head script started for it; its
 * failure is reported to whoever takes it. The answer is parsed the same way either way.
 */
export function lookUpEarly(id: string, fetcher: typeof fetch = fetch): void {
  const started = takeHeadStart();
  const viaHead: typeof fetch = (input, init) => (started && input === started.path ? started.answer : fetcher(input, init));
  const answer = getMeeting(id, viaHead);
  answer.catch(() => {});
  early = { id, answer };
}

/** The early answer for `id` if one is waiting, else a fresh lookup. */
export function lookUpMeeting(id: string, fetcher: typeof fetch = fetch): Promise<MeetingPublic> {
  const taken = early;
  early = null;
  return taken?.id === id ? taken.answer : getMeeting(id, fetcher);
}
