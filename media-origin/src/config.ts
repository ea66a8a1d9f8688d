/**
 * Origin configuration: environment variables, overridden by CLI flags, validated once at
 * start. Every setting has an env name (ORIGIN_LISTEN_IP) and a flag (--listen-ip); see
 * `config.example` for what each means.
 */
import os from 'node:os';
import { isIP } from 'node:net';
import { z } from 'zod';
import type { LogLevel } from './log.ts';

const port = (what: string) =>
  z.coerce
    .number({ error: `${what} must be a number` })
    .int(`${what} must be an integer`)
    .min(0, `${what} must be 0–65535`)
    .max(65535, `${what} must be 0–65535`);
const ip = (what: string) => z.string().refine((s) => isIP(s) !== 0, `${what} must be an IPv4 or IPv6 address`);
const flag = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .refine((s) => ['1', '0', 'true', 'false', 'yes', 'no', ''].includes(s), 'expected 1/0/true/false')
  .transform((s) => s === '1' || s === 'true' || s === 'yes');

/** env name → CLI flag name. One table, so `--help`, parsing and errors agree. */
export const SETTINGS = {
  ORIGIN_LISTEN_IP: 'listen-ip',
  ORIGIN_ANNOUNCED_IP: 'announced-ip',
  ORIGIN_PORT: 'port',
  ORIGIN_PUBLIC_URL: 'public-url',
  ORIGIN_RTC_MIN_PORT: 'rtc-min-port',
  ORIGIN_RTC_MAX_PORT: 'rtc-max-port',
  ORIGIN_WEBRTC_PORT: 'webrtc-port',
  ORIGIN_TLS_CERT: 'tls-cert',
  ORIGIN_TLS_KEY: 'tls-key',
  ORIGIN_WORKERS: 'workers',
  ORIGIN_REGION: 'region',
  ORIGIN_ID: 'id',
  EDGE_URL: 'edge-url',
  SEALROOM_SHARED_SECRET: 'shared-secret',
  ORIGIN_METRICS_PORT: 'metrics-port',
  ORIGIN_DRAIN_SECONDS: 'drain-seconds',
  ORIGIN_RECONNECT_GRACE_SECONDS: 'reconnect-grace-seconds',
  ORIGIN_PEERS_PER_ROUTER: 'peers-per-router',
  ORIGIN_LOG_LEVEL: 'log-level',
  SEALROOM_TEST_TAP: 'test-tap',
} as const;
type EnvName = keyof typeof SETTINGS;

const Raw = z
  .strictObject({
    ORIGIN_LISTEN_IP: ip('ORIGIN_LISTEN_IP').default('127.0.0.1'),
    ORIGIN_ANNOUNCED_IP: z.string().min(1).max(253).optional(),
    ORIGIN_PORT: port('ORIGIN_PORT').default(4443),
    ORIGIN_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'ORIGIN_PUBLIC_URL must be an http(s) URL' }).optional(),
    ORIGIN_RTC_MIN_PORT: port('ORIGIN_RTC_MIN_PORT').default(40000),
    ORIGIN_RTC_MAX_PORT: port('ORIGIN_RTC_MAX_PORT').default(40999),
    ORIGIN_WEBRTC_PORT: port('ORIGIN_WEBRTC_PORT').min(1, 'ORIGIN_WEBRTC_PORT must be 1–65535').optional(),
    ORIGIN_TLS_CERT: z.string().min(1).optional(),
    ORIGIN_TLS_KEY: z.string().min(1).optional(),
    ORIGIN_WORKERS: z.coerce
      .number()
      .int()
      .min(1, 'ORIGIN_WORKERS must be ≥ 1')
      .max(256)
      .default(() => os.availableParallelism()),
    ORIGIN_REGION: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/, 'ORIGIN_REGION must be 1–32 of a-z 0-9 -')
      .default('local'),
    ORIGIN_ID: z
      .string()
      .regex(/^[a-z0-9-]{1,64}$/, 'ORIGIN_ID must be 1–64 of a-z 0-9 -')
      .optional(),
    EDGE_URL: z.url({ protocol: /^https?$/, error: 'EDGE_URL must be an http(s) URL' }).default('http://127.0.0.1:8787'),
    SEALROOM_SHARED_SECRET: z
      .string({ error: 'SEALROOM_SHARED_SECRET is required (the secret shared with the edge)' })
      .min(32, 'SEALROOM_SHARED_SECRET must be at least 32 characters'),
    ORIGIN_METRICS_PORT: port('ORIGIN_METRICS_PORT').default(9464),
    ORIGIN_DRAIN_SECONDS: z.coerce.number().min(0).max(3600).default(30),
    ORIGIN_RECONNECT_GRACE_SECONDS: z.coerce
      .number()
      .min(0, 'ORIGIN_RECONNECT_GRACE_SECONDS must be 0–300')
      .max(300, 'ORIGIN_RECONNECT_GRACE_SECONDS must be 0–300')
      .default(10),
    ORIGIN_PEERS_PER_ROUTER: z.coerce.number().int().min(1, 'ORIGIN_PEERS_PER_ROUTER must be ≥ 1').max(100_000).default(100),
    ORIGIN_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    SEALROOM_TEST_TAP: flag.default(false),
  })
  .refine((c) => c.ORIGIN_RTC_MIN_PORT > 0 && c.ORIGIN_RTC_MIN_PORT <= c.ORIGIN_RTC_MAX_PORT, {
    message: 'ORIGIN_RTC_MIN_PORT must be > 0 and ≤ ORIGIN_RTC_MAX_PORT',
    path: ['ORIGIN_RTC_MIN_PORT'],
  })
  .refine((c) => !c.ORIGIN_TLS_CERT === !c.ORIGIN_TLS_KEY, {
    message: 'ORIGIN_TLS_CERT and ORIGIN_TLS_KEY go together: set both or neither',
    path: ['ORIGIN_TLS_CERT'],
  })
  .refine((c) => !c.ORIGIN_WEBRTC_PORT || c.ORIGIN_WEBRTC_PORT + c.ORIGIN_WORKERS - 1 <= 65535, {
    message: 'ORIGIN_WEBRTC_PORT + ORIGIN_WORKERS - 1 must be ≤ 65535 (one port per worker)',
    path: ['ORIGIN_WEBRTC_PORT'],
  });

