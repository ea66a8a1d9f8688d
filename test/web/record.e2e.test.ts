/**
 * Recording through the real stack: the decrypted tiles composited on a canvas plus the mixed
 * audio, recorded by MediaRecorder and saved as a .webm file, or sealed in the page and uploaded
 * to the cloud as it records; announced to everyone (indicator and chat line) the whole time; the
 * cloud recording then plays, and seeks by range, in the management page.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createFromHome, decodesVideoFrom, hearsAudioFrom, join, waitForStats } from '../lib/meeting.ts';
import { framesDecode } from '../recordings/video.ts';
import { Pages, framesOfType, joinWithoutCamera, signUpInPage, until } from './lib/pages.ts';

const stackUrl = inject('stackUrl');
const pages = new Pages();
afterAll(() => pages.close());

describe('local recording', () => {
  it('records the call to a .webm file with video and audio, showing an indicator meanwhile', async () => {
    const alice = (await pages.open('alice')).page;
    const meetingId = await createFromHome(alice, stackUrl);
    await joinWithoutCamera(alice, 'Alice');
    const bob = (await pages.open('bob')).page;
    await bob.goto(`${stackUrl}/m/${meetingId}`);
    const bobId = await join(bob, 'Bob');
    await waitForStats(alice, (s) => decodesVideoFrom(bobId)(s) && hearsAudioFrom(bobId)(s));

    expect(await alice.getByTestId('recording-indicator').count()).toBe(0);
    await alice.getByTestId('record-toggle').click();
    const indicator = alice.getByTestId('recording-indicator');
    await indicator.waitFor();
    expect(await indicator.getAttribute('role')).toBe('status');
    expect(await indicator.innerText()).toMatch(/Recording \d+:\d\d/);
    await until(alice, 'some seconds recorded', async () => Number(await indicator.getAttribute('data-bytes')) > 100_000, 30_000);

    const download = alice.waitForEvent('download');
    await alice.getByTestId('record-toggle').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(new RegExp(`^sealroom-${meetingId}-.*\\.webm$`));
    const chunks: Buffer[] = [];
    for await (const c of await file.createReadStream()) chunks.push(c as Buffer);
    const webm = Buffer.concat(chunks);
    expect(webm.length).toBeGreaterThan(100_000);
    expect(webm.subarray(0, 4).toString('hex')).toBe('1a45dfa3'); // EBML magic
    expect(webm.includes(Buffer.from('webm'))).toBe(true);
    expect(webm.includes(Buffer.from('V_VP8'))).toBe(true);
    expect(webm.includes(Buffer.from('A_OPUS'))).toBe(true);
    await until(alice, 'indicator gone', async () => (await indicator.count()) === 0);
    expect(await alice.getByTestId('record-announcer').innerText()).toContain('saved');
  });
});

describe('cloud recording from a meeting', () => {
  // Two browsers in a call, an upload and a throttled playback: generous, since the machine may be shared.
  it('records to the cloud while everyone sees who records, then plays and seeks in the management page', { timeout: 420_000 }, async () => {
    const { page: alice, frames } = await pages.open('alice-cloud');
    // A page that records, seals and uploads answers input slowly when the machine is shared.
    alice.setDefaultTimeout(90_000);
    await alice.goto(stackUrl);
    expect(await signUpInPage(alice, 'Rec Org', 'Alice')).toBe(201);
    const meetingId = await createFromHome(alice, stackUrl);
    await joinWithoutCamera(alice, 'Alice');
    const bob = (await pages.open('bob-cloud')).page;
    bob.setDefaultTimeout(90_000);
    await bob.goto(`${stackUrl}/m/${meetingId}`);
    // Cameras off: the composite is then cheap to encode on a shared machine; the mixed audio is real.
    const bobId = await joinWithoutCamera(bob, 'Bob');
    await waitForStats(alice, hearsAudioFrom(bobId));

    // Bob is a participant the host has not allowed to record: no button for him.
    expect(await bob.getByTestId('record-toggle').count()).toBe(0);
    await bob.getByTestId('chat-toggle').click();

    // Alice is signed in, so she may record to the cloud.
    await alice.getByTestId('record-cloud').check();
    await alice.getByTestId('record-toggle').click();
    const mine = alice.getByTestId('recording-indicator');
    await mine.waitFor();
    expect(await mine.getAttribute('data-target')).toBe('cloud');
    // The room was asked, and agreed, before the recorder started.
    expect(framesOfType(frames.sent, 'record')).toEqual([{ type: 'record', on: true }]);

    // Bob sees who records, for as long as it lasts, and a line in the chat.
    const seen = bob.getByTestId('recording-by');
    await seen.waitFor();
    expect(await seen.getAttribute('role')).toBe('status');
    expect(await seen.innerText()).toContain('Alice');
    const notices = bob.getByTestId('chat-notice');
    await until(bob, 'start line in chat', async () => (await notices.allInnerTexts()).some((l) => l.includes('Alice started recording')));

    const started = Date.now();
    await until(alice, 'seven seconds recorded', async () => Date.now() - started > 7000 && Number(await mine.getAttribute('data-bytes')) > 0, 90_000);
    // Still shown while she records (polled: under load Bob's room socket may have reconnected meanwhile).
    await until(bob, 'indicator still shown', async () => (await seen.count()) === 1);
    const peakHeld = Number(await mine.getAttribute('data-peak'));
    const stopAt = Date.now();
    await alice.getByTestId('record-toggle').click();
    await until(alice, 'upload finished', async () => (await alice.getByTestId('record-announcer').innerText()).includes('uploaded'), 60_000);
    const finishMs = Date.now() - stopAt;
    await until(bob, 'indicator gone', async () => (await seen.count()) === 0);
    await until(bob, 'stop line in chat', async () => (await notices.allInnerTexts()).some((l) => l.includes('Alice stopped recording')));

    // The management page lists it; it plays (frames decode) and seeks by range.
    const rec = await alice.evaluate(async () => {
      const r = (await (await fetch('/api/recordings')).json()) as {
        recordings: { id: string; size: number; durationMs: number; status: string; meetingId: string }[];
      };
      return r.recordings[0]!;
    });
    expect(rec).toMatchObject({ status: 'complete', meetingId });
    expect(rec.durationMs).toBeGreaterThan(5000);

    const ranges: string[] = [];
    // The owner's key lives in the recording browser's keyring: play it there, on a slow network,
    // so that a seek lands where nothing has arrived yet.
    await alice.goto(`${stackUrl}/recordings`);
    const acdp = await alice.context().newCDPSession(alice);
    await acdp.send('Network.enable');
    await acdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: Math.max(5_000, Math.round(rec.size / 40)),
      uploadThroughput: -1,
    });
    alice.on('request', (r) => {
      if (r.url().endsWith(`/api/recordings/${rec.id}/content`)) ranges.push(r.headers()['range'] ?? 'none');
    });
    await alice.getByTestId('rec-row').first().waitFor();
    await alice.getByTestId('rec-play').first().click();
    const first = await framesDecode(alice, 30_000);
    expect(first).toMatchObject({ width: 1280, height: 720 });
    // The index was read from the end with range requests.
    await until(alice, 'index read', () => ranges.includes('bytes=0-25') && ranges.some((r) => /^bytes=-\d+$/.test(r)));

    const target = Math.min(rec.durationMs / 1000 - 1.5, 5);
    expect(first.bufferedEnd).toBeLessThan(target);
    await alice.evaluate((t) => {
      document.querySelector<HTMLVideoElement>('[data-testid=rec-video]')!.currentTime = t;
    }, target);
    await until(alice, 'a ranged fetch from the middle', () => ranges.some((r) => /^bytes=([1-9]\d*)-$/.test(r)), 30_000);
    // The seek went by range; from here on the network's speed does not matter.
    await acdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const videoState = () =>
      alice.evaluate(() => {
        const v = document.querySelector<HTMLVideoElement>('[data-testid=rec-video]')!;
        const buffered = Array.from({ length: v.buffered.length }, (_, i) => [v.buffered.start(i), v.buffered.end(i)]);
        return {
          t: v.currentTime,
          seeking: v.seeking,
          paused: v.paused,
          readyState: v.readyState,
          buffered,
          error: v.error?.message ?? null,
          frames: v.getVideoPlaybackQuality().totalVideoFrames,
        };
      });
    // The frame at the new position is decoded (HAVE_CURRENT_DATA or better), whether the video plays on or rests there.
    await alice
      .waitForFunction(
        (t) => {
          const v = document.querySelector<HTMLVideoElement>('[data-testid=rec-video]')!;
          return !v.seeking && v.readyState >= 2 && v.currentTime >= t - 0.05 && v.videoWidth > 0;
        },
        target,
        { timeout: 60_000 },
      )
      .catch(async (err: unknown) => {
        console.log('seek did not land', { target, ranges, state: await videoState() });
        throw err;
      });
    expect(await alice.getByTestId('rec-error').count()).toBe(0);

    // Memory stays bounded: slices waiting for the network plus the uploader's part buffers.
    // At least the part being filled (allocated whole); at most 8 MiB of slices plus that part and 3 queued parts.
    expect(peakHeld).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    expect(peakHeld).toBeLessThanOrEqual(8 * 1024 * 1024 + 4 * 5 * 1024 * 1024);
    console.log(
      [
        '| sealed, uploaded | duration | upload rate while recording | upload finished after stop | peak held in page |',
        '| --- | --- | --- | --- | --- |',
        `| ${rec.size} B | ${(rec.durationMs / 1000).toFixed(1)} s | ${((rec.size * 8) / rec.durationMs / 1000).toFixed(2)} Mbit/s | ${finishMs} ms | ${(peakHeld / 1048576).toFixed(2)} MiB |`,
      ].join('\n'),
    );
  });
});
