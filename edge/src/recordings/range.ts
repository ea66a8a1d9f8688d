/**
 * HTTP byte ranges on a recording's content (RFC 9110 §14): one range per request, which is
 * all a player needs to jump to a chunk. Several ranges in one header are answered with the
 * whole body, as §14.2 allows a server to ignore a Range it does not support.
 */

/** Inclusive byte positions of the client-sealed stream. */
export interface ByteRange {
  start: number;
  end: number;
}

const SINGLE = /^bytes=(\d*)-(\d*)$/;

/**
 * @param header - the Range header, if any
 * @param size - length of the representation
 * @returns null for the whole body, 'unsatisfiable' for a range outside it (→ 416)
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  if (header === undefined) return null;
  const m = SINGLE.exec(header.trim());
  if (!m) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    // A suffix: the last n bytes.
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || (b !== '' && Number(b) < start)) return 'unsatisfiable';
  return { start, end };
}
