// Finds or builds a mediasoup-worker binary and returns its absolute path.
//
// Why: mediasoup's postinstall downloads a prebuilt worker from GitHub or
// builds it with pip-installed meson and wrap downloads; neither is reachable
// offline. On such machines we build the worker from the npm tarball's own
// sources against Debian's libraries (see README.md) and cache the binary per
// user, so every clone on the machine reuses it instead of rebuilding (~5 min).
//
// Usage: `node scripts/mediasoup-worker/ensure.mjs` (path on the last stdout
// line), or `await ensureMediasoupWorker({ root, log })`. Callers must then
// export MEDIASOUP_WORKER_BIN=<path> before mediasoup is imported.
//
// Plain ESM with no npm dependencies: it runs before/without `npm install`
// having produced a worker, on Node 20 and 22.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// Bump when the build recipe in this file changes in a way that affects the
// binary (edits, meson options), so cached binaries built the old way are not reused.
const RECIPE = 1;

// Debian packages needed to build. The -dev packages' versions equal the
// runtime libraries' versions, so they also key the cache: a library upgrade
// yields a new key and a rebuild against it.
const DEB_PACKAGES = [
  'g++',
  'meson',
  'ninja-build',
  'pkg-config',
  'libssl-dev',
  'libuv1-dev',
  'libsrtp2-dev',
  'libusrsctp-dev',
  'libabsl-dev',
  'libflatbuffers-dev',
  'flatbuffers-compiler',
];

// mediasoup's BIO callback tests `== BIO_CB_RETURN`, so it answers 1 to every
// BIO control query; with Debian's kTLS-enabled OpenSSL that makes SSL_read()
// think kTLS send is on, skip allocating its write buffer and segfault on the
// first DTLS handshake. `&` is the intended test.
const DTLS_BUG = '(operationType == BIO_CB_RETURN)';
const DTLS_FIX = '(operationType & BIO_CB_RETURN)';

const defaultRoot = path.resolve(HERE, '..', '..');

/**
 * @param {{ root?: string, log?: (line: string) => void }} [options]
 * @returns {Promise<string>} absolute path of a usable mediasoup-worker
 */
export async function ensureMediasoupWorker({ root = defaultRoot, log = (l) => console.error(l) } = {}) {
  root = path.resolve(root);

  // (a) Explicit override, e.g. a worker built elsewhere.
  const envBin = process.env.MEDIASOUP_WORKER_BIN;
  if (envBin) {
    if (isExecutable(envBin)) return path.resolve(envBin);
    log(`mediasoup worker: ignoring MEDIASOUP_WORKER_BIN=${envBin} (not an executable file)`);
  }

  const msDir = path.join(root, 'node_modules', 'mediasoup');
  let msVersion;
  try {
    msVersion = JSON.parse(fs.readFileSync(path.join(msDir, 'package.json'), 'utf8')).version;
  } catch {
    throw new Error(`mediasoup worker: ${msDir} not found; run npm install first`);
  }

  // (b) Normal install on a machine with internet: postinstall fetched it.
  const prebuilt = path.join(msDir, 'worker', 'out', 'Release', 'mediasoup-worker');
  if (isExecutable(prebuilt)) return prebuilt;

  // (c) Per-user cache. Not XDG_CACHE_HOME: some project scripts point that
  // into the repo (for wrangler), which would defeat sharing across clones.
  const cacheRoot = process.env.SEALROOM_CACHE_DIR || path.join(os.homedir(), '.cache', 'sealroom');
  const installed = debVersions();
  const key = cacheKey(msVersion, installed);
  const keyDir = path.join(cacheRoot, 'mediasoup-worker', key);
  const bin = path.join(keyDir, 'mediasoup-worker');
  if (isExecutable(bin)) return bin;

  // (d) Build, once per machine even if several runs start together.
  fs.mkdirSync(keyDir, { recursive: true });
  const release = await acquireLock(path.join(keyDir, 'build.lock'), log);
  try {
    if (isExecutable(bin)) return bin; // another run finished it while we waited
    // The build installs missing packages first, which changes the key: the binary goes under the
    // key of what it was built against, where the next run (packages now present) looks for it.
    const binForInstalled = () => path.join(cacheRoot, 'mediasoup-worker', cacheKey(msVersion, debVersions()), 'mediasoup-worker');
    return await build({ msDir, msVersion, installed, binForInstalled, log });
  } finally {
    release();
  }
}

