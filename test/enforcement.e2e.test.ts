/**
 * Host controls hold against a client that ignores them. Bob's browser never learns it was
 * muted (the test drops the room's `forced` messages before his page sees them), so his client
 * keeps its microphone producer running; the origin, told by the Room, forwards none of it.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { pagePool } from './lib/browser.ts';
import { createFromHome, decodesVideoFrom, hearsAudioFrom, join, transformStats, waitForStats } from './lib/meeting.ts';
import { tap } from './lib/tap.ts';

const stackUrl = inject('stackUrl');
const originUrl = inject('originUrl');
const secret = inject('secret');

const pages = pagePool();
const newPage = () => pages.newPage();
afterAll(pages.closeAll);

const audioFrom = (packets: Awaited<ReturnType<typeof tap>>, who: string) => packets.filter((p) => p.kind === 'audio' && p.participantId === who).length;

describe('enforcement down to the media', () => {
  it('a muted client that ignores the mute still reaches nobody', async () => {
    const alice = await newPage();
    const meetingId = await createFromHome(alice, stackUrl);
    const aliceId = await join(alice, 'Alice');

    const bob = await newPage();
    // Bob's "client" ignores host controls: the room's mute notices (a `forced` to one, the
    // `muted-all` everyone gets from a mute all) never reach his page.
    const ignored: string[] = [];
    await bob.routeWebSocket(/\/api\/meetings\/[0-9]+\/ws$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => {
        if (typeof m === 'string' && (m.includes('"type":"forced"') || m.includes('"type":"muted-all"'))) ignored.push(m);
        else ws.send(m);
      });
    });
    await bob.goto(`${stackUrl}/m/${meetingId}`);
    const bobId = await join(bob, 'Bob');
    await waitForStats(alice, (s) => decodesVideoFrom(bobId)(s) && hearsAudioFrom(bobId)(s));
    await waitForStats(bob, decodesVideoFrom(aliceId));

    const before = await tap(originUrl, secret, meetingId, 1500);
    expect(audioFrom(before, bobId)).toBeGreaterThan(20);

    // The host mutes everyone from the participants panel.
    await alice.getByTestId('participants-toggle').click();
    await alice.getByTestId('mute-all').click();
    const deadline = Date.now() + 10_000;
    while (ignored.length === 0 && Date.now() < deadline) await bob.waitForTimeout(100);
    expect(ignored.map((m) => JSON.parse(m) as { type: string })).toContainEqual(expect.objectContaining({ type: 'muted-all', by: aliceId }));

    // Bob keeps sealing and sending frames: his client did not stop.
    const sealedBefore = (await transformStats(bob)).sealed;
    await bob.waitForTimeout(1000);
    expect((await transformStats(bob)).sealed).toBeGreaterThan(sealedBefore + 20);

    // Yet the origin forwards none of Bob's audio, while his video still flows.
    const after = await tap(originUrl, secret, meetingId, 2000);
    expect(audioFrom(after, bobId)).toBe(0);
    expect(after.filter((p) => p.kind === 'video' && p.participantId === bobId).length).toBeGreaterThan(10);
  });
});
