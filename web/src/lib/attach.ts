/** Svelte attachments that bind live objects to elements. */
import type { Attachment } from 'svelte/attachments';

/**
 * Plays the given tracks in a <video> or <audio> element; re-runs when the track list
 * changes (the attachment's argument is reactive), and detaches on removal.
 */
export function playTracks(tracks: readonly (MediaStreamTrack | null | undefined)[]): Attachment<HTMLMediaElement> {
  return (el) => {
    const live = tracks.filter((t): t is MediaStreamTrack => !!t);
    el.srcObject = live.length ? new MediaStream(live) : null;
    if (live.length)
      el.play().catch(() => {
        // Autoplay refused (no user gesture yet): the element's own controls or the next click start it.
      });
    return () => {
      el.srcObject = null;
    };
  };
}

/** Routes an <audio> element to the chosen speaker where the browser allows it. */
export function sinkId(id: string): Attachment<HTMLMediaElement> {
  return (el) => {
    const set = (el as HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> }).setSinkId;
    if (id && set) set.call(el, id).catch(() => {});
  };
}