function isExecutable(file) {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// Map of Debian package -> installed version (absent if not installed, or if
// this is not a Debian-like system).
function debVersions() {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev} ${Version}\n', ...DEB_PACKAGES], {
    encoding: 'utf8',
  });
  const out = {};
  // dpkg-query exits 1 when some package is unknown but still lists the rest.
  for (const line of (r.stdout || '').split('\n')) {
    const [pkg, status, version] = line.trim().split(/\s+/);
    if (pkg && status === 'ii' && version) out[pkg.replace(/:.*$/, '')] = version;
  }
  return out;
}

function cacheKey(msVersion, installed) {
  const h = createHash('sha256');
  h.update(JSON.stringify({ RECIPE, arch: process.arch, deb: DEB_PACKAGES.map((p) => [p, installed[p] ?? null]) }));
  // The shim files are part of the recipe too.
  for (const file of recipeFiles()) h.update(path.relative(HERE, file)).update(fs.readFileSync(file));
  return `${msVersion}-${h.digest('hex').slice(0, 16)}`;
}

function recipeFiles() {
  const files = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(path.join(HERE, 'subprojects'));
  walk(path.join(HERE, 'include'));
  return files;
}

// Exclusive lock via O_EXCL create. A lock whose owner died (crash, Ctrl-C)
// is taken over; one older than an hour too, in case the pid was reused or
// lives in another pid namespace sharing this home directory.
async function acquireLock(lockFile, log) {
  let announced = false;
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(lockFile, { force: true });
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    let pid;
    let ageMs;
    try {
      pid = Number(fs.readFileSync(lockFile, 'utf8')) || 0;
      ageMs = Date.now() - fs.statSync(lockFile).mtimeMs;
    } catch {
      continue; // released between our open and read
    }
    if (!pid ? ageMs > 10_000 : !isAlive(pid) || ageMs > 3600_000) {
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (!announced) {
      log(`mediasoup worker: waiting for another build (pid ${pid}, lock ${lockFile})…`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM'; // exists, owned by someone else
  }
}

async function build({ msDir, msVersion, installed, binForInstalled, log }) {
  const started = Date.now();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sealroom-mediasoup-worker-'));
  const logFile = path.join(scratch, 'build.log');
  const logFd = fs.openSync(logFile, 'a');
  const fail = (what) => {
    const tail = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-40).join('\n');
    log(tail);
    return new Error(`mediasoup worker: ${what}; full log: ${logFile} (build folder kept in ${scratch})`);
  };
  const run = (cmd, args, opts = {}) => {
    fs.writeSync(logFd, `\n$ ${cmd} ${args.join(' ')}\n`);
    return new Promise((resolve) => {
      const child = spawn(cmd, args, { stdio: ['ignore', logFd, logFd], ...opts });
      child.on('error', (err) => {
        fs.writeSync(logFd, `${err.message}\n`);
        resolve(127);
      });
      child.on('exit', (code, signal) => resolve(signal ? 128 : code));
    });
  };

  log(`mediasoup worker: no binary for mediasoup ${msVersion}; building it from source (log: ${logFile})`);
  try {
    await installDebPackages(installed, run, fail, log);

    // Sources: a copy, so node_modules stays pristine and npm-verifiable.
    const worker = path.join(scratch, 'worker');
    fs.cpSync(path.join(msDir, 'worker'), worker, {
      recursive: true,
      filter: (src) => !/[\\/]worker[\\/](out|prebuild|target)$/.test(src),
    });
    applyEdits(worker);

    log('mediasoup worker: configuring…');
    const setup = [
      'setup',
      'build',
      '--buildtype',
      'release',
      '-Db_ndebug=true',
      '--wrap-mode=nodownload',
      // Debian 12's liburing (2.3) is older than mediasoup needs (2.5); it is optional.
      '-Dms_disable_liburing=true',
    ];
    if ((await run('meson', setup, { cwd: worker })) !== 0) throw fail('meson setup failed');

    const cores = os.availableParallelism?.() ?? os.cpus().length;
    log(`mediasoup worker: compiling (about ${Math.max(1, Math.round(9 / cores))} min on ${cores} cores)…`);
    // The generated FBS headers are not declared as inputs of the C++
    // sources, so they must exist before the parallel compile starts.
    for (const target of ['flatbuffers-generator', 'mediasoup-worker']) {
      if ((await run('meson', ['compile', '-C', 'build', target], { cwd: worker })) !== 0) {
        throw fail(`compiling ${target} failed`);
      }
    }

    // Atomic install: concurrent readers see either no file or a whole one.
    const bin = binForInstalled();
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    const tmp = `${bin}.tmp-${process.pid}`;
    fs.copyFileSync(path.join(worker, 'build', 'mediasoup-worker'), tmp);
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, bin);
    fs.closeSync(logFd);
    fs.rmSync(scratch, { recursive: true, force: true });
    log(`mediasoup worker: done in ${Math.round((Date.now() - started) / 1000)}s → ${bin}`);
    return bin;
  } catch (err) {
    try {
      fs.closeSync(logFd);
    } catch {
      // already closed: the build's own error is the one to report
    }
    throw err;
  }
}

