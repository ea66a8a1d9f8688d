/** A name that would lie about itself on other people's screens never enters a room. */
import { describe, expect, it } from 'vitest';
import { fakePublicKey, joined, knock, newMeeting, roomSnapshot } from './helpers.ts';

describe('display names at the room', () => {
  it('refuses a join with a bidi-override name with bad_message, and the room is unchanged', async () => {
    const m = await newMeeting({ topic: 'Names' });
    const host = await joined(m.id, 'Host', 1, m.hostKey);
    const before = await roomSnapshot(m.id);
    const intruder = await knock(m.id, 'Host\u202E (admin)', 2);
    const e = await intruder.next('error');
    expect(e.code).toBe('bad_message');
    expect(e.message).toMatch(/text-direction/);
    expect(await roomSnapshot(m.id)).toBe(before);
    // The host saw no one arrive.
    expect((await host.c.drain(50)).filter((x) => x.type === 'participant-joined')).toEqual([]);
    // The same client may still join under a plain name, emoji ZWJ sequence included.
    intruder.send({ type: 'join', name: 'Guest 👩\u200D💻', publicKey: fakePublicKey(3) });
    expect((await intruder.next('welcome')).self.name).toBe('Guest 👩\u200D💻');
  });
});
