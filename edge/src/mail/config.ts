/** Reads the SMTP_* bindings into one checked configuration, or says which are missing. */
import { z } from 'zod';
import type { Env } from '../env.ts';
import { MailNotConfigured } from './provider.ts';

export type SmtpSecurity = 'starttls' | 'tls' | 'off';

export interface SmtpConfig {
  host: string;
  port: number;
  security: SmtpSecurity;
  /** The bare address for MAIL FROM, and the header form (with a display name) for From:. */
  fromAddress: string;
  fromHeader: string;
  auth: { user: string; password: string } | null;
}

// The submission ports of RFC 8314 §3.3 (465, implicit TLS) and RFC 6409 (587, STARTTLS); 25 only for a local sink.
const DEFAULT_PORT: Record<SmtpSecurity, number> = { starttls: 587, tls: 465, off: 25 };

const Address = z.string().regex(/^[^\s<>@]+@[^\s<>@]+$/);
const From = z
  .string()
  .trim()
  .regex(/^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, 'expected "Name <address>" or an address');

const Bindings = z.object({
  SMTP_HOST: z
    .string()
    .trim()
    .min(1)
    .regex(/^[A-Za-z0-9.:[\]-]+$/, 'a host name or IP address'),
  SMTP_FROM: From,
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  SMTP_SECURE: z.enum(['starttls', 'tls', 'off']).default('starttls'),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASSWORD: z.string().min(1).optional(),
});

/** @throws MailNotConfigured when SMTP_HOST or SMTP_FROM is unset; Error when a binding is malformed. */
export function smtpConfigFromEnv(env: Pick<Env, 'SMTP_HOST' | 'SMTP_PORT' | 'SMTP_SECURE' | 'SMTP_FROM' | 'SMTP_USER' | 'SMTP_PASSWORD'>): SmtpConfig {
  const missing = (['SMTP_HOST', 'SMTP_FROM'] as const).filter((k) => !env[k]);
  if (missing.length) throw new MailNotConfigured(missing);
  const parsed = Bindings.safeParse({ ...env, SMTP_PORT: env.SMTP_PORT || undefined, SMTP_SECURE: env.SMTP_SECURE || undefined });
  if (!parsed.success) throw new Error(`outgoing mail is misconfigured: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const b = parsed.data;
  if (b.SMTP_USER && !b.SMTP_PASSWORD) throw new Error('outgoing mail is misconfigured: SMTP_USER is set but the SMTP_PASSWORD secret is not');
  const fromAddress = /<([^<>]+)>/.exec(b.SMTP_FROM)?.[1] ?? b.SMTP_FROM;
  Address.parse(fromAddress);
  return {
    host: b.SMTP_HOST,
    port: b.SMTP_PORT ?? DEFAULT_PORT[b.SMTP_SECURE],
    security: b.SMTP_SECURE,
    fromAddress,
    fromHeader: b.SMTP_FROM,
    auth: b.SMTP_USER && b.SMTP_PASSWORD ? { user: b.SMTP_USER, password: b.SMTP_PASSWORD } : null,
  };
}
