/**
 * Meetings owned by accounts: the owner (and alternative hosts) claim host from their session,
 * see their upcoming meetings, and their organization's policy reaches the Room's door.
 */
import { describe, expect, it } from 'vitest';
import { addUser, newOrg } from './accounts/helpers.ts';
import { verifyByMail } from './accounts/mail.ts';
import { TestClient, call, fakePublicKey } from './helpers.ts';

const SCRYPT_MS = 90_000;

async function joinAs(meetingId: string, cookie: string, name: string, seed: number) {
  const c = await TestClient.connect(meetingId, cookie ? { cookie } : {});
  c.send({ type: 'join', name, publicKey: fakePublicKey(seed) });
  return c;
}

describe('meetings of signed-in users', () => {
  it(
    'the owner claims host by session, alternative hosts too, and others join as participants',
    async () => {
      const { owner } = await newOrg('Board Co');
      const member = await addUser(owner, 'member');
      // Alternative hosts are named by email: the member proves that address first.
      await member.agent.ok('POST', '/api/account/verify-email/resend');
      await verifyByMail(member.agent, member.email);
      const outsider = await addUser(owner, 'member');
      const { id } = await owner.ok<{ id: string }>(
        'POST',
        '/api/meetings',
        { topic: 'Board', alternativeHosts: [member.email], startAt: Date.now() + 3_600_000 },
        201,
      );

      const list = await owner.ok<{ meetings: Array<{ id: string; topic: string }> }>('GET', '/api/meetings');
      expect(list.meetings.map((m) => m.id)).toContain(id);
      // The alternative host sees it among theirs; an outsider does not.
      expect((await member.agent.ok<{ meetings: Array<{ id: string }> }>('GET', '/api/meetings')).meetings.map((m) => m.id)).toContain(id);
      expect((await outsider.agent.ok<{ meetings: Array<{ id: string }> }>('GET', '/api/meetings')).meetings.map((m) => m.id)).not.toContain(id);

      const o = await joinAs(id, owner.cookie, 'Olive', 1);
      expect((await o.next('welcome')).self.role).toBe('host');
      const alt = await joinAs(id, member.agent.cookie, 'Alt', 2);
      expect((await alt.next('welcome')).self.role).toBe('cohost');
      const x = await joinAs(id, outsider.agent.cookie, 'Out', 3);
      expect((await x.next('welcome')).self.role).toBe('participant');
      // A forged claim header from a client is dropped by the Worker.
      const forged = await TestClient.connect(id, { 'x-sealroom-host-user': 'anyone', 'x-sealroom-user': 'anyone' });
      forged.send({ type: 'join', name: 'Forger', publicKey: fakePublicKey(4) });
      expect((await forged.next('welcome')).self.role).toBe('participant');
    },
    SCRYPT_MS,
  );

  it(
    'a personal meeting keeps one id, and its owner is host in it by session',
    async () => {
      const { owner } = await newOrg('Solo Co');
      const first = await owner.ok<{ id: string; url: string }>('POST', '/api/meetings/personal');
      const again = await owner.ok<{ id: string }>('POST', '/api/meetings/personal');
      expect(again.id).toBe(first.id);
      expect(first.url).toBe(`/m/${first.id}`);
      const o = await joinAs(first.id, owner.cookie, 'Olive', 7);
      expect((await o.next('welcome')).self.role).toBe('host');
      expect((await call('/api/meetings/personal', { method: 'POST' })).status).toBe(401);
    },
    SCRYPT_MS,
  );

  it('listing meetings needs a session', async () => {
    const res = await call('/api/meetings');
    expect(res.status).toBe(401);
  });

  it(
    'an organization that requires sign-in keeps anonymous joiners out',
    async () => {
      const { owner } = await newOrg('Closed Co');
      await owner.ok('PATCH', '/api/admin/policy', { allowAnonymousJoin: false });
      const { id } = await owner.ok<{ id: string }>('POST', '/api/meetings', { topic: 'Members only' }, 201);
      const anon = await joinAs(id, '', 'Anon', 5);
      const e = await anon.next('error');
      expect(e).toMatchObject({ code: 'forbidden', message: 'this organization asks everyone to sign in before joining' });
      const member = await addUser(owner, 'member');
      const m = await joinAs(id, member.agent.cookie, 'Mem', 6);
      expect((await m.next('welcome')).self.role).toBe('participant');
    },
    SCRYPT_MS,
  );
});
