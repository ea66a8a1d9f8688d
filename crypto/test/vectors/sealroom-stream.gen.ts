/**
 * Writes `sealroom-stream.json`: chunk-stream vectors for crypto/src/seal.ts (`ChunkSealer`,
 * `ChunkOpener`, their WebCrypto methods and `sealFile`/`openFile`). Sealroom's stream format
 * is its own, so no outside body publishes vectors for it; these are computed here from the
 * construction as written in seal.ts's module comment, with Node's OpenSSL (`node:crypto`
 * HKDF and AES-256-GCM) and none of the project's code, so they check seal.ts's noble and
 * WebCrypto paths against a third implementation.
 *
 *   PATH=$PWD/node_modules/.bin:$PATH tsx crypto/test/vectors/sealroom-stream.gen.ts > crypto/test/vectors/sealroom-stream.json
 */
import { createCipheriv, createHash, hkdfSync } from 'node:crypto';

type Case = { name: string; kind: 'file' | 'recording'; meetingId: string; senderId: string; epoch: number; baseKey: Buffer; streamId: Buffer; chunks: Buffer[] };

const KIND_BYTE = { file: 2, recording: 3 } as const;
const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const u64 = (n: number) => Buffer.concat([u32(Math.floor(n / 2 ** 32)), u32(n >>> 0)]);
/** u32be(length) ‖ bytes for each part. */
const lp = (...parts: string[]) => Buffer.concat(parts.flatMap((p) => [u32(Buffer.byteLength(p)), Buffer.from(p, 'utf8')]));
const pattern = (n: number, f: (i: number) => number) => Buffer.from(Array.from({ length: n }, (_, i) => f(i) & 0xff));

const cases: Case[] = [
  {
    name: 'file, three chunks (partial GCM blocks, one chunk of exactly four blocks)',
    kind: 'file',
    meetingId: '123456789',
    senderId: 'alice-0001',
    epoch: 3,
    baseKey: pattern(32, (i) => i),
    streamId: pattern(16, (i) => 0xa0 + i),
    chunks: [Buffer.from('Sealroom file vector, chunk 0', 'utf8'), pattern(64, (i) => i * 31), Buffer.from('end')],
  },
  {
    name: 'recording, a 1000-byte chunk and an empty last chunk',
    kind: 'recording',
    meetingId: 'rec-0000000000000001',
    senderId: 'recording',
    epoch: 0,
    baseKey: createHash('sha256').update('Sealroom recording vector key').digest(),
    streamId: Buffer.alloc(16, 0xff),
    chunks: [pattern(1000, (i) => i * 7 + 1), Buffer.alloc(0)],
  },
  {
    name: 'empty file: one empty last chunk, highest epoch',
    kind: 'file',
    meetingId: 'm',
    senderId: 'bob-00002',
    epoch: 0xffff_ffff,
    baseKey: Buffer.alloc(32, 0x5a),
    streamId: Buffer.alloc(16, 0),
    chunks: [Buffer.alloc(0)],
  },
];

const vectors = cases.map((c) => {
  const label = Buffer.from(`Sealroom 1.0 ${c.kind}`, 'utf8');
  const salt = lp(c.meetingId, c.senderId);
  const streamKey = Buffer.from(hkdfSync('sha256', c.baseKey, salt, Buffer.concat([label, c.streamId]), 32));
  const header = Buffer.concat([Buffer.from([1, KIND_BYTE[c.kind]]), u32(c.epoch), c.streamId]);
  const chunks = c.chunks.map((pt, index) => {
    const last = index === c.chunks.length - 1;
    const flag = Buffer.from([last ? 1 : 0]);
    const nonce = Buffer.concat([u64(index), u32(last ? 1 : 0)]);
    const aad = Buffer.concat([label, salt, header, u64(index), flag]);
    const cipher = createCipheriv('aes-256-gcm', streamKey, nonce);
    cipher.setAAD(aad);
    const ct = Buffer.concat([cipher.update(pt), cipher.final(), cipher.getAuthTag()]);
    return { pt: pt.toString('hex'), last, nonce: nonce.toString('hex'), aad: aad.toString('hex'), sealed: Buffer.concat([flag, ct]).toString('hex') };
  });
  return {
    name: c.name,
    kind: c.kind,
    key: { meetingId: c.meetingId, senderId: c.senderId, epoch: c.epoch, baseKey: c.baseKey.toString('hex') },
    streamId: c.streamId.toString('hex'),
    salt: salt.toString('hex'),
    streamKey: streamKey.toString('hex'),
    header: header.toString('hex'),
    chunks,
  };
});

const source =
  'Computed by crypto/test/vectors/sealroom-stream.gen.ts with node:crypto (OpenSSL HKDF-SHA-256 and AES-256-GCM), ' +
  'from the construction in crypto/src/seal.ts, independently of seal.ts and of @noble/ciphers.';
process.stdout.write(`${JSON.stringify({ source, vectors }, null, 2)}\n`);
