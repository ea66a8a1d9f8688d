/**
 * What the end-to-end tests (test/) and benchmarks (bench/) read from a page. Nothing here
 * changes behaviour except `__sealroomTest.disableKeyExchange`, which the test sets before the
 * app creates its E2ee.
 */
import type { E2ee } from './e2ee.ts';
import type { IceRoute, InboundStat } from './media-stats.ts';

/**
 * Whether this build carries the test hooks. The hooks hand a page's keys and internals to
 * whoever runs script in it, so a production build must not have them: the flag is a build-time
 * constant (Vite `define` of `__SEALROOM_TEST_HOOKS__`, set by web/vite.config.ts from the
 * environment's SEALROOM_TEST_HOOKS=1), false in the build that `npm start`, `npm run deploy` and
 * `npm run selfhost` serve, so every branch behind it is dropped from that bundle. The test stack
 * and the benchmarks serve a second build made with it on (web/dist-test, scripts/setup.mjs);
 * the web unit tests run with it on. A constant rather than a runtime setting: nothing a visitor
 * can do turns it on. Undefined (a tool that compiles this file without Vite) counts as off.
 */
export const TEST_HOOKS: boolean = typeof __SEALROOM_TEST_HOOKS__ !== 'undefined' && __SEALROOM_TEST_HOOKS__;

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
  /** Replaced at build time: see TEST_HOOKS. */
  const __SEALROOM_TEST_HOOKS__: boolean;
}

export function keyExchangeDisabledByTest(): boolean {
  if (!TEST_HOOKS) return false;
  return typeof window !== 'undefined' && window.__sealroomTest?.disableKeyExchange === true;
}

export function exposeTestApi(api: SealroomTestApi | undefined): void {
  if (!TEST_HOOKS || typeof window === 'undefined') return;
  if (api) window.__sealroom = api;
  else delete window.__sealroom;
}
