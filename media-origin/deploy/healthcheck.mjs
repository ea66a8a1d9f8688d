// Container and monitoring health check: exit 0 when the origin on this host answers /healthz
// with 200, 1 otherwise. Reads the origin's own settings (the same env file), so it asks the
// right port over the right scheme. A loopback self-check: the certificate is not verified here
// (it names the public host, not 127.0.0.1); browsers and the edge verify it.
import http from 'node:http';
import https from 'node:https';

const env = process.env;
const listen = env.ORIGIN_LISTEN_IP && env.ORIGIN_LISTEN_IP !== '0.0.0.0' && env.ORIGIN_LISTEN_IP !== '::' ? env.ORIGIN_LISTEN_IP : '127.0.0.1';
const host = listen.includes(':') ? `[${listen}]` : listen;
const tls = Boolean(env.ORIGIN_TLS_CERT);
const url = `${tls ? 'https' : 'http'}://${host}:${env.ORIGIN_PORT || '4443'}/healthz`;

const req = (tls ? https : http).get(url, { timeout: 3000, ...(tls ? { rejectUnauthorized: false } : {}) }, (res) => {
  res.resume();
  if (res.statusCode !== 200) console.error(`${url}: ${res.statusCode}`);
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timed out')));
req.on('error', (err) => {
  console.error(`${url}: ${err.message}`);
  process.exit(1);
});
