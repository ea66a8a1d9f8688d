/**
 * Shrinks a picked image until it fits in one sealed chat envelope (16 KiB of plaintext):
 * small images go as they are, bigger ones are redrawn smaller as JPEG at falling quality.
 */
import { toBase64 } from '@sealroom/crypto/bytes';
import { IMAGE_TYPES, MAX_PAYLOAD_BYTES, type ImageType } from './sealed-payload.ts';
import type { ChatImage } from './chat.svelte.ts';

/** Room left in the payload for the JSON framing and a caption. */
const FRAMING_BYTES = 600;
/** Largest base64 image that fits beside the framing. */
export const MAX_IMAGE_B64 = MAX_PAYLOAD_BYTES - FRAMING_BYTES;

export function imageDataUrl(img: ChatImage): string {
  return `data:${img.mime};base64,${img.data}`;
}

/** Returns the image ready to seal, or null when it is not an image we can read or shrink enough. */
export async function fitImage(file: Blob): Promise<ChatImage | null> {
  const type = file.type as ImageType;
  if (!(IMAGE_TYPES as readonly string[]).includes(type)) return null;
  if (file.size * 1.37 < MAX_IMAGE_B64) {
    const data = toBase64(new Uint8Array(await file.arrayBuffer()));
    if (data.length <= MAX_IMAGE_B64) return { mime: type, data };
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null;
  }
  try {
    for (const side of [480, 360, 240, 160]) {
      const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      const canvas = new OffscreenCanvas(Math.max(1, Math.round(bitmap.width * scale)), Math.max(1, Math.round(bitmap.height * scale)));
      const ctx = canvas.getContext('2d');
      if (!ctx) return null;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      for (const quality of [0.8, 0.6, 0.4]) {
        const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
        if (blob.size * 1.34 > MAX_IMAGE_B64) continue;
        const data = toBase64(new Uint8Array(await blob.arrayBuffer()));
        if (data.length <= MAX_IMAGE_B64) return { mime: 'image/jpeg', data };
      }
    }
    return null;
  } finally {
    bitmap.close();
  }
}
