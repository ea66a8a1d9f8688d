/**
 * A meeting's public details, asked for the moment the app starts on a meeting link, so the lookup
 * runs while the meeting page's code loads instead of after it (one round trip off the time from
 * link to call). The page takes that answer once; every later lookup goes to the network.
 */
import { getMeeting, type MeetingPublic } from './api.ts';

let early: { id: string; answer: Promise<MeetingPublic> } | null = null;

/** Starts the lookup for `id` now; its failure is reported to whoever takes it. */
export function lookUpEarly(id: string, fetcher: typeof fetch = fetch): void {
  const answer = getMeeting(id, fetcher);
  answer.catch(() => {});
  early = { id, answer };
}

/** The early answer for `id` if one is waiting, else a fresh lookup. */
export function lookUpMeeting(id: string, fetcher: typeof fetch = fetch): Promise<MeetingPublic> {
  const taken = early;
  early = null;
  return taken?.id === id ? taken.answer : getMeeting(id, fetcher);
}
