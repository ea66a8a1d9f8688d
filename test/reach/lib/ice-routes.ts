import type { Page } from 'playwright-core';
import type { IceRoute } from '../../../web/src/lib/media-stats.ts';

export type { IceRoute };

/** The selected ICE route of each of the page's transports. */
export const iceRoutes = (page: Page): Promise<IceRoute[]> =>
  page.evaluate(() => (window as unknown as { __sealroom: { iceRoutes(): Promise<IceRoute[]> } }).__sealroom.iceRoutes());
