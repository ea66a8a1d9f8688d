// Edge tests run inside workerd with the real Durable Object, D1 and R2 bindings.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineProject } from 'vitest/config';

const root = fileURLToPath(new URL('..', import.meta.url));
// wrangler.jsonc serves web/dist as assets; the edge tests don't need the built app, only the folder.
mkdirSync(`${root}/web/dist`, { recursive: true });

export default defineProject({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: `${root}/wrangler.jsonc` },
      miniflare: {
        bindings: {
          SEALROOM_SHARED_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
          TEST_MIGRATIONS: await readD1Migrations(`${root}/edge/migrations`),
        },
      },
    })),
  ],
  test: { name: 'edge', include: ['test/**/*.test.ts', 'src/**/*.test.ts'], setupFiles: ['./test/apply-migrations.ts'] },
});
