import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateKeyPair } from '../src/key-schedule.ts';
import { CODE_GROUP_DIGITS, CODE_GROUPS, securityCode } from '../src/security-code.ts';
import { flip } from './_helpers.ts';

const roster = ['alice-0001', 'bob-00002', 'carol-003'].map((id) => ({ id, publicKey: generateKeyPair().publicKey }));

describe('securityCode', () => {
  it('has at least 100 bits, shown as digit groups', () => {
    expect(CODE_GROUPS * Math.log2(10 ** CODE_GROUP_DIGITS)).toBeGreaterThanOrEqual(100);
    expect(securityCode(roster)).toMatch(/^\d{4}( \d{4}){7}$/);
  });

  it('is pinned: a regression value from this implementation, the same in any roster order', () => {
    const fixed = [
      { id: 'bob-00002', publicKey: new Uint8Array(32).fill(2) },
      { id: 'alice-0001', publicKey: new Uint8Array(32).fill(1) },
    ];
    expect(securityCode(fixed)).toBe(securityCode([...fixed].reverse()));
    expect(securityCode(fixed)).toBe('0494 6472 9142 9457 7641 8080 5709 5702');
  });

  it('does not depend on roster order', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(roster, { minLength: 3, maxLength: 3 }), (r) => {
        expect(securityCode(r)).toBe(securityCode(roster));
      }),
      { numRuns: 20 },
    );
  });

  it('changes if any single public key byte changes, or an id changes, or someone is added', () => {
    const base = securityCode(roster);
    for (let p = 0; p < roster.length; p++)
      for (let i = 0; i < 32; i++) {
        const swapped = roster.map((e, j) => (j === p ? { ...e, publicKey: flip(e.publicKey, i) } : e));
        expect(securityCode(swapped)).not.toBe(base);
      }
    expect(securityCode(roster.map((e, j) => (j === 0 ? { ...e, id: 'alice-0009' } : e)))).not.toBe(base);
    expect(securityCode([...roster, { id: 'dave-0004', publicKey: generateKeyPair().publicKey }])).not.toBe(base);
  });

  it('binds keys to ids: swapping two participants’ keys changes it', () => {
    const swapped = [{ ...roster[0]!, publicKey: roster[1]!.publicKey }, { ...roster[1]!, publicKey: roster[0]!.publicKey }, roster[2]!];
    expect(securityCode(swapped)).not.toBe(securityCode(roster));
  });

  it('refuses an empty roster and duplicate ids', () => {
    expect(() => securityCode([])).toThrow(RangeError);
    expect(() => securityCode([roster[0]!, roster[0]!])).toThrow(/duplicate/);
  });
});
