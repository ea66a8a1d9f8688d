/** Test helpers: views at an offset, byte flipping. */

/**
 * Copies `bytes` into a larger buffer and returns a subarray view at an odd offset, so every
 * function is exercised on views whose byteOffset is not 0 and not aligned.
 */
export function atOffset(bytes: Uint8Array, offset = 3): Uint8Array {
  const buf = new Uint8Array(bytes.length + offset + 5).fill(0xa5);
  buf.set(bytes, offset);
  return buf.subarray(offset, offset + bytes.length);
}

/** A copy of `bytes` with bit 0 of byte `i` flipped. */
export function flip(bytes: Uint8Array, i: number, mask = 1): Uint8Array {
  const out = bytes.slice();
  out[i]! ^= mask;
  return out;
}
