/**
 * A rekey that races a departure: the sender seals its new key to everyone it knows, including
 * someone whose `participant-left` it has not read yet. The members still present must get
 * their blobs; only the one for the leaver is reported missing. (Refusing the whole frame left
 * present members without the new key, so they dropped the sender's frames and chat lines
 * until its next rekey: found by test/faults/soak.e2e.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { joined, newMeeting } from './helpers.ts';

describe('key-blobs racing a leave', () => {
  it('delivers to the members present and reports only the one who left', async () => {
    const m = await newMeeting();
    const a = await joined(m.id, 'Alice', 1);
    const b = await joined(m.id, 'Bob', 2);
    const c = await joined(m.id, 'Carol', 3);
    const carolId = c.welcome.self.id;
    c.c.send({ type: 'leave' });
    await b.c.next('participant-left');
    await a.c.next('participant-left');
    // Alice's rekey was sealed before she read Carol's departure.
    a.c.send({
      type: 'key-blobs',
      epoch: 2,
      blobs: [
        { to: b.welcome.self.id, blob: 'sealed-for-bob_AAAAAAAA' },
        { to: carolId, blob: 'sealed-for-carol_AAAAAA' },
      ],
    });
    expect(await b.c.next('key-blob')).toEqual({ type: 'key-blob', from: a.welcome.self.id, epoch: 2, blob: 'sealed-for-bob_AAAAAAAA' });
    const e = await a.c.next('error');
    expect(e.code).toBe('not_found');
    expect(e.message).toContain(carolId);
  });
});
