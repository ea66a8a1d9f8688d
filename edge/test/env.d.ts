import type { D1Migration } from 'cloudflare:test';
import type { Env as EdgeEnv } from '../src/env.ts';

declare global {
  namespace Cloudflare {
    interface Env extends EdgeEnv {
      TEST_MIGRATIONS: D1Migration[];
    }
    interface GlobalProps {
      mainModule: typeof import('../src/index.ts');
      durableNamespaces: 'Room';
    }
  }
}
