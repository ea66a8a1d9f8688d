/**
 * Runs in Node before the edge tests: the real SMTP sink (scripts/mail-sink.mjs) that the
 * Worker in workerd sends its mail to over `cloudflare:sockets`; vitest.config.ts points the
 * SMTP_* bindings at it, and the tests read what arrived from its HTTP side.
 */
import type { TestProject } from 'vitest/node';
import { startMailSink } from '../../../scripts/mail-sink.mjs';

export interface MailSinkInfo {
  smtpPort: number;
  /** http://127.0.0.1:<port>: GET /messages?to=… lists what arrived. */
  url: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    mailSink: MailSinkInfo;
  }
}

export default async function setup(project: TestProject) {
  const sink = await startMailSink();
  project.provide('mailSink', { smtpPort: sink.smtpPort, url: sink.url });
  return () => sink.stop();
}
