import type { Page } from 'playwright-core';

/** What `MediaSession.iceRoutes()` reports (web/src/lib/media.svelte.ts). */
export interface IceRoute {
  direction: 'send' | 'recv';
  candidateType: string;
  protocol: string;
  relayProtocol: string | null;
  remotePort: number;
}

/** The selected ICE route of each of the page's transports. */
export const iceRoutes = (page: Page): Promise<IceRoute[]> =>
  page.evaluate(() => (window as unknown as { __sealroom: { iceRoutes(): Promise<IceRoute[]> } }).__sealroom.iceRoutes());
