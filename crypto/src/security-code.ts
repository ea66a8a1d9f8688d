/**
 * The meeting security code: a short string every participant compares out of band (by voice)
 * to detect a server that substituted someone's public key (docs/THREAT-MODEL.md).
 *
 * code = SHA-512("Sealroom 1.0 security code" ‖ for each participant sorted by id:
 *        lp(id) ‖ publicKey), read as 8 groups of 4 decimal digits, each group taken from 5
 *        hash bytes mod 10 000 (bias below 2^-26). 8 · log2(10^4) ≈ 106 bits: a server that
 *        wants two clients to show the same code for different rosters needs a 2^106
 *        second-preimage search.
 *
 * Sorting by id makes the code independent of the order a client learnt the roster in, so every
 * honest client computes the same string; including ids binds each key to its participant.
 * @module
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { abytes, aobject, astring } from './_assert.ts';
import { lp, utf8 } from './bytes.ts';
import { PARTICIPANT_ID } from './key-schedule.ts';

/** Number of digit groups, and digits per group. */
export const CODE_GROUPS = 8;
export const CODE_GROUP_DIGITS = 4;
const LABEL = utf8('Sealroom 1.0 security code');

/**
 * Computes the security code of a roster.
 * @param roster - every participant (us included) with their 32-byte X25519 public key, any order
 * @returns e.g. `"0412 9935 1180 7724 5521 0098 3361 4870"`
 * @throws TypeError / RangeError on a bad entry; RangeError on an empty roster or a duplicate id
 * @example securityCode([{ id: 'alice-0001', publicKey: pkA }, { id: 'bob-00002', publicKey: pkB }])
 */
export function securityCode(roster: { id: string; publicKey: Uint8Array }[]): string {
  if (!Array.isArray(roster)) throw new TypeError('roster: expected array');
  if (roster.length === 0) throw new RangeError('roster: empty');
  const entries = roster.map((p, i) => {
    aobject(p, `roster[${i}]`);
    return { id: astring(p.id, `roster[${i}].id`, PARTICIPANT_ID), publicKey: abytes(p.publicKey, `roster[${i}].publicKey`, 32) };
  });
  // Ids are ASCII, so plain code-unit order is the same on every platform and locale.
  entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < entries.length; i++) if (entries[i]!.id === entries[i - 1]!.id) throw new RangeError(`roster: duplicate id ${entries[i]!.id}`);
  const h = sha512.create().update(LABEL);
  for (const e of entries) h.update(lp(e.id)).update(e.publicKey);
  const digest = h.digest();
  const groups: string[] = [];
  for (let g = 0; g < CODE_GROUPS; g++) {
    let v = 0;
    for (let i = 0; i < 5; i++) v = v * 256 + digest[g * 5 + i]!;
    groups.push(String(v % 10 ** CODE_GROUP_DIGITS).padStart(CODE_GROUP_DIGITS, '0'));
  }
  return groups.join(' ');
}
