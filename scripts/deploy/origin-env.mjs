// The media origin's env file as an operator writes it: media-origin/config.example with the
// settings they change. The systemd unit reads it as EnvironmentFile, `docker run --env-file`
// and `node --env-file` read the same KEY=value lines, so one file serves every way of running it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from '../env.mjs';

export const CONFIG_EXAMPLE = path.join(root, 'media-origin', 'config.example');

/**
 * config.example with `settings` filled in: a `KEY=…` or commented `# KEY=…` line is replaced
 * by `KEY=value`; a key the example does not document is refused (a typo would be ignored).
 * @param {Record<string, string>} settings
 * @param {string} [example] the template's text
 */
export function originEnvFile(settings, example = readFileSync(CONFIG_EXAMPLE, 'utf8')) {
  const left = new Set(Object.keys(settings));
  for (const [k, v] of Object.entries(settings)) {
    if (/[\r\n]/.test(v)) throw new Error(`${k}: a value cannot span lines`);
  }
  const lines = example.split('\n').map((line) => {
    const m = /^(?:# )?([A-Z][A-Z0-9_]*)=/.exec(line);
    if (!m || !left.has(m[1])) return line;
    left.delete(m[1]);
    return `${m[1]}=${settings[m[1]]}`;
  });
  if (left.size) throw new Error(`not settings of the media origin (see media-origin/config.example): ${[...left].join(', ')}`);
  return lines.join('\n');
}

/** Every setting the example documents, commented out or not. */
export function documentedSettings(example = readFileSync(CONFIG_EXAMPLE, 'utf8')) {
  return [...example.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
}
