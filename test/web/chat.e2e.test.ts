/**
 * Chat through the real stack: lines are sealed in the browser (crypto/seal.ts, sender bound in
 * the AAD), the Room relays envelopes it cannot read. A line to one person reaches only them;
 * no frame on any room socket carries a line's plaintext or an image's bytes.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createFromHome } from '../lib/meeting.ts';
import { Pages, framesOfType, joinWithoutCamera, until, type TestPage } from './lib/pages.ts';

const stackUrl = inject('stackUrl');
const pages = new Pages();
afterAll(() => pages.close());

/** A 2×2 PNG (red, green, blue, white). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');

const linesOf = (p: TestPage) => p.page.getByTestId('chat-line').allInnerTexts();

async function openChat(p: TestPage) {
  await p.page.getByTestId('chat-toggle').click();
  await p.page.getByTestId('chat-panel').waitFor();
  await p.page
    .getByTestId('chat-input')
    .waitFor({ timeout: 10_000 })
    .catch(async (e: unknown) => {
      console.log('chat panel:', await p.page.getByTestId('chat-panel').innerHTML());
      throw e;
    });
}

async function say(p: TestPage, text: string, toName: string | null) {
  await p.page.getByTestId('chat-to').selectOption(toName ? { label: toName } : { value: '' });
  await p.page.getByTestId('chat-input').fill(text);
  await p.page.getByTestId('chat-send').click();
}

describe('sealed chat', () => {
  it('a line to one person reaches only them; no room frame carries plaintext', async () => {
    const alice = await pages.open('alice');
    const meetingId = await createFromHome(alice.page, stackUrl);
    await joinWithoutCamera(alice.page, 'Alice');
    const bob = await pages.open('bob');
    await bob.page.goto(`${stackUrl}/m/${meetingId}`);
    const bobId = await joinWithoutCamera(bob.page, 'Bob');
    const carol = await pages.open('carol');
    await carol.page.goto(`${stackUrl}/m/${meetingId}`);
    await joinWithoutCamera(carol.page, 'Carol');
    // Alice knows both before she writes (the room tells her of each join first).
    await until(
      alice.page,
      'Alice sees three participants',
      async () => (await alice.page.evaluate(() => (window as unknown as { __sealroom: { participants(): string[] } }).__sealroom.participants().length)) === 2,
    );

    const secret = `only-for-bob-${Math.random().toString(36).slice(2, 10)}`;
    const open = `hello-everyone-${Math.random().toString(36).slice(2, 10)}`;
    await openChat(alice);
    await openChat(bob);
    await say(alice, secret, 'Bob');
    await say(alice, open, null);

    await until(bob.page, 'Bob reads both lines', async () => {
      const l = await linesOf(bob);
      return l.some((x) => x.includes(secret)) && l.some((x) => x.includes(open));
    });
    // Carol's panel is closed: the public line shows as an unread badge, the private one never comes.
    await until(carol.page, 'Carol has one unread line', async () => (await carol.page.getByTestId('chat-unread').count()) === 1);
    expect((await carol.page.getByTestId('chat-unread').innerText()).trim()).toBe('1');
    await openChat(carol);
    const carolLines = await linesOf(carol);
    expect(carolLines.some((x) => x.includes(open))).toBe(true);
    expect(carolLines.some((x) => x.includes(secret))).toBe(false);
    expect(await carol.page.getByTestId('chat-unread').count()).toBe(0);

    // Emoji from the picker and an image, sealed like any line.
    await bob.page.getByTestId('chat-emoji').click();
    await bob.page.getByRole('button', { name: '🎉' }).click();
    await bob.page.getByTestId('chat-send').click();
    await alice.page.getByTestId('chat-file').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: PNG });
    await until(bob.page, 'Bob sees the image', async () => (await bob.page.getByTestId('chat-image').count()) === 1);
    await until(alice.page, 'Alice reads the emoji', async () => (await linesOf(alice)).some((x) => x.includes('🎉')));
    const src = await bob.page.getByTestId('chat-image').getAttribute('src');
    expect(src).toBe(`data:image/png;base64,${PNG.toString('base64')}`);
    const natural = await bob.page.getByTestId('chat-image').evaluate((img: HTMLImageElement) => img.naturalWidth);
    expect(natural).toBe(2);

    // What the room relayed: sealed envelopes only, and the private one only to Bob.
    const sentByAlice = framesOfType(alice.frames.sent, 'chat');
    expect(sentByAlice.map((m) => m['to'])).toEqual([bobId, null, null]);
    const carolChat = framesOfType(carol.frames.received, 'chat');
    expect(carolChat.every((m) => m['to'] === null)).toBe(true);
    expect(framesOfType(bob.frames.received, 'chat').filter((m) => m['to'] === bobId)).toHaveLength(1);
    const imageB64 = PNG.toString('base64');
    for (const p of [alice, bob, carol]) {
      for (const f of [...p.frames.sent, ...p.frames.received]) {
        expect(f).not.toContain(secret);
        expect(f).not.toContain(open);
        expect(f).not.toContain('🎉');
        expect(f).not.toContain(imageB64.slice(0, 40));
      }
    }

    // Save the log: a text file with the lines Alice saw.
    const download = alice.page.waitForEvent('download');
    await alice.page.getByTestId('chat-save').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe(`sealroom-chat-${meetingId}.txt`);
    const stream = await file.createReadStream();
    let body = '';
    for await (const chunk of stream) body += String(chunk);
    expect(body).toContain(secret);
    expect(body).toContain('🎉');
  });
});
