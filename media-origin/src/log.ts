/**
 * Structured JSON logs, one object a line, always with an `event` name and, where there is
 * one, the meeting id. Callers pass identifiers and figures only: never a payload, a ticket,
 * SDP-ish parameters or anything a client sent verbatim (privacy).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = { event: string; meetingId?: string; participantId?: string } & Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(fields: LogFields): void;
  info(fields: LogFields): void;
  warn(fields: LogFields): void;
  error(fields: LogFields): void;
  /** A logger that adds `bound` to every line (e.g. the meeting id). */
  child(bound: Partial<LogFields>): Logger;
}

export function createLogger(
  level: LogLevel = 'info',
  bound: Partial<LogFields> = {},
  sink: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Logger {
  const min = RANK[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, fields: LogFields) => {
    if (RANK[lvl] < min) return;
    sink(JSON.stringify({ t: new Date().toISOString(), level: lvl, ...bound, ...fields }));
  };
  return {
    debug: (f) => emit('debug', f),
    info: (f) => emit('info', f),
    warn: (f) => emit('warn', f),
    error: (f) => emit('error', f),
    child: (more) => createLogger(level, { ...bound, ...more }, sink),
  };
}

/** Error text for logs: the message only (mediasoup messages name ids, never media). */
export const errText = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 300);
