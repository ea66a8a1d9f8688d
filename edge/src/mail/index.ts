/** The mail provider this Worker is configured with. */
import type { Env } from '../env.ts';
import { smtpConfigFromEnv } from './config.ts';
import type { MailProvider } from './provider.ts';
import { SmtpProvider } from './smtp.ts';

export { MailError, type MailMessage, MailNotConfigured, type MailProvider } from './provider.ts';

/** @throws MailNotConfigured when the SMTP_* bindings are unset. */
export function mailProviderFromEnv(env: Env): MailProvider {
  return new SmtpProvider(smtpConfigFromEnv(env));
}
