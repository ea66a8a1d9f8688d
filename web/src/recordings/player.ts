/**
 * Opens a downloaded recording in the browser: the sealed bytes stream in, each chunk opens as
 * soon as its frame is whole (container.ts), and the plaintext goes to the video element through
 * Media Source Extensions as it arrives, or into a Blob where MSE cannot take the type.
 */
import { RecordingOpener } from './container.ts';

export interface Opened {
  /** False when the recording was cut short (its browser stopped mid-way): it plays up to the cut. */
  complete: boolean;
  bytes: number;
}

/** Feeds every plaintext chunk of `res`'s body to `sink`, in order. */
export async function openStream(res: Response, recordingId: string, key: Uint8Array, sink: (chunk: Uint8Array) => void | Promise<void>): Promise<Opened> {
  if (!res.body) throw new Error('empty response');
  const opener = new RecordingOpener(recordingId, key);
  const reader = res.body.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const chunk of opener.push(value)) {
      bytes += chunk.length;
      if (chunk.length) await sink(chunk);
    }
  }
  return { complete: opener.end().complete, bytes };
}

/** The whole decrypted recording as a Blob (for a download, or a player without MSE). */
export async function decryptToBlob(res: Response, recordingId: string, key: Uint8Array, mimeType: string): Promise<{ blob: Blob } & Opened> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  const opened = await openStream(res, recordingId, key, (c) => void parts.push(c as Uint8Array<ArrayBuffer>));
  return { blob: new Blob(parts, { type: mimeType }), ...opened };
}

const once = (t: EventTarget, name: string) => new Promise<void>((r) => t.addEventListener(name, () => r(), { once: true }));

/**
 * Plays a recording in `video` while it downloads.
 * @returns once the whole recording is appended (or the Blob is set)
 */
export async function playInto(video: HTMLVideoElement, res: Response, recordingId: string, key: Uint8Array, mimeType: string): Promise<Opened> {
  if (typeof MediaSource === 'undefined' || !MediaSource.isTypeSupported(mimeType)) {
    const { blob, ...opened } = await decryptToBlob(res, recordingId, key, mimeType);
    video.src = URL.createObjectURL(blob);
    return opened;
  }
  const ms = new MediaSource();
  video.src = URL.createObjectURL(ms);
  await once(ms, 'sourceopen');
  const sb = ms.addSourceBuffer(mimeType);
  const opened = await openStream(res, recordingId, key, async (chunk) => {
    if (sb.updating) await once(sb, 'updateend');
    sb.appendBuffer(chunk as Uint8Array<ArrayBuffer>);
    await once(sb, 'updateend');
  });
  if (ms.readyState === 'open') ms.endOfStream();
  return opened;
}

/** Saves a Blob as a file through a temporary link. */
export function saveBlob(blob: Blob, filename: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}
