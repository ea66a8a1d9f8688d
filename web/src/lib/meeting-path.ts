/**
 * A meeting link's path, and where the page's head script leaves what it started for one
 * (web/build/meeting-preload.ts). Plain values, no imports: the build reads them too.
 */

/** `/m/<meeting id>`, the id captured. */
export const MEETING_PATH = /^\/m\/([0-9]{9,11})\/?$/;

/** The window property holding the head script's meeting lookup: `{ path, answer }`. */
export const HEAD_START_KEY = 'sealroomHeadStart';
