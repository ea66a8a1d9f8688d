/**
 * Test page for the recordings UI: the lead wires RecordingsPage / SharedRecording into the app's
 * router; until then the e2e test serves this bundle on the edge's origin (page.route) and mounts
 * the same components the router will.
 */
import { mount } from 'svelte';
import RecordingsPage from '../../web/src/recordings/RecordingsPage.svelte';
import SharedRecording from '../../web/src/recordings/SharedRecording.svelte';
import { RecordingUploader, type UploadStats } from '../../web/src/recordings/uploader.ts';

declare global {
  interface Window {
    __rec: typeof api;
  }
}

/** Records `ms` of an animated canvas (the test's stand-in for the composed meeting) to the cloud. */
async function record(ms: number, title: string): Promise<{ id: string; stats: UploadStats; mimeType: string }> {
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 240;
  document.body.append(canvas);
  const g = canvas.getContext('2d')!;
  let frame = 0;
  const timer = setInterval(() => {
    g.fillStyle = `hsl(${(frame * 12) % 360} 80% 50%)`;
    g.fillRect(0, 0, 320, 240);
    g.fillStyle = '#fff';
    g.font = '40px sans-serif';
    g.fillText(String(frame++), 120, 140);
  }, 40);
  const mimeType = 'video/webm;codecs=vp8';
  const rec = new MediaRecorder(canvas.captureStream(25), { mimeType, videoBitsPerSecond: 1_000_000 });
  const up = await RecordingUploader.create({ title, mimeType, meetingId: '1234567890' });
  const pushes: Promise<void>[] = [];
  rec.ondataavailable = (e) => pushes.push(up.push(e.data));
  const stopped = new Promise((r) => (rec.onstop = r));
  const started = performance.now();
  rec.start(250);
  await new Promise((r) => setTimeout(r, ms));
  rec.stop();
  await stopped;
  clearInterval(timer);
  await Promise.all(pushes);
  const done = await up.finish(performance.now() - started);
  canvas.remove();
  return { id: done.id, stats: up.stats, mimeType };
}

const api = {
  record,
  mountPage: () => mount(RecordingsPage, { target: document.body, props: {} }),
  mountShared: () => mount(SharedRecording, { target: document.body, props: { shareId: location.pathname.split('/').pop()!, fragment: location.hash } }),
};
window.__rec = api;
