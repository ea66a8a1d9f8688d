/** The recordings pages' <video data-testid=rec-video>, watched from the test. */
import type { Page } from 'playwright-core';

/** Waits until the player has decoded frames; returns its size and frame count. */
export async function framesDecode(page: Page, timeout = 20_000): Promise<{ width: number; height: number; frames: number; bufferedEnd: number }> {
  await page.waitForFunction(
    () => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid=rec-video]');
      return Boolean(v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 0);
    },
    null,
    { timeout },
  );
  return page.evaluate(() => {
    const v = document.querySelector<HTMLVideoElement>('[data-testid=rec-video]')!;
    return {
      width: v.videoWidth,
      height: v.videoHeight,
      frames: v.getVideoPlaybackQuality().totalVideoFrames,
      bufferedEnd: v.buffered.length ? v.buffered.end(0) : 0,
    };
  });
}
