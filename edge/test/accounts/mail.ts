/** What the edge mailed, read back from the real SMTP sink (mail-sink.global-setup.ts). */
import { inject } from 'vitest';
import type { SinkMessage } from '../../../scripts/mail-sink.mjs';
import type { Agent } from './helpers.ts';

/** A message as the sink's JSON gives it. */
export type SunkMail = Omit<SinkMessage, 'date' | 'raw'>;

export async function mailsTo(email: string): Promise<SunkMail[]> {
  const res = await fetch(`${inject('mailSink').url}/messages?to=${encodeURIComponent(email)}`);
  if (!res.ok) throw new Error(`mail sink: ${res.status}`);
  return res.json();
}

/** Polls the sink until `count` mails to `email` arrived; the newest first. */
export async function waitForMails(email: string, count = 1, timeoutMs = 10_000): Promise<SunkMail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await mailsTo(email);
    if (list.length >= count) return list;
    if (Date.now() > deadline) throw new Error(`expected ${count} mail(s) to ${email}, the sink has ${list.length}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The token of the verification link in a mail. */
export function tokenOf(mail: SunkMail): string {
  const m = /\/verify-email\?token=([A-Za-z0-9_-]{43})\b/.exec(mail.text);
  if (!m) throw new Error(`no verification link in: ${mail.text}`);
  return m[1]!;
}

/** The whole flow as a person does it: the newest link mailed to `email`, used from the account's own session. */
export async function verifyByMail(agent: Agent, email: string, count = 1): Promise<void> {
  const [latest] = await waitForMails(email, count);
  await agent.ok('POST', '/api/auth/verify-email', { token: tokenOf(latest!) });
}
