/**
 * The at-rest layer of a recording: each uploaded part is sealed again, as a stream, under the
 * recording's data key (docs/ARCHITECTURE.md, "Accounts, SSO, MFA, admin, audit, at-rest encryption"). What it seals is already sealed by
 * the browser; this layer is what makes deleting the wrapped data key erase every copy.
 *
 *   stored part = salt(16) ‖ record_0 ‖ … ‖ record_{k-1}
 *   partKey     = HKDF-SHA-256(ikm = dataKey, salt, info = "sealroom/recording-part/v2\n" ‖ owner ‖ "\n" ‖ id ‖ "\n" ‖ partNumber)
 *   record_i    = AES-256-GCM(partKey, nonce = u64(i) ‖ u32(last), aad = "sealroom/recording-at-rest/v2\n" ‖ owner ‖ "\n" ‖ id ‖ "\n" ‖ partNumber)
 *   owner       = "user:" ‖ the recording's owner id (kms/envelope.ts ownerLabel)
 *
 * The owner is bound twice: into the data key's wrap (data-key.ts), so the key does not unwrap for
 * a recording row whose owner was changed, and here, so no record opens under another owner even
 * with the key in hand. "v2" marks the format; v1 (no owner) objects do not open.
 *
 * The STREAM construction again (as crypto/src/seal.ts): the index and the last flag in the
 * nonce detect reordered, dropped or cut records. The random salt gives every upload of a part
 * its own key, so a client that sends part n twice never makes the edge reuse a GCM nonce.
 *
 * Both directions stream: one record (64 KiB) in memory at a time, never a part or an object.
 */

/** Plaintext bytes per at-rest record. Small enough to keep memory flat, large enough that the 16-byte tag is 0.02 %. */
export const RECORD_SIZE = 64 * 1024;
const SALT = 16;
const TAG = 16;

/** Bytes R2 stores for a part of `n` client bytes. */
export function storedLength(n: number): number {
  return SALT + n + TAG * Math.ceil(n / RECORD_SIZE);
}

/** A stored record failed authentication or the stored object has the wrong shape. */
export class AtRestError extends Error {}

const enc = new TextEncoder();

/** A part's number, or a tail segment's `t<part>.<offset>` (tails.ts): each names its own key and AAD. */
export type PartLabel = number | string;

/** A recording's data key together with the owner it was unwrapped for (data-key.ts loadDataKey). */
export interface RecordingKey {
  readonly key: CryptoKey;
  /** `user:<id>`, as in the wrap's AAD. */
  readonly owner: string;
}

async function partKey(dataKey: RecordingKey, salt: Uint8Array, recordingId: string, partNumber: PartLabel): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: salt as Uint8Array<ArrayBuffer>,
      info: enc.encode(`sealroom/recording-part/v2\n${dataKey.owner}\n${recordingId}\n${partNumber}`),
    },
    dataKey.key,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

function nonce(index: number, last: boolean): Uint8Array<ArrayBuffer> {
  const n = new Uint8Array(12);
  const v = new DataView(n.buffer);
  v.setBigUint64(0, BigInt(index));
  v.setUint32(8, last ? 1 : 0);
  return n;
}

const aad = (owner: string, recordingId: string, partNumber: PartLabel) => enc.encode(`sealroom/recording-at-rest/v2\n${owner}\n${recordingId}\n${partNumber}`);

/** Imports a raw 32-byte data key for HKDF; the raw bytes can be wiped right after. */
export function importDataKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'HKDF', false, ['deriveKey']);
}

/** Reads exactly n bytes at a time from a byte stream, holding at most one read's worth beyond n. */
class ExactReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #held: Uint8Array = new Uint8Array(0);
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** @returns exactly n bytes, or fewer only when the stream ended first. */
  async read(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let have = 0;
    while (have < n) {
      if (this.#held.length === 0) {
        const { done, value } = await this.#reader.read();
        if (done) return out.subarray(0, have);
        this.#held = value;
        continue;
      }
      const take = Math.min(n - have, this.#held.length);
      out.set(this.#held.subarray(0, take), have);
      this.#held = this.#held.subarray(take);
      have += take;
    }
    return out;
  }

  /** True when nothing is left. */
  async atEnd(): Promise<boolean> {
    while (this.#held.length === 0) {
      const { done, value } = await this.#reader.read();
      if (done) return true;
      this.#held = value;
    }
    return false;
  }

  cancel(reason?: unknown): Promise<void> {
    return this.#reader.cancel(reason);
  }
}

/**
 * Seals one part as it arrives.
 * @param body - the client's bytes; must be exactly `length` long (else the stream errors)
 * @returns a stream of exactly `storedLength(length)` bytes
 */
export function sealPart(
  body: ReadableStream<Uint8Array>,
  length: number,
  dataKey: RecordingKey,
  recordingId: string,
  partNumber: PartLabel,
): ReadableStream<Uint8Array> {
  const src = new ExactReader(body);
  const records = Math.ceil(length / RECORD_SIZE);
  const ad = aad(dataKey.owner, recordingId, partNumber);
  let key: CryptoKey | null = null;
  let index = 0;
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      if (!key) {
        const salt = crypto.getRandomValues(new Uint8Array(SALT));
        key = await partKey(dataKey, salt, recordingId, partNumber);
        ctl.enqueue(salt);
        return;
      }
      if (index === records) {
        if (!(await src.atEnd())) throw new AtRestError('part longer than its content-length');
        ctl.close();
        return;
      }
      const want = Math.min(RECORD_SIZE, length - index * RECORD_SIZE);
      const chunk = await src.read(want);
      if (chunk.length < want) throw new AtRestError('part shorter than its content-length');
      const last = index === records - 1;
      ctl.enqueue(
        new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce(index, last), additionalData: ad }, key, chunk as Uint8Array<ArrayBuffer>)),
      );
      index++;
    },
    cancel(reason) {
      return src.cancel(reason);
    },
  });
}

