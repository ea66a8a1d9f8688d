// Smoke test of the ensured mediasoup worker:
//   node_modules/.bin/node scripts/mediasoup-worker/check.mjs
// Creates worker, router (opus + VP8) and a WebRtcTransport on 127.0.0.1, then
// completes ICE + a DTLS handshake with `openssl s_client`, because the one
// known failure of the offline build (the BIO callback crash, see ensure.mjs)
// only shows on a real DTLS handshake. Prints OK on success.

import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes, X509Certificate } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { ensureMediasoupWorker } from './ensure.mjs';

// mediasoup reads MEDIASOUP_WORKER_BIN when its module loads, hence the
// dynamic import after setting it.
process.env.MEDIASOUP_WORKER_BIN = await ensureMediasoupWorker();
const mediasoup = await import('mediasoup');

const deadline = setTimeout(() => {
  console.error('check: timed out');
  process.exit(1);
}, 20_000);

const worker = await mediasoup.createWorker({ logLevel: 'warn' });
worker.on('died', (err) => {
  console.error(`check: worker died: ${err}`);
  process.exit(1);
});
const router = await worker.createRouter({
  mediaCodecs: [
    { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
    { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
  ],
});
const transport = await router.createWebRtcTransport({
  listenInfos: [
    { protocol: 'udp', ip: '127.0.0.1' },
    { protocol: 'tcp', ip: '127.0.0.1' },
  ],
});
const udp = transport.iceCandidates.find((c) => c.protocol === 'udp');
console.log(`worker ${worker.pid}, router ${router.id}, transport ${transport.id}, udp ${udp.ip}:${udp.port}`);

// --- DTLS handshake, only if openssl is there (cheap; skipped otherwise) ---
if (spawnSync('openssl', ['version']).status === 0) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sealroom-dtls-check-'));
  const [cert, key] = [path.join(tmp, 'cert.pem'), path.join(tmp, 'key.pem')];
  spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=check', '-days', '1', '-keyout', key, '-out', cert],
    { stdio: 'ignore' },
  );
  const fingerprint = new X509Certificate(fs.readFileSync(cert)).fingerprint256;

  // mediasoup is ICE-lite: one authenticated STUN binding request from a
  // socket selects it as the path; DTLS must then come from the same socket.
  // s_client cannot use that socket, so relay its datagrams through it.
  const ice = dgram.createSocket('udp4');
  const front = dgram.createSocket('udp4');
  await Promise.all([new Promise((r) => ice.bind(0, '127.0.0.1', r)), new Promise((r) => front.bind(0, '127.0.0.1', r))]);
  let client;
  front.on('message', (msg, rinfo) => {
    client = rinfo;
    ice.send(msg, udp.port, udp.ip);
  });
  const iceConnected = new Promise((resolve) => transport.on('icestatechange', (s) => s !== 'new' && resolve(s)));
  ice.on('message', (msg) => {
    if (msg.readUInt16BE(0) === 0x0101) return; // STUN success response
    if (client) front.send(msg, client.port, client.address);
  });
  ice.send(stunBindingRequest(transport.iceParameters), udp.port, udp.ip);
  console.log(`ICE ${await iceConnected}`);

  await transport.connect({ dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: fingerprint }] } });
  const dtlsDone = new Promise((resolve) => transport.on('dtlsstatechange', (s) => s !== 'connecting' && resolve(s)));
  const sClient = spawn(
    'openssl',
    ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${front.address().port}`, '-cert', cert, '-key', key, '-use_srtp', 'SRTP_AES128_CM_SHA1_80'],
    { stdio: ['pipe', 'ignore', 'ignore'] },
  );
  const state = await dtlsDone;
  sClient.kill();
  ice.close();
  front.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  if (state !== 'connected') throw new Error(`DTLS state ${state}`);
  // The crash hit in SSL_read() right after the handshake: prove the worker still answers.
  await transport.getStats();
  console.log('DTLS connected, worker alive');
} else {
  console.log('openssl not found: DTLS handshake check skipped');
}

worker.close();
clearTimeout(deadline);
console.log('OK');

// RFC 5389/8445 Binding request with USERNAME, PRIORITY, ICE-CONTROLLING,
// USE-CANDIDATE, MESSAGE-INTEGRITY (short-term credential) and FINGERPRINT.
function stunBindingRequest({ usernameFragment, password }) {
  const attr = (type, value) => {
    const a = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
    a.writeUInt16BE(type, 0);
    a.writeUInt16BE(value.length, 2);
    value.copy(a, 4);
    return a;
  };
  const u32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  let body = Buffer.concat([
    attr(0x0006, Buffer.from(`${usernameFragment}:check`)),
    attr(0x0024, u32(0x6e7f00ff)),
    attr(0x802a, randomBytes(8)),
    attr(0x0025, Buffer.alloc(0)),
  ]);
  const header = (len) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(0x0001, 0);
    h.writeUInt16BE(len, 2);
    h.writeUInt32BE(0x2112a442, 4);
    txid.copy(h, 8);
    return h;
  };
  const txid = randomBytes(12);
  const mi = createHmac('sha1', password)
    .update(Buffer.concat([header(body.length + 24), body]))
    .digest();
  body = Buffer.concat([body, attr(0x0008, mi)]);
  const crc = (zlib.crc32(Buffer.concat([header(body.length + 8), body])) ^ 0x5354554e) >>> 0;
  body = Buffer.concat([body, attr(0x8028, u32(crc))]);
  return Buffer.concat([header(body.length), body]);
}
