/**
 * Just enough RTP (RFC 3550 §5.1) to read what the origin forwards and to generate test and
 * benchmark traffic. The origin itself never looks into payloads; this is for the test tap,
 * the tests and bench/sfu.
 */

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  seq: number;
  timestamp: number;
  ssrc: number;
  /** Payload after header, CSRCs and extension, padding removed (RFC 3550 §5.1 P bit). */
  payload: Uint8Array;
}

/** Parses one RTP packet; returns null for anything that is not a well-formed RTP v2 packet. */
export function parseRtp(buf: Uint8Array): RtpPacket | null {
  if (buf.length < 12) return null;
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  if (b0 >> 6 !== 2) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let offset = 12 + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    // Header extension (§5.3.1): 16-bit profile, 16-bit length in 32-bit words.
    if (buf.length < offset + 4) return null;
    offset += 4 + dv.getUint16(offset + 2) * 4;
  }
  let end = buf.length;
  if (b0 & 0x20) {
    const pad = buf[buf.length - 1]!;
    end -= pad;
  }
  if (offset > end) return null;
  return {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    seq: dv.getUint16(2),
    timestamp: dv.getUint32(4),
    ssrc: dv.getUint32(8),
    payload: buf.subarray(offset, end),
  };
}

/**
 * An RTP packet with no CSRC or padding; `extensions` become a one-byte-header extension
 * block (RFC 8285 §4.2), e.g. the audio level (RFC 6464) the active-speaker observer reads.
 */
export function buildRtp(p: Omit<RtpPacket, 'payload'> & { payload: Uint8Array; extensions?: { id: number; data: Uint8Array }[] }): Buffer {
  let ext: Uint8Array | undefined;
  if (p.extensions?.length) {
    const raw = p.extensions.reduce((n, e) => n + 1 + e.data.length, 0);
    const words = Math.ceil(raw / 4);
    ext = new Uint8Array(4 + words * 4);
    ext.set([0xbe, 0xde, words >> 8, words & 0xff]);
    let o = 4;
    for (const e of p.extensions) {
      ext[o++] = (e.id << 4) | (e.data.length - 1);
      ext.set(e.data, o);
      o += e.data.length;
    }
  }
  const head = 12 + (ext?.length ?? 0);
  const out = Buffer.allocUnsafe(head + p.payload.length);
  out[0] = 0x80 | (ext ? 0x10 : 0);
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  out.writeUInt16BE(p.seq & 0xffff, 2);
  out.writeUInt32BE(p.timestamp >>> 0, 4);
  out.writeUInt32BE(p.ssrc >>> 0, 8);
  if (ext) out.set(ext, 12);
  out.set(p.payload, head);
  return out;
}

/**
 * Length of the VP8 payload descriptor at the start of an RTP payload (RFC 7741 §4.2),
 * or -1 if it is truncated.
 */
export function vp8DescriptorLength(payload: Uint8Array): number {
  if (payload.length < 1) return -1;
  const b0 = payload[0]!;
  let len = 1;
  if (b0 & 0x80) {
    // X: extension octet I L T K, then the optional fields it announces.
    if (payload.length < 2) return -1;
    const x = payload[1]!;
    len = 2;
    if (x & 0x80) {
      if (payload.length < len + 1) return -1;
      len += payload[len]! & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits (M bit)
    }
    if (x & 0x40) len += 1; // TL0PICIDX
    if (x & 0x30) len += 1; // TID/Y/KEYIDX share one octet
  }
  return len <= payload.length ? len : -1;
}

/** S bit and partition index 0: this packet starts a VP8 frame (RFC 7741 §4.2). */
export const vp8StartsFrame = (payload: Uint8Array): boolean => payload.length > 0 && (payload[0]! & 0x10) !== 0 && (payload[0]! & 0x07) === 0;

/**
 * A VP8 frame for tests: a key frame carries the 10-byte uncompressed header (RFC 6386 §9.1:
 * frame tag, start code 9d 01 2a, 14-bit width and height) that mediasoup reads to detect
 * key frames; `body` follows it (in Sealroom an SFrame header and ciphertext would).
 */
export function fakeVp8Frame(key: boolean, body: Uint8Array, width = 640, height = 480): Uint8Array {
  const size = body.length;
  const head = key ? new Uint8Array(10) : new Uint8Array(3);
  // Frame tag (§9.1): bit 0 = !key_frame, bits 1–3 version 0, bit 4 show_frame, 19-bit first partition size.
  const tag = (key ? 0 : 1) | (1 << 4) | ((size & 0x7ffff) << 5);
  head[0] = tag & 0xff;
  head[1] = (tag >> 8) & 0xff;
  head[2] = (tag >> 16) & 0xff;
  if (key) {
    head.set([0x9d, 0x01, 0x2a], 3);
    head[6] = width & 0xff;
    head[7] = (width >> 8) & 0x3f;
    head[8] = height & 0xff;
    head[9] = (height >> 8) & 0x3f;
  }
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/**
 * Splits a VP8 frame into RTP payloads of at most `mtu` bytes, each with a 4-byte payload
 * descriptor (X=1, I=1 with a 15-bit PictureID) as Chromium sends them.
 */
export function packetizeVp8(frame: Uint8Array, pictureId: number, mtu = 1100): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0, first = true; off < frame.length || first; first = false) {
    const chunk = frame.subarray(off, off + mtu);
    off += chunk.length;
    const p = new Uint8Array(4 + chunk.length);
    p[0] = 0x80 | (first ? 0x10 : 0); // X, S on the first packet, partition 0
    p[1] = 0x80; // I: PictureID present
    p[2] = 0x80 | ((pictureId >> 8) & 0x7f); // M: 15-bit PictureID
    p[3] = pictureId & 0xff;
    p.set(chunk, 4);
    out.push(p);
    if (chunk.length === 0) break;
  }
  return out;
}
