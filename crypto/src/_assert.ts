/**
 * Argument checks shared by every public entry point (internal: `_` prefix, not exported
 * from package.json). Modelled on noble's `abytes`/`anumber`: a wrong type is a TypeError,
 * a wrong size or range is a RangeError, and the message names the argument so a caller
 * can tell which of five byte arrays was the bad one.
 * @module
 */

/** True for Uint8Array and views of it (Node's Buffer included). */
export function isBytes(a: unknown): a is Uint8Array {
  return a instanceof Uint8Array || (ArrayBuffer.isView(a) && a.constructor.name === 'Uint8Array');
}

/**
 * Asserts `value` is a Uint8Array, optionally of an exact length or a length range.
 * @throws TypeError when not bytes; RangeError when the length is wrong.
 */
export function abytes(value: unknown, title: string, len?: number | readonly [min: number, max: number]): Uint8Array {
  if (!isBytes(value)) throw new TypeError(`${title}: expected Uint8Array, got ${typeName(value)}`);
  if (typeof len === 'number') {
    if (value.length !== len) throw new RangeError(`${title}: expected ${len} bytes, got ${value.length}`);
  } else if (len !== undefined) {
    const [min, max] = len;
    if (value.length < min || value.length > max) throw new RangeError(`${title}: expected ${min}..${max} bytes, got ${value.length}`);
  }
  return value;
}

/**
 * Asserts `n` is a safe integer in [min, max].
 * @throws TypeError when not an integer number; RangeError when out of range.
 */
export function aint(n: unknown, title: string, min: number, max: number): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new TypeError(`${title}: expected integer, got ${typeName(n)}`);
  if (n < min || n > max) throw new RangeError(`${title}: expected ${min}..${max}, got ${n}`);
  return n;
}

/** Largest value of an unsigned 64-bit integer: KID and CTR live in [0, U64_MAX]. */
export const U64_MAX = 0xffff_ffff_ffff_ffffn;

/**
 * Asserts `n` is a bigint in [0, max].
 * @throws TypeError when not a bigint; RangeError when negative or above max.
 */
export function abigint(n: unknown, title: string, max: bigint = U64_MAX): bigint {
  if (typeof n !== 'bigint') throw new TypeError(`${title}: expected bigint, got ${typeName(n)}`);
  if (n < 0n || n > max) throw new RangeError(`${title}: expected 0..0x${max.toString(16)}, got ${n}`);
  return n;
}

/**
 * Asserts `s` is a string of at most `max` characters matching `re` (if given).
 * @throws TypeError when not a string; RangeError when too long or not matching.
 */
export function astring(s: unknown, title: string, re?: RegExp, max = 1 << 20): string {
  if (typeof s !== 'string') throw new TypeError(`${title}: expected string, got ${typeName(s)}`);
  if (s.length > max) throw new RangeError(`${title}: expected at most ${max} characters, got ${s.length}`);
  if (re && !re.test(s)) throw new RangeError(`${title}: does not match ${re}`);
  return s;
}

/** Asserts `o` is a non-null object (for option bags). */
export function aobject(o: unknown, title: string): Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new TypeError(`${title}: expected object, got ${typeName(o)}`);
  return o as Record<string, unknown>;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  return typeof v;
}
