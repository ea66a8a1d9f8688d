// A private certificate authority and a server certificate it signed, for running the media
// origin with TLS where no public CA can issue one: tests, and a host inside a customer network
// whose browsers are told to trust the CA.
//
// Why a CA and not one self-signed certificate: workerd (through wrangler's NODE_EXTRA_CA_CERTS)
// and Node trust a CA file; a server certificate that is its own CA is refused by some of them.
// Uses the openssl command line (Debian's openssl package); plain ESM, no npm dependencies.
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Writes ca.pem, ca-key.pem, cert.pem (server, signed by the CA) and key.pem into `dir`.
 * `names` are the server's IP addresses and DNS names (subjectAltName).
 * @param {string} dir
 * @param {{ names?: string[], days?: number }} [o]
 * @returns {{ caFile: string, certFile: string, keyFile: string, spki: string }} spki: base64
 *   SHA-256 of the server key, for Chromium's --ignore-certificate-errors-spki-list
 */
export function makeLocalTls(dir, o = {}) {
  const names = o.names ?? ['127.0.0.1', 'localhost'];
  const days = String(o.days ?? 30);
  mkdirSync(dir, { recursive: true });
  const f = (name) => path.join(dir, name);
  const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  writeFileSync(
    f('server.ext'),
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`,
  );
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    f('ca-key.pem'),
    '-out',
    f('ca.pem'),
    '-days',
    days,
    '-subj',
    '/CN=Sealroom local CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    f('key.pem'),
    '-out',
    f('server.csr'),
    '-subj',
    `/CN=${names[0]}`,
  ]);
  openssl([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca-key.pem'),
    '-CAcreateserial',
    '-out',
    f('cert.pem'),
    '-days',
    days,
    '-extfile',
    f('server.ext'),
  ]);
  const cert = new X509Certificate(readFileSync(f('cert.pem')));
  const spki = createHash('sha256')
    .update(cert.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');
  return { caFile: f('ca.pem'), certFile: f('cert.pem'), keyFile: f('key.pem'), spki };
}

function openssl(args) {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`openssl is needed for a local certificate (Debian package openssl): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.trim()}`);
}
