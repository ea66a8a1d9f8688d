import { describe, expect, it, vi } from 'vitest';
import { maxParticipantsForMeeting, meetingAccess } from '../../src/accounts/tiers.ts';
import { newMeeting } from '../helpers.ts';
import { env, newOrg } from './helpers.ts';

// Every sign-in runs scrypt and several D1 round trips; under a full parallel run that needs more than 5 s.
vi.setConfig({ testTimeout: 30_000 });

async function ownedMeeting(ownerId: string) {
  const { id } = await newMeeting();
  // The meetings router does not yet record an owner for signed-in callers (the lead wires that); set it here.
  await env.DB.prepare('UPDATE meetings SET owner_id = ? WHERE id = ?').bind(ownerId, id).run();
  return id;
}

describe('tiers', () => {
  it('anonymous meetings get DEFAULT_MAX_PARTICIPANTS, 1000 when unset', async () => {
    const { id } = await newMeeting();
    expect(await maxParticipantsForMeeting(env.DB, id)).toBe(1000);
    expect(await maxParticipantsForMeeting(env.DB, id, '250')).toBe(250);
    expect(await maxParticipantsForMeeting(env.DB, id, 'nonsense')).toBe(1000);
    expect(await maxParticipantsForMeeting(env.DB, '0000000000')).toBe(1000);
  });

  it.each([100, 300, 500, 1000] as const)('an org on tier %i gets that limit, and a tier change applies at once', async (tier) => {
    const { owner, info } = await newOrg();
    const id = await ownedMeeting(info.user.id);
    expect(await maxParticipantsForMeeting(env.DB, id)).toBe(100);
    await owner.ok('PATCH', '/api/admin/org', { tier });
    expect(await maxParticipantsForMeeting(env.DB, id)).toBe(tier);
  });

  it('refuses a tier that does not exist', async () => {
    const { owner } = await newOrg();
    expect(await owner.fails('PATCH', '/api/admin/org', { tier: 200 }, 400)).toBe('bad_message');
    const org = await owner.ok('GET', '/api/admin/org');
    expect(org.tier).toBe(100);
  });
});

describe('meetingAccess', () => {
  it('anonymous meetings: default limit, anyone may join by link', async () => {
    const { id } = await newMeeting();
    expect(await meetingAccess(env.DB, id)).toEqual({ maxParticipants: 1000, allowAnonymousJoin: true });
  });

  it('org meetings follow the tier and the policy switch', async () => {
    const { owner, info } = await newOrg();
    const id = await ownedMeeting(info.user.id);
    await owner.ok('PATCH', '/api/admin/org', { tier: 300 });
    expect(await meetingAccess(env.DB, id)).toEqual({ maxParticipants: 300, allowAnonymousJoin: true });
    await owner.ok('PATCH', '/api/admin/policy', { allowAnonymousJoin: false });
    expect(await meetingAccess(env.DB, id)).toEqual({ maxParticipants: 300, allowAnonymousJoin: false });
  });
});
