/**
 * Cloud-recording throughput and memory: seals and uploads a synthetic recording through a real
 * local edge (wrangler dev + workerd, R2 and D1 on disk), downloads and opens it again, and
 * samples the edge's resident memory meanwhile. Prints a table; docs/recordings.md has the figures.
 *
 *   PATH=$PWD/node_modules/.bin:$PATH tsx bench/recordings/run.ts [MiB …]     (default 16 64 256)
 */
import { execFileSync } from 'node:child_process';
import { RecordingsApi } from '../../web/src/recordings/api.ts';
import { RecordingOpener, RecordingSealer } from '../../web/src/recordings/container.ts';
import { RecordingUploader } from '../../web/src/recordings/uploader.ts';
import { startPrivateEdge } from '../../test/recordings/private-edge.ts';

const MiB = 1024 * 1024;
/** MediaRecorder at a 1 s timeslice and ~2 Mbit/s gives slices of about this size. */
const SLICE = 256 * 1024;
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
if (!sizes.length) sizes.push(16, 64, 256);

/** Resident memory of the edge's workerd (the Worker, and miniflare's local R2/D1), in MiB; wrangler's own Node process is left out. */
function edgeRss(pgid: number): number {
  const out = execFileSync('ps', ['-o', 'rss=,comm=', '-g', String(pgid)], { encoding: 'utf8' });
  return (
    out
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([, comm]) => comm === 'workerd')
      .reduce((a, [rss]) => a + Number(rss), 0) / 1024
  );
}

function sampler(pgid: number) {
  let peak = 0;
  let heapPeak = 0;
  const t = setInterval(() => {
    peak = Math.max(peak, edgeRss(pgid));
    heapPeak = Math.max(heapPeak, process.memoryUsage().rss / MiB);
  }, 100);
  return { stop: () => (clearInterval(t), { peak, heapPeak }) };
}

async function main() {
  const edge = await startPrivateEdge();
  try {
    let cookie = '';
    const jar: typeof fetch = async (input, init = {}) => {
      const headers = new Headers(init.headers);
      if (cookie) headers.set('cookie', cookie);
      const res = await fetch(input, { ...init, headers, ...(init.body ? { duplex: 'half' } : {}) } as RequestInit);
      const set = res.headers.get('set-cookie');
      const m = set && /(__Host-sealroom_session=[^;]+)/.exec(set);
      if (m) cookie = m[1]!;
      return res;
    };
    const su = await jar(`${edge.url}/api/auth/signup`, {
      method: 'POST',
      body: JSON.stringify({ orgName: 'Bench', name: 'Bench', email: `bench${Date.now()}@example.test`, password: 'Correct-horse-42' }),
    });
    if (su.status !== 201) throw new Error(`signup: ${su.status} ${await su.text()}`);
    const api = new RecordingsApi({ base: edge.url, fetch: jar });
    const slice = new Uint8Array(SLICE).map((_, i) => (i * 31) & 0xff);

    // Sealing alone, in this process: the browser's cost per byte.
    const sealer = new RecordingSealer('BENCHxxxxxxxxxxxxxxxxx', new Uint8Array(32));
    const t0 = performance.now();
    for (let i = 0; i < (64 * MiB) / SLICE; i++) sealer.seal(slice, false);
    const sealMBs = 64 / ((performance.now() - t0) / 1000);

    const idle = edgeRss(edge.pid);
    const rows: string[][] = [];
    for (const size of sizes) {
      const mem = sampler(edge.pid);
      const up = await RecordingUploader.create({ title: `bench ${size} MiB`, mimeType: 'video/webm', api, wrapKey: async () => 'bench-not-a-real-wrap' });
      const u0 = performance.now();
      for (let i = 0; i < (size * MiB) / SLICE; i++) await up.push(slice);
      const rec = await up.finish(size * 1000);
      const upS = (performance.now() - u0) / 1000;

      const d0 = performance.now();
      const res = await api.content(rec.id);
      const opener = new RecordingOpener(rec.id, up.key);
      let plain = 0;
      const reader = res.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const c of opener.push(value)) plain += c.length;
      }
      const downS = (performance.now() - d0) / 1000;
      const { peak, heapPeak } = mem.stop();
      if (plain !== size * MiB || !opener.end().complete) throw new Error('round trip mismatch');
      await api.remove(rec.id);
      rows.push([
        `${size} MiB`,
        String(up.stats.partsUploaded),
        (size / upS).toFixed(1),
        (size / downS).toFixed(1),
        `${idle.toFixed(0)} → ${peak.toFixed(0)}`,
        (up.stats.peakBuffered / MiB).toFixed(1),
        heapPeak.toFixed(0),
      ]);
    }
    const head = [
      'recording',
      'parts',
      'upload MiB/s',
      'download+open MiB/s',
      'workerd RSS MiB (idle → peak)',
      'uploader peak buffer MiB',
      'client process RSS MiB',
    ];
    const table = [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
    console.log(`\nseal only (client, ${SLICE / 1024} KiB slices): ${sealMBs.toFixed(0)} MiB/s\n\n${table}\n`);
    console.log(`Node ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString().slice(0, 10)}`);
  } finally {
    await edge.stop();
  }
}

await main();