async function installDebPackages(installed, run, fail, log) {
  const missing = DEB_PACKAGES.filter((p) => !installed[p]);
  if (missing.length === 0) return;

  const isRoot = process.getuid?.() === 0;
  if (!isRoot && spawnSync('sudo', ['-n', 'true']).status !== 0) {
    throw new Error(`mediasoup worker: missing Debian packages; install them with: sudo apt-get install ${missing.join(' ')}`);
  }
  const apt = (args) =>
    isRoot ? run('apt-get', args, { env: aptEnv() }) : run('sudo', ['-n', '--preserve-env=DEBIAN_FRONTEND', 'apt-get', ...args], { env: aptEnv() });
  const install = ['install', '-y', '--no-install-recommends', ...missing];

  log(`mediasoup worker: installing ${missing.join(' ')}…`);
  if ((await apt(install)) === 0) return;
  // Most likely no (or stale) package lists, as in fresh containers: refresh once.
  log('mediasoup worker: apt-get install failed; running apt-get update and retrying…');
  if ((await apt(['update'])) !== 0 || (await apt(install)) !== 0) throw fail(`installing ${missing.join(' ')} failed`);
}

function aptEnv() {
  return { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
}

function applyEdits(worker) {
  // Shim subprojects replace the .wrap files (which would download sources).
  const subprojects = path.join(worker, 'subprojects');
  for (const f of fs.readdirSync(subprojects)) if (f.endsWith('.wrap')) fs.rmSync(path.join(subprojects, f));
  fs.cpSync(path.join(HERE, 'subprojects'), subprojects, { recursive: true });
  fs.mkdirSync(path.join(subprojects, 'libsrtp2', 'include'), { recursive: true });
  fs.copyFileSync(path.join(HERE, 'include', 'srtp.h'), path.join(subprojects, 'libsrtp2', 'include', 'srtp.h'));

  // Debian 12 has meson 1.0.1; the worker asks for >= 1.1.0 but uses nothing newer.
  const mesonBuild = path.join(worker, 'meson.build');
  fs.writeFileSync(mesonBuild, fs.readFileSync(mesonBuild, 'utf8').replace(/meson_version\s*:\s*'[^']*'/, "meson_version: '>= 1.0.0'"));

  // The DTLS crash fix (see DTLS_BUG). Verified afterwards: building without
  // it yields a worker that passes plain-RTP tests and crashes on WebRTC.
  const dtls = path.join(worker, 'src', 'RTC', 'DtlsTransport.cpp');
  const src = fs.readFileSync(dtls, 'utf8').split(DTLS_BUG).join(DTLS_FIX);
  fs.writeFileSync(dtls, src);
  const check = fs.readFileSync(dtls, 'utf8');
  if (check.includes(DTLS_BUG) || !check.includes(DTLS_FIX)) {
    throw new Error(`mediasoup worker: DTLS fix did not apply to ${dtls}; check the BIO callback by hand`);
  }
}

// CLI: progress on stderr, the path alone on the last stdout line.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureMediasoupWorker().then(
    (bin) => console.log(bin),
    (err) => {
      console.error(err.message);
      process.exitCode = 1;
    },
  );
}
