// A local mail sink for development and tests: a real SMTP server (smtp-server) on 127.0.0.1
// that keeps every message it accepts in memory, and a small HTTP page that shows them, so
// `npm start` shows its verification mails and the end-to-end tests read links from them.
// It never relays anything anywhere. Recipients @refused.invalid are refused with 550, so tests
// can see a relay's refusal.
//
//   GET /                    the messages, newest first, as an HTML page
//   GET /messages            the same as JSON: [{ id, from, to, subject, text, html, date }]
//   GET /messages?to=a@b.c   only those addressed to a@b.c
//   DELETE /messages         forget them all
import http from 'node:http';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A mail bomb from a runaway test should not eat the machine's memory. */
const MAX_MESSAGES = 1000;
const MAX_MESSAGE_BYTES = 5 * 1024 * 1024;

/**
 * @typedef {{ id: number, from: string, to: string[], subject: string, text: string, html: string | null, date: string, raw: string }} SinkMessage
 * @param {{ smtpPort?: number, httpPort?: number, host?: string, log?: (line: string) => void }} [o]
 * @returns {Promise<{ smtpPort: number, httpPort: number, url: string, messages: SinkMessage[], stop: () => Promise<void> }>}
 */
export async function startMailSink(o = {}) {
  const host = o.host ?? '127.0.0.1';
  /** @type {SinkMessage[]} */
  const messages = [];
  let nextId = 1;

  const smtp = new SMTPServer({
    // Plain SMTP on loopback: nobody else can reach it, and the Worker's dev bindings say SMTP_SECURE=off.
    secure: false,
    hideSTARTTLS: true,
    // No DNS on a loopback sink: a reverse lookup per connection only adds delay.
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    logger: false,
    banner: 'Sealroom development mail sink',
    // A way for tests to see a relay say no: the .invalid TLD (RFC 2606) can never be a real recipient.
    onRcptTo(address, _session, callback) {
      if (address.address.toLowerCase().endsWith('@refused.invalid')) return callback(Object.assign(new Error('no such mailbox'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', async () => {
        if (stream.sizeExceeded) return callback(Object.assign(new Error('message too large'), { responseCode: 552 }));
        const raw = Buffer.concat(chunks).toString('utf8');
        try {
          const parsed = await simpleParser(raw);
          messages.unshift({
            id: nextId++,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : null,
            date: (parsed.date ?? new Date()).toISOString(),
            raw,
          });
          messages.length = Math.min(messages.length, MAX_MESSAGES);
          o.log?.(`» mail to ${messages[0].to.join(', ')}: ${messages[0].subject}`);
          callback();
        } catch (err) {
          callback(Object.assign(new Error(`unparseable message: ${err.message}`), { responseCode: 554 }));
        }
      });
    },
  });
  await listen(smtp.server, o.smtpPort ?? 0, host);
  const smtpPort = smtp.server.address().port;

  const web = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (url.pathname === '/messages' && req.method === 'DELETE') {
      messages.length = 0;
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    const to = url.searchParams.get('to')?.toLowerCase();
    const list = to ? messages.filter((m) => m.to.some((a) => a.toLowerCase() === to)) : messages;
    if (url.pathname === '/messages') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify(list.map(({ raw: _raw, ...m }) => m)));
    } else if (url.pathname === '/') {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      });
      res.end(page(list, smtpPort));
    } else {
      res.writeHead(404).end();
    }
  });
  await listen(web, o.httpPort ?? 0, host);
  const httpPort = web.address().port;

  const stop = async () => {
    await new Promise((r) => smtp.close(() => r(undefined)));
    web.closeAllConnections();
    await new Promise((r) => web.close(() => r(undefined)));
  };
  return { smtpPort, httpPort, url: `http://${host}:${httpPort}`, messages, stop };
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(undefined);
    });
  });
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
// Links in a text body become clickable; everything else is shown as text (the HTML part is never rendered).
const linkify = (s) => esc(s).replace(/https?:\/\/[^\s<>"&]+(?:&amp;[^\s<>"&]+)*/g, (u) => `<a href="${u}">${u}</a>`);

function page(list, smtpPort) {
  const items = list
    .map(
      (m) =>
        `<article><h2>${esc(m.subject)}</h2><p class="meta">to ${esc(m.to.join(', '))} · from ${esc(m.from)} · ${esc(m.date)}</p><pre>${linkify(m.text)}</pre></article>`,
    )
    .join('\n');
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>Sealroom mail sink</title>
<style>body{font:15px system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}article{border-top:1px solid #ccc;padding:.5rem 0}.meta{color:#555;font-size:13px}pre{white-space:pre-wrap}</style>
<h1>Mail sent by this Sealroom (development only)</h1>
<p>SMTP on 127.0.0.1:${smtpPort}. ${list.length} message(s); reload to see new ones. JSON: <a href="/messages">/messages</a>.</p>
${items || '<p>No mail yet.</p>'}
</html>`;
}
