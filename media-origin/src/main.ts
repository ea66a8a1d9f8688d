/**
 * Entry point: `tsx media-origin/src/main.ts [--flags]`. The launcher exports
 * MEDIASOUP_WORKER_BIN (scripts/mediasoup-worker/ensure.mjs) before starting this.
 */
import { ConfigError, HELP, loadConfig } from './config.ts';
import { createLogger, errText } from './log.ts';
import { Origin } from './origin.ts';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  let config;
  try {
    config = loadConfig(process.env, argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel, { originId: config.originId });
  const origin = await Origin.create(config, { log });
  // The launcher waits for exactly this line; the other URLs go to the structured log.
  log.info({ event: 'origin_urls', ws: origin.wsUrl, control: `${origin.url}/control`, metrics: origin.metricsUrl });
  console.log(`media origin listening on ${origin.url}`);

  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      // A second Ctrl-C means now.
      log.warn({ event: 'forced_shutdown', signal });
      void origin.close().finally(() => process.exit(1));
      return;
    }
    log.info({ event: 'shutdown_requested', signal });
    origin.drain().then(
      () => process.exit(0),
      (err) => {
        log.error({ event: 'drain_failed', error: errText(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // After a certificate renewal (certbot's deploy hook, `systemctl reload`): new files, no restart.
  process.on('SIGHUP', () => {
    try {
      origin.reloadTls();
    } catch (err) {
      log.error({ event: 'tls_reload_failed', error: errText(err) });
    }
  });
}

main().catch((err) => {
  console.error(`media origin failed to start: ${errText(err)}`);
  process.exit(1);
});
