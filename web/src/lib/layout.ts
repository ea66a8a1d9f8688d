/** Tile layout rules for the meeting room: gallery pages and the speaker view's choice of speaker. */

/** 4 suits a phone; 9, 16 and 25 larger screens. */
export const PAGE_SIZES = [4, 9, 16, 25] as const;
export type PageSize = (typeof PAGE_SIZES)[number];
export type Layout = 'gallery' | 'speaker';
/** How many others the speaker view shows in its strip. */
export const SPEAKER_STRIP = 6;

export interface Page<T> {
  items: T[];
  /** Zero-based, clamped into range. */
  page: number;
  pages: number;
}

/** One page of `all`; an out-of-range page (people left) falls back to the last one. */
export function paginate<T>(all: readonly T[], size: number, page: number): Page<T> {
  const pages = Math.max(1, Math.ceil(all.length / size));
  const p = Math.min(Math.max(0, page), pages - 1);
  return { items: all.slice(p * size, p * size + size), page: p, pages };
}

/**
 * Who fills the speaker view: the spotlight if the host set one, else whoever the origin says is
 * speaking (if it is someone else), else the last one who spoke, else the first other person.
 */
export function pickSpeaker(others: readonly string[], spotlight: string | null, active: string | null, last: string | null): string | null {
  const here = (id: string | null): id is string => id !== null && others.includes(id);
  if (here(spotlight)) return spotlight;
  if (here(active)) return active;
  if (here(last)) return last;
  return others[0] ?? null;
}

/** Ids in `all` not in `shown`: their cameras can pause. */
export function offScreen(all: readonly string[], shown: readonly string[]): string[] {
  const s = new Set(shown);
  return all.filter((id) => !s.has(id));
}
