/**
 * Key frame requests for a video consumer that has forwarded nothing since it was resumed.
 *
 * mediasoup asks the sender for a key frame when a consumer resumes, and retries once. A request
 * lost on the way, or answered by a key frame the sender's E2EE transform dropped (its key not
 * ready yet), leaves the consumer waiting for a key frame nobody asks for again: its receiver
 * gets no packets at all, so the browser never sends a PLI of its own, and the tile stays black
 * for as long as the sender's encoder goes without a spontaneous key frame (minutes). So ask
 * again, a bounded number of times, until the consumer forwards something.
 */
import type { types as ms } from 'mediasoup';

export const KEY_FRAME_NUDGE_MS = 1500;
export const KEY_FRAME_NUDGES = 8;

const running = new WeakMap<ms.Consumer, () => void>();

/** Starts (or restarts) the requests for `consumer`; they end when it forwards, closes, or after `attempts`. */
export function nudgeKeyFrames(consumer: ms.Consumer, intervalMs = KEY_FRAME_NUDGE_MS, attempts = KEY_FRAME_NUDGES): void {
  running.get(consumer)?.();
  let left = attempts;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    clearTimeout(timer);
    running.delete(consumer);
  };
  const tick = async () => {
    if (consumer.closed || left-- <= 0) return stop();
    // Paused on either side: there is nothing to forward yet, and no reason to disturb the sender.
    if (!consumer.paused && !consumer.producerPaused) {
      const stats = await consumer.getStats().catch(() => []);
      if (stats.some((s) => s.type === 'outbound-rtp' && s.packetCount > 0)) return stop();
      await consumer.requestKeyFrame().catch(() => undefined);
    }
    if (consumer.closed || running.get(consumer) !== stop) return;
    timer = setTimeout(() => void tick(), intervalMs);
    timer.unref();
  };
  running.set(consumer, stop);
  consumer.observer.once('close', stop);
  timer = setTimeout(() => void tick(), intervalMs);
  timer.unref();
}
