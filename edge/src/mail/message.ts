/**
 * Builds the RFC 5322 text of a message: headers (non-ASCII as RFC 2047 encoded words), and
 * UTF-8 bodies in quoted-printable (RFC 2045 §6.7), so every line is 7-bit and at most 76
 * characters and any relay accepts it without the 8BITMIME extension.
 */
import { hex as hexOf, toBase64 } from '@sealroom/crypto/bytes';
import type { MailMessage } from './provider.ts';

const utf8 = new TextEncoder();

const hex = (b: number) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`;

/** Quoted-printable of one line (no line break in it): literal printable ASCII, soft breaks at 76. */
function qpLine(line: string): string {
  const bytes = utf8.encode(line);
  const tokens: string[] = [];
  bytes.forEach((b, i) => {
    const last = i === bytes.length - 1;
    // Trailing white space would be stripped in transit (§6.7 rule 3): encode it.
    const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
    tokens.push(literal ? String.fromCharCode(b) : hex(b));
  });
  const out: string[] = [];
  let current = '';
  for (const t of tokens) {
    // 75 characters plus the soft-break "=" make the 76 of rule 5; an =XX token is never split.
    if (current.length + t.length > 75) {
      out.push(`${current}=`);
      current = '';
    }
    current += t;
  }
  out.push(current);
  return out.join('\r\n');
}

export function quotedPrintable(text: string): string {
  return text.split(/\r?\n/).map(qpLine).join('\r\n');
}

/** A header value: as is when printable ASCII, else folded RFC 2047 B-encoded words. */
export function encodeHeader(value: string): string {
  const clean = value.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(clean)) return clean;
  const words: string[] = [];
  let chunk = '';
  for (const ch of clean) {
    // 30 bytes become 40 base64 characters, 52 with "=?UTF-8?B?" and "?=": with a header name
    // in front the line stays within the 76 that §2 allows a line holding encoded words.
    if (utf8.encode(chunk + ch).length > 30) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${toBase64(utf8.encode(w))}?=`).join('\r\n ');
}

/** RFC 5322 §3.3 date-time in UTC. */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

function token(bytes = 12): string {
  return hexOf(crypto.getRandomValues(new Uint8Array(bytes)));
}

const textPart = (subtype: 'plain' | 'html', body: string) =>
  [`Content-Type: text/${subtype}; charset=utf-8`, 'Content-Transfer-Encoding: quoted-printable', '', quotedPrintable(body)].join('\r\n');

/** The whole message, CRLF line ends, without the SMTP end-of-data mark (the client adds it and dot-stuffs). */
export function buildMessage(msg: MailMessage, from: { header: string; address: string }, now = new Date()): string {
  const domain = from.address.split('@')[1] ?? 'localhost';
  const headers = [
    `From: ${from.header}`,
    `To: ${msg.to}`,
    `Subject: ${encodeHeader(msg.subject)}`,
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: <${token()}@${domain}>`,
    'MIME-Version: 1.0',
  ];
  if (msg.html === undefined) return [...headers, textPart('plain', msg.text)].join('\r\n');
  const boundary = `=_sealroom_${token()}`;
  return [
    ...headers,
    'Content-Type: multipart/alternative;',
    ` boundary="${boundary}"`,
    '',
    `--${boundary}`,
    textPart('plain', msg.text),
    `--${boundary}`,
    textPart('html', msg.html),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}
