// Builds the media origin as it ships (the container image and the systemd unit run this):
// one bundled file with everything but mediasoup, which stays a package because its worker is
// a native binary found at run time (MEDIASOUP_WORKER_BIN). Output, by default dist/origin/:
//   main.mjs         the origin (`node --env-file=/etc/sealroom/origin.env main.mjs`)
//   healthcheck.mjs  exit 0 when the origin on this host answers /healthz
//   config.example   every setting, to copy to the env file
//   package.json     mediasoup at the version the origin was tested with
//
// Usage: `node scripts/build-origin.mjs [outDir]`, or `await buildOrigin({ outDir })`.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { root } from './env.mjs';

export async function buildOrigin({ outDir = path.join(root, 'dist', 'origin') } = {}) {
  const { build } = await import('esbuild');
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [path.join(root, 'media-origin', 'src', 'main.ts')],
    outfile: path.join(outDir, 'main.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: ['mediasoup'],
    // Bundled CommonJS dependencies (ws) call require(); ESM output needs one made for it.
    banner: { js: "import { createRequire as __sealroomRequire } from 'node:module'; const require = __sealroomRequire(import.meta.url);" },
    logLevel: 'warning',
    legalComments: 'linked',
  });
  copyFileSync(path.join(root, 'media-origin', 'deploy', 'healthcheck.mjs'), path.join(outDir, 'healthcheck.mjs'));
  copyFileSync(path.join(root, 'media-origin', 'config.example'), path.join(outDir, 'config.example'));
  const { dependencies } = JSON.parse(readFileSync(path.join(root, 'media-origin', 'package.json'), 'utf8'));
  writeFileSync(
    path.join(outDir, 'package.json'),
    `${JSON.stringify({ name: 'sealroom-media-origin', private: true, type: 'module', dependencies: { mediasoup: dependencies.mediasoup } }, null, 2)}\n`,
  );
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildOrigin(process.argv[2] ? { outDir: path.resolve(process.argv[2]) } : {});
  console.log(`media origin built into ${out}`);
}
