import { describe, expect, it, vi } from 'vitest';
import vectors from '../test/vectors/password-hashes.json';
import { hashPassword, needsRehash, unmatchableHash, verifyPassword } from './password-hash.ts';

// scrypt runs ~20× slower in the workerd test pool than in production.
vi.setConfig({ testTimeout: 60_000 });

describe('password hashes', () => {
  it('hashes to a PHC string that verifies, and refuses a wrong password', async () => {
    const stored = await hashPassword('pässword', 10);
    expect(stored).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('pässword', stored)).toBe(true);
    // NFC and NFD spellings of the same password match.
    expect(await verifyPassword('pa\u0308ssword', stored)).toBe(true);
    expect(await verifyPassword('password', stored)).toBe(false);
    expect(await hashPassword('pässword', 10)).not.toBe(stored); // fresh salt
  });

  it.each(vectors.phc)('verifies the PHC vector for $password', async ({ password, stored }) => {
    expect(await verifyPassword(password, stored)).toBe(true);
    expect(await verifyPassword(`${password}!`, stored)).toBe(false);
  });

  it.each(vectors.legacy)('still verifies the legacy hash for $password', async ({ password, stored }) => {
    expect(await verifyPassword(password, stored)).toBe(true);
    expect(await verifyPassword(`${password}!`, stored)).toBe(false);
  });

  it('asks for a rehash of legacy and cheaper hashes only', () => {
    for (const { stored } of vectors.legacy) expect(needsRehash(stored, 10)).toBe(true);
    expect(needsRehash(vectors.phc[0]!.stored, 10)).toBe(false);
    expect(needsRehash(vectors.phc[0]!.stored, 11)).toBe(true);
    expect(needsRehash('garbage', 10)).toBe(true);
  });

  it('treats malformed strings as no match', async () => {
    for (const bad of [
      '',
      'scrypt$1024$8$1$',
      '$scrypt$ln=10,r=8,p=1$AAAA',
      '$scrypt$ln=10,r=8,p=1$A*A$AAAA',
      '$scrypt$ln=30,r=8,p=1$AAAA$AAAA',
      'scrypt$1024$8$1$AA+A$AAAA',
      'bcrypt$x',
    ])
      expect(await verifyPassword('x', bad), bad).toBe(false);
    expect(await verifyPassword('', unmatchableHash(10))).toBe(false);
    expect(needsRehash(unmatchableHash(10), 10)).toBe(false);
  });
});
