// Types of mail-sink.mjs for the TypeScript projects that start it (edge's and the e2e test setup).
export interface SinkMessage {
  id: number;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  date: string;
  raw: string;
}

export interface MailSink {
  smtpPort: number;
  httpPort: number;
  /** http://127.0.0.1:<httpPort>: `/` shows the messages, `/messages?to=…` lists them as JSON. */
  url: string;
  messages: SinkMessage[];
  stop(): Promise<void>;
}

export function startMailSink(o?: { smtpPort?: number; httpPort?: number; host?: string; log?: (line: string) => void }): Promise<MailSink>;
