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
    cloudflareTest(async ({ inject }) => ({
      wrangler: { configPath: `${root}/wrangler.jsonc` },
      miniflare: {
        bindings: {
          SEALROOM_SHARED_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
          TEST_MIGRATIONS: await readD1Migrations(`${root}/edge/migrations`),
          // accounts: a fixed test master key, and scrypt at N=2^10 because scrypt runs ~20× slower
          // in this pool than in wrangler dev (production default N=2^15, see edge/src/accounts/password-cost.ts).
          SEALROOM_MASTER_KEY: 'dGVzdC1tYXN0ZXIta2V5LTAxMjM0NTY3ODlhYmNkZWY',
          SCRYPT_LOG_N: '10',
          SSO_DOMAIN_PROOF: 'operator', // tests have no DNS: SSO domains are approved by a signed operator call
          // Mail goes over a real SMTP session to the sink that mail-sink.global-setup.ts started.
          SMTP_HOST: '127.0.0.1',
          SMTP_PORT: String(inject('mailSink').smtpPort),
          SMTP_SECURE: 'off',
          SMTP_FROM: 'Sealroom <no-reply@sealroom.test>',
          // Tests say where a caller is with a header (edge/src/http/location-hint.ts).
          TRUST_REGION_HEADER: '1',
          // TURN credentials are minted into every grant (edge/src/origins/turn.ts).
          TURN_URLS: 'turn:127.0.0.1:3478?transport=udp,turn:127.0.0.1:3478?transport=tcp',
          TURN_SECRET: 'test-turn-secret-0123456789abcdef',
        },
      },
    })),
  ],
  test: {
    name: 'edge',
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    setupFiles: ['./test/apply-migrations.ts'],
    // accounts: samlify, in Node, signs the SAML responses the workerd tests post.
    globalSetup: [
      './test/accounts/saml-idp.global-setup.ts',
      './test/accounts/mail-sink.global-setup.ts',
      './test/control-sink.global-setup.ts',
      './test/origin-stand-ins.global-setup.ts',
    ],
  },
});
