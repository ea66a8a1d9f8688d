/** Outgoing mail, behind one small interface so the transport (SMTP today) can change without its callers. */

export interface MailMessage {
  /** One recipient address (already validated by the caller's schema). */
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface MailProvider {
  /** Resolves once the relay accepted the message for delivery; throws MailError otherwise. */
  send(msg: MailMessage): Promise<void>;
}

/** No relay is configured: the operator must set the SMTP_* bindings. */
export class MailNotConfigured extends Error {
  constructor(missing: string[]) {
    super(`outgoing mail is not configured: set ${missing.join(' and ')} (see edge/src/env.ts)`);
    this.name = 'MailNotConfigured';
  }
}

/** The relay refused, went silent, or spoke something other than SMTP. */
export class MailError extends Error {
  /** The SMTP reply code that ended the attempt, when there was one. */
  readonly replyCode: number | null;
  constructor(message: string, replyCode: number | null = null) {
    super(message);
    this.name = 'MailError';
    this.replyCode = replyCode;
  }
}
