// `npm start`: everything a fresh clone needs, then the whole stack on 127.0.0.1 until Ctrl-C.
import { localMasterKey, localSecret } from './env.mjs';
import { buildWeb, ensureWorker } from './setup.mjs';
import { startStack } from './stack.mjs';

const workerBin = await ensureWorker();
buildWeb();
const port = Number(process.env.PORT ?? 8787);
// The mail sink's page: where sign-up verification mails show up (nothing is sent anywhere else).
const mailPort = Number(process.env.MAIL_PORT ?? 8025);
const stack = await startStack({ port, secret: localSecret(), masterKey: localMasterKey(), workerBin, mailPort });
console.log(
  `\n  Sealroom is running: ${stack.url}\n  Open it in a browser, create a meeting, share its link. Ctrl-C stops everything.\n  Mail it sends (sign-up verification links): ${stack.mailUrl}\n`,
);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log('» stopping…');
  await stack.stop();
  console.log('» stopped');
  process.exit(0);
};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, shutdown);
// Keep the event loop alive until a signal arrives.
setInterval(() => {}, 1 << 30);