export interface OriginConfig {
  listenIp: string;
  announcedIp: string;
  /** 0 = pick an ephemeral port (tests). */
  port: number;
  /** Public base URL when a proxy terminates TLS in front of the origin; derived otherwise. */
  publicUrl: string | undefined;
  rtcMinPort: number;
  rtcMaxPort: number;
  /** First of the fixed ICE ports (one per worker, UDP and TCP); undefined = a port per transport from the range. */
  webRtcPort: number | undefined;
  /** PEM files for HTTPS/WSS on `port`; undefined = plain HTTP (a TLS proxy in front, or local). */
  tls: { certFile: string; keyFile: string } | undefined;
  workers: number;
  region: string;
  originId: string;
  edgeUrl: string;
  sharedSecret: string;
  /** 0 = ephemeral (tests). */
  metricsPort: number;
  drainSeconds: number;
  /** How long a participant whose socket dropped keeps its media (0 = close at once). */
  reconnectGraceSeconds: number;
  /** Participants on one router before a meeting spreads to another worker. */
  peersPerRouter: number;
  logLevel: LogLevel;
  testTap: boolean;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid media origin configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const FLAG_TO_ENV = new Map<string, EnvName>(Object.entries(SETTINGS).map(([env, f]) => [f, env as EnvName]));

/** `--listen-ip 1.2.3.4`, `--listen-ip=1.2.3.4`, and bare `--test-tap` for booleans. */
function parseArgs(argv: readonly string[]): Partial<Record<EnvName, string>> {
  const out: Partial<Record<EnvName, string>> = {};
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const env = m?.[1] ? FLAG_TO_ENV.get(m[1]) : undefined;
    if (!m || !env) {
      problems.push(`unknown argument ${JSON.stringify(arg)} (try --help)`);
      continue;
    }
    if (m[2] !== undefined) out[env] = m[2];
    else if (env === 'SEALROOM_TEST_TAP') out[env] = '1';
    else if (i + 1 < argv.length) out[env] = argv[++i];
    else problems.push(`--${m[1]} needs a value`);
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

/** Reads env, then flags on top; throws ConfigError listing every problem at once. */
export function loadConfig(env: Record<string, string | undefined> = process.env, argv: readonly string[] = []): OriginConfig {
  const raw: Partial<Record<EnvName, string>> = {};
  for (const name of Object.keys(SETTINGS) as EnvName[]) {
    const v = env[name];
    if (v !== undefined && v !== '') raw[name] = v;
  }
  Object.assign(raw, parseArgs(argv));
  const r = Raw.safeParse(raw);
  if (!r.success) {
    throw new ConfigError(
      r.error.issues.map((i) => {
        const name = String(i.path[0] ?? '');
        const msg = i.message.includes(name) || !name ? i.message : `${name}: ${i.message}`;
        return name && name in SETTINGS ? `${msg} (env ${name} or --${SETTINGS[name as EnvName]})` : msg;
      }),
    );
  }
  const c = r.data;
  return {
    listenIp: c.ORIGIN_LISTEN_IP,
    announcedIp: c.ORIGIN_ANNOUNCED_IP ?? c.ORIGIN_LISTEN_IP,
    port: c.ORIGIN_PORT,
    publicUrl: c.ORIGIN_PUBLIC_URL?.replace(/\/+$/, ''),
    rtcMinPort: c.ORIGIN_RTC_MIN_PORT,
    rtcMaxPort: c.ORIGIN_RTC_MAX_PORT,
    webRtcPort: c.ORIGIN_WEBRTC_PORT,
    tls: c.ORIGIN_TLS_CERT && c.ORIGIN_TLS_KEY ? { certFile: c.ORIGIN_TLS_CERT, keyFile: c.ORIGIN_TLS_KEY } : undefined,
    workers: c.ORIGIN_WORKERS,
    region: c.ORIGIN_REGION,
    originId: c.ORIGIN_ID ?? `${c.ORIGIN_REGION}-${c.ORIGIN_PORT}`,
    edgeUrl: c.EDGE_URL.replace(/\/+$/, ''),
    sharedSecret: c.SEALROOM_SHARED_SECRET,
    metricsPort: c.ORIGIN_METRICS_PORT,
    drainSeconds: c.ORIGIN_DRAIN_SECONDS,
    reconnectGraceSeconds: c.ORIGIN_RECONNECT_GRACE_SECONDS,
    peersPerRouter: c.ORIGIN_PEERS_PER_ROUTER,
    logLevel: c.ORIGIN_LOG_LEVEL,
    testTap: c.SEALROOM_TEST_TAP,
  };
}

export const HELP = `Sealroom media origin. Settings come from the environment, CLI flags override:
${Object.entries(SETTINGS)
  .map(([env, f]) => `  --${f.padEnd(16)} ${env}`)
  .join('\n')}
See media-origin/config.example for defaults and meaning.`;
