/**
 * What the end-to-end test (test/) reads from a page. Nothing here changes behaviour except
 * `__sealroomTest.disableKeyExchange`, which the test sets before the app creates its E2ee.
 */
import type { E2ee } from './e2ee.ts';
import type { IceRoute, InboundStat } from './media.svelte.ts';

export interface SealroomTestApi {
  selfId: string;
  /** Ids of the other participants currently in the meeting (this client excluded). */
  participants(): string[];
  e2ee: E2ee;
  inboundStats(): Promise<InboundStat[]>;
  /** Whether our consumer of that participant's camera is paused (null: none). */
  cameraPaused(participantId: string): boolean | null;
  /** How our transports reach the origin (direct or through TURN). */
  iceRoutes(): Promise<IceRoute[]>;
}

declare global {
  interface Window {
    __sealroom?: SealroomTestApi;
    __sealroomTest?: { disableKeyExchange?: boolean };
  }
}

export function keyExchangeDisabledByTest(): boolean {
  return typeof window !== 'undefined' && window.__sealroomTest?.disableKeyExchange === true;
}

export function exposeTestApi(api: SealroomTestApi | undefined): void {
  if (typeof window === 'undefined') return;
  if (api) window.__sealroom = api;
  else delete window.__sealroom;
}
