/**
 * A small SMTP client (RFC 5321) over `connect()` from cloudflare:sockets: EHLO, optional
 * STARTTLS (RFC 3207) or implicit TLS (RFC 8314), AUTH PLAIN (RFC 4954), MAIL FROM, RCPT TO,
 * DATA with dot-stuffing (§4.5.2), QUIT. Every reply code is checked; anything unexpected ends
 * the attempt with a MailError that names the step and the server's reply.
 */
import { connect } from 'cloudflare:sockets';
import { toBase64 } from '@sealroom/crypto/bytes';
import type { SmtpConfig } from './config.ts';
import { buildMessage } from './message.ts';
import { MailError, type MailMessage, type MailProvider } from './provider.ts';

/** A relay that goes silent must not hold a request open: §4.5.3.2 allows minutes, a sign-up cannot wait that long. */
const REPLY_TIMEOUT_MS = 15_000;
/** §4.5.3.1.5: a reply line is at most 512 octets; anything far beyond is not an SMTP server. */
const MAX_REPLY_BYTES = 64 * 1024;

type Connect = typeof connect;

async function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MailError(`${what} within ${REPLY_TIMEOUT_MS / 1000} s`)), REPLY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Reply {
  code: number;
  lines: string[];
}

/** Reads CRLF-terminated reply lines and assembles multi-line replies (`250-…` … `250 …`, §4.2.1). */
class ReplyReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  #buffer = '';
  constructor(readable: ReadableStream<Uint8Array>) {
    this.#reader = readable.getReader();
  }

  async #line(): Promise<string> {
    for (;;) {
      const end = this.#buffer.indexOf('\r\n');
      if (end >= 0) {
        const line = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return line;
      }
      if (this.#buffer.length > MAX_REPLY_BYTES) throw new MailError('the SMTP server sent an over-long reply line');
      const { value, done } = await this.#reader.read();
      if (done) throw new MailError('the SMTP server closed the connection');
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }

  reply(step: string): Promise<Reply> {
    return withTimeout(this.#read(step), `no SMTP reply to ${step}`);
  }

  async #read(step: string): Promise<Reply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.#line();
      const m = /^([2-5][0-9]{2})([ -])(.*)$/.exec(line) ?? /^([2-5][0-9]{2})()$/.exec(line);
      if (!m) throw new MailError(`not an SMTP reply to ${step}: ${JSON.stringify(line.slice(0, 100))}`);
      const code = Number(m[1]);
      if (lines.length && code !== Number(lines[0]!.slice(0, 3))) throw new MailError(`mixed reply codes in the reply to ${step}`);
      lines.push(line);
      if (m[2] !== '-') return { code, lines: lines.map((l) => l.slice(4)) };
    }
  }

  /** The reader's lock must go before the socket is upgraded to TLS. */
  release(): void {
    this.#reader.releaseLock();
  }
}

/** §4.5.2: a line of the content that begins with "." gets one more, so it cannot end DATA early. */
export function dotStuff(message: string): string {
  const crlf = message.replace(/\r?\n/g, '\r\n');
  return crlf.replace(/^\./gm, '..');
}

/** Refuses what would let a caller inject SMTP commands through an address. */
function envelopeAddress(address: string, what: string): string {
  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(address)) throw new MailError(`${what} is not a plain address`);
  return address;
}

class SmtpSession {
  #socket: Socket;
  #reader: ReplyReader;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #encoder = new TextEncoder();
  #config: SmtpConfig;

  constructor(socket: Socket, config: SmtpConfig) {
    this.#socket = socket;
    this.#config = config;
    this.#reader = new ReplyReader(socket.readable);
    this.#writer = socket.writable.getWriter();
  }

