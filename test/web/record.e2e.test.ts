/**
 * Local recording through the real stack: the decrypted tiles composited on a canvas plus the
 * mixed audio, recorded by MediaRecorder and saved as a .webm file, with a visible indicator.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createFromHome, decodesVideoFrom, hearsAudioFrom, join, waitForStats } from '../lib/meeting.ts';
import { Pages, joinWithoutCamera, until } from './lib/pages.ts';

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
