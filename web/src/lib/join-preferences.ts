/**
 * What a returning user chose at the pre-join form, kept in this browser: the camera, microphone
 * and speaker, whether they join with microphone and camera on, and whether to skip the form next
 * time and join at once. Saved when they join; read through one schema, so a value another
 * version or a hand edit left behind falls back to the defaults instead of reaching the app.
 */
import { z } from 'zod';

const STORAGE_KEY = 'sealroom:join-preferences';

/** Device ids are opaque strings from the browser (about 64 characters in Chromium). */
const DeviceId = z.string().max(256);

export const JoinPreferences = z.strictObject({
  /** Join at once on the next meeting link, with the remembered name and all of this. */
  skip: z.boolean(),
  micOn: z.boolean(),
  camOn: z.boolean(),
  camera: DeviceId,
  microphone: DeviceId,
  speaker: DeviceId,
});
export type JoinPreferences = z.infer<typeof JoinPreferences>;

export const DEFAULT_PREFERENCES: JoinPreferences = { skip: false, micOn: true, camOn: true, camera: '', microphone: '', speaker: '' };

/** The stored preferences, or the defaults when there are none or they do not parse. */
export function readPreferences(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): JoinPreferences {
  try {
    const raw = storage?.getItem(STORAGE_KEY);
    if (!raw) return DEFAULT_PREFERENCES;
    const parsed = JoinPreferences.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : DEFAULT_PREFERENCES;
  } catch {
    return DEFAULT_PREFERENCES;
  }
}

export function savePreferences(prefs: JoinPreferences, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(JoinPreferences.parse(prefs)));
  } catch {
    // Storage full or blocked: the form shows next time, as for anyone new.
  }
}

/** Whether a page opened on a meeting link may join without showing the form. */
export function skipsForm(prefs: JoinPreferences, name: string, hasPassword: boolean): boolean {
  // A password is typed each time, and a join without a usable name would be refused.
  return prefs.skip && !hasPassword && name.trim().length > 0;
}
