/** The current route, kept in step with the address bar (pushState and back/forward). */
import { parseRoute, type Route } from './route.ts';

class Navigation {
  #route = $state.raw<Route>(parseRoute(globalThis.location?.pathname ?? '/'));

  constructor() {
    globalThis.addEventListener?.('popstate', () => {
      this.#route = parseRoute(location.pathname);
    });
  }

  get route(): Route {
    return this.#route;
  }

  /** Opens an in-app path (fragment allowed) without reloading. */
  go(path: string): void {
    history.pushState(null, '', path);
    this.#route = parseRoute(location.pathname);
  }
}

export const nav = new Navigation();