  async #write(text: string): Promise<void> {
    await this.#writer.write(this.#encoder.encode(text));
  }

  /** Sends one command and checks the reply code against what the RFC says success is for it. */
  async #command(line: string, ok: number[], step = line.split(' ')[0]!): Promise<Reply> {
    await this.#write(`${line}\r\n`);
    return this.#expect(ok, step);
  }

  async #expect(ok: number[], step: string): Promise<Reply> {
    const reply = await this.#reader.reply(step);
    if (!ok.includes(reply.code)) throw new MailError(`SMTP ${step} refused: ${reply.code} ${reply.lines.join(' ').slice(0, 200)}`, reply.code);
    return reply;
  }

  async #ehlo(): Promise<Set<string>> {
    // §4.1.4: EHLO names the client; a Worker has no host name of its own, so the address literal form stands in.
    const reply = await this.#command('EHLO [127.0.0.1]', [250], 'EHLO');
    return new Set(reply.lines.slice(1).map((l) => l.split(' ')[0]!.toUpperCase()));
  }

  async send(msg: MailMessage): Promise<void> {
    const c = this.#config;
    await this.#expect([220], 'greeting');
    let extensions = await this.#ehlo();
    if (c.security === 'starttls') {
      if (!extensions.has('STARTTLS')) throw new MailError('the SMTP server does not offer STARTTLS (set SMTP_SECURE=tls for port 465)');
      await this.#command('STARTTLS', [220]);
      this.#reader.release();
      this.#writer.releaseLock();
      this.#socket = this.#socket.startTls({ expectedServerHostname: c.host });
      this.#reader = new ReplyReader(this.#socket.readable);
      this.#writer = this.#socket.writable.getWriter();
      // RFC 3207 §4.2: what the server said before TLS is forgotten; ask again.
      extensions = await this.#ehlo();
    }
    if (c.auth) {
      // Credentials never cross the wire in the clear.
      if (c.security === 'off') throw new MailError('refusing to send SMTP credentials without TLS');
      if (!extensions.has('AUTH')) throw new MailError('the SMTP server offers no AUTH, yet SMTP_USER is set');
      const plain = toBase64(this.#encoder.encode(`\0${c.auth.user}\0${c.auth.password}`));
      await this.#command(`AUTH PLAIN ${plain}`, [235], 'AUTH');
    }
    await this.#command(`MAIL FROM:<${envelopeAddress(c.fromAddress, 'SMTP_FROM')}>`, [250], 'MAIL FROM');
    await this.#command(`RCPT TO:<${envelopeAddress(msg.to, 'the recipient')}>`, [250, 251], 'RCPT TO');
    await this.#command('DATA', [354]);
    const body = dotStuff(buildMessage(msg, { header: c.fromHeader, address: c.fromAddress }));
    await this.#write(`${body.endsWith('\r\n') ? body : `${body}\r\n`}.\r\n`);
    await this.#expect([250], 'end of DATA');
    // The message is accepted; a server that then drops the line instead of answering QUIT changes nothing.
    await this.#command('QUIT', [221]).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.#socket.close().catch(() => undefined);
  }
}

export class SmtpProvider implements MailProvider {
  readonly #config: SmtpConfig;
  readonly #connect: Connect;
  constructor(config: SmtpConfig, connectFn: Connect = connect) {
    this.#config = config;
    this.#connect = connectFn;
  }

  async send(msg: MailMessage): Promise<void> {
    const c = this.#config;
    const secureTransport = c.security === 'tls' ? 'on' : c.security === 'starttls' ? 'starttls' : 'off';
    let socket: Socket | undefined;
    try {
      socket = this.#connect({ hostname: c.host, port: c.port }, { secureTransport, allowHalfOpen: false });
      await withTimeout(socket.opened, 'no connection');
    } catch (err) {
      await socket?.close().catch(() => undefined);
      throw new MailError(`cannot reach the SMTP server ${c.host}:${c.port}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const session = new SmtpSession(socket, c);
    try {
      await session.send(msg);
    } finally {
      await session.close();
    }
  }
}
