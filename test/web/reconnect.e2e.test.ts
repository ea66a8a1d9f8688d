/**
 * A dropped room connection, through the real stack: the others see the participant as
 * reconnecting while the Room holds its seat, and then back as the same participant, without a
 * leave and a join in between (the tile stays on screen the whole time).
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createFromHome } from '../lib/meeting.ts';
import { Pages, framesOfType, joinWithoutCamera } from './lib/pages.ts';

const stackUrl = inject('stackUrl');
const pages = new Pages();
afterAll(() => pages.close());

type Api = { selfId: string; participants(): string[] };
type DropControl = { __roomSockets: WebSocket[]; __holdRoom: boolean };
type TileLog = { __tileLog: { reconnecting: boolean; gone: boolean } };

/**
 * Runs in Bob's page before the app: keeps the app's room sockets at hand so the test can drop
 * one, and while `__holdRoom` is set sends room connections nowhere (a network that is down),
 * so the reconnecting state lasts until the test lets the network back.
 */
function roomSocketControl(): void {
  const Native = window.WebSocket;
  const w = window as unknown as DropControl;
  const ROOM = /\/api\/meetings\/[0-9]+\/ws/;
  w.__roomSockets = [];
  w.__holdRoom = false;
  class Controlled extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      const room = ROOM.test(String(url));
      super(room && w.__holdRoom ? String(url).replace(ROOM, '/api/meetings/unreachable/ws') : url, protocols);
      if (room) w.__roomSockets.push(this);
    }
  }
  window.WebSocket = Controlled;
}

describe('a dropped room connection', () => {
  it('shows the participant as reconnecting, then back as the same participant; the tile never goes', async () => {
    const alice = await pages.open('alice');
    const meetingId = await createFromHome(alice.page, stackUrl);
    await joinWithoutCamera(alice.page, 'Alice');
    const bob = await pages.open('bob', { init: roomSocketControl });
    await bob.page.goto(`${stackUrl}/m/${meetingId}`);
    const bobId = await joinWithoutCamera(bob.page, 'Bob');

    const tile = alice.page.locator(`[data-testid="tile"][data-participant-id="${bobId}"]`);
    await tile.waitFor();
    await alice.page.getByTestId('participants-toggle').click();
    const row = alice.page.getByTestId('participants-panel').locator(`li[data-participant-id="${bobId}"]`);
    await row.waitFor();
    // From here on Alice's page notes every moment Bob's tile is missing or shows him reconnecting.
    await alice.page.evaluate((id) => {
      const w = window as unknown as TileLog;
      w.__tileLog = { reconnecting: false, gone: false };
      const check = () => {
        const t = document.querySelector(`[data-testid="tile"][data-participant-id="${id}"]`);
        if (!t) w.__tileLog.gone = true;
        else if (t.querySelector('[data-testid="tile-reconnecting"]')) w.__tileLog.reconnecting = true;
      };
      new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    }, bobId);

    await bob.page.evaluate(() => {
      const w = window as unknown as DropControl;
      w.__holdRoom = true;
      w.__roomSockets.at(-1)?.close(3000, 'network dropped');
    });

    await expect.poll(() => tile.getByTestId('tile-reconnecting').count()).toBe(1);
    expect(await tile.getByTestId('tile-reconnecting').innerText()).toBe('reconnecting…');
    expect(await row.getByTestId('participant-reconnecting').count()).toBe(1);
    expect(await tile.getAttribute('data-away')).toBe('true');

    // The network comes back: Bob's page reconnects by itself and resumes its seat.
    await bob.page.evaluate(() => {
      (window as unknown as DropControl).__holdRoom = false;
    });
    await expect.poll(() => bob.page.evaluate(() => (window as unknown as { __sealroom?: Api }).__sealroom?.selfId ?? null)).toBe(bobId);
    await expect.poll(() => tile.getByTestId('tile-reconnecting').count()).toBe(0);
    expect(await row.getByTestId('participant-reconnecting').count()).toBe(0);
    expect(await alice.page.evaluate(() => (window as unknown as { __sealroom: Api }).__sealroom.participants())).toEqual([bobId]);

    expect(await alice.page.evaluate(() => (window as unknown as TileLog).__tileLog)).toEqual({ reconnecting: true, gone: false });
    // What Alice's room socket carried: away and back, never a leave or a second join.
    expect(framesOfType(alice.frames.received, 'participant-away')).toEqual([{ type: 'participant-away', id: bobId }]);
    expect(framesOfType(alice.frames.received, 'participant-back').map((m) => (m['participant'] as { id: string }).id)).toEqual([bobId]);
    expect(framesOfType(alice.frames.received, 'participant-left')).toEqual([]);
    expect(framesOfType(alice.frames.received, 'participant-joined')).toHaveLength(1);
  });
});