/** A record of the stored object: part (0-based) and record within it. */
export interface RecordPos {
  part: number;
  record: number;
}

/**
 * Which stored bytes hold the client bytes `start…end` (inclusive), for a range read.
 * @param partSizes - client bytes of each part, in order
 * @returns the stored span to read (from the first record's start, or its part's salt when it is
 *   the part's first record), where that part's salt lies, the records it covers, and the client
 *   bytes to drop before `start`
 */
export function planRange(
  partSizes: number[],
  start: number,
  end: number,
): {
  from: RecordPos;
  to: RecordPos;
  saltOffset: number;
  storedOffset: number;
  storedLength: number;
  skip: number;
} {
  const locate = (pos: number) => {
    for (let p = 0, client = 0, stored = 0; p < partSizes.length; p++) {
      const size = partSizes[p]!;
      if (pos < client + size) {
        const record = Math.floor((pos - client) / RECORD_SIZE);
        return { part: p, record, client, stored, recordStored: stored + SALT + record * (RECORD_SIZE + TAG) };
      }
      client += size;
      stored += storedLength(size);
    }
    throw new RangeError(`byte ${pos} is past the end`);
  };
  const a = locate(start);
  const b = locate(end);
  const lastPlain = Math.min(RECORD_SIZE, partSizes[b.part]! - b.record * RECORD_SIZE);
  // From a part's first record, the read takes its salt along; deeper in, the salt is read apart.
  const storedOffset = a.record === 0 ? a.stored : a.recordStored;
  return {
    from: { part: a.part, record: a.record },
    to: { part: b.part, record: b.record + 1 },
    saltOffset: a.stored,
    storedOffset,
    storedLength: b.recordStored + lastPlain + TAG - storedOffset,
    skip: start - a.client - a.record * RECORD_SIZE,
  };
}

/**
 * Opens a stored object (its parts back to back) as it is read: the whole object, or the
 * records `span.from` up to `span.to` (exclusive) when `stored` begins at `span.from`'s record.
 * @param partSizes - client bytes of each part, in order (from the parts table)
 * @param span - where `stored` starts and stops, and the salt of the first part when it starts mid-part
 * @param label - each part's label in key and AAD (its number; a tail segment's own)
 * @returns the client-sealed bytes; the stream errors with AtRestError on the first record that does not open
 */
export function openObject(
  stored: ReadableStream<Uint8Array>,
  partSizes: number[],
  dataKey: RecordingKey,
  recordingId: string,
  span?: { from: RecordPos; to: RecordPos; salt: Uint8Array | null },
  label: (part: number) => PartLabel = (part) => part + 1,
): ReadableStream<Uint8Array> {
  const src = new ExactReader(stored);
  const to = span?.to ?? { part: partSizes.length, record: 0 };
  let part = span?.from.part ?? 0;
  let index = span?.from.record ?? 0;
  let key: CryptoKey | null = null;
  let firstSalt = span && span.from.record > 0 ? span.salt : null;
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      for (;;) {
        if (part > to.part || (part === to.part && index >= to.record)) {
          if (!(await src.atEnd())) throw new AtRestError('stored object is longer than its parts');
          ctl.close();
          return;
        }
        const size = partSizes[part]!;
        const records = Math.ceil(size / RECORD_SIZE);
        if (!key) {
          const salt = firstSalt ?? (await src.read(SALT));
          firstSalt = null;
          if (salt.length < SALT) throw new AtRestError('stored object is cut short');
          key = await partKey(dataKey, salt, recordingId, label(part));
        }
        if (index === records) {
          part++;
          key = null;
          index = 0;
          continue;
        }
        const plain = Math.min(RECORD_SIZE, size - index * RECORD_SIZE);
        const rec = await src.read(plain + TAG);
        if (rec.length < plain + TAG) throw new AtRestError('stored object is cut short');
        const last = index === records - 1;
        let pt: ArrayBuffer;
        try {
          pt = await crypto.subtle.decrypt(
            { name: 'AES-GCM', iv: nonce(index, last), additionalData: aad(dataKey.owner, recordingId, label(part)) },
            key,
            rec as Uint8Array<ArrayBuffer>,
          );
        } catch {
          throw new AtRestError(`stored record ${index} of part ${part + 1} failed authentication`);
        }
        index++;
        ctl.enqueue(new Uint8Array(pt));
        return;
      }
    },
    cancel(reason) {
      return src.cancel(reason);
    },
  });
}

/** Drops the first `skip` bytes of a stream and ends it after `take` more. */
export function sliceStream(src: ReadableStream<Uint8Array>, skip: number, take: number): ReadableStream<Uint8Array> {
  const reader = src.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      for (;;) {
        if (take === 0) {
          await reader.cancel();
          ctl.close();
          return;
        }
        const { done, value } = await reader.read();
        if (done) {
          ctl.close();
          return;
        }
        let bytes = value;
        if (skip > 0) {
          const drop = Math.min(skip, bytes.length);
          skip -= drop;
          bytes = bytes.subarray(drop);
        }
        if (bytes.length === 0) continue;
        if (bytes.length > take) bytes = bytes.subarray(0, take);
        take -= bytes.length;
        ctl.enqueue(bytes);
        return;
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
