// The D1 migrations were renumbered to close the gaps in their sequence (0002 → 0010 → 0012 …).
// wrangler knows which migrations a database has by file name, in its `d1_migrations` table: a
// database migrated under the old names would see every renamed file as new and run it again
// (`CREATE TABLE` on a table that exists fails the whole apply). So every path that applies
// migrations first rewrites the old names in `d1_migrations` to the new ones. The rewrite is
// idempotent (a database already on the new names, or a fresh one, is left as it was) and it
// creates the table exactly as wrangler would, so it can run before wrangler ever has.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { root } from './env.mjs';

/** Old file name → new file name, for every migration the renumbering moved. */
export const RENAMED_MIGRATIONS = Object.freeze({
  '0010_recordings.sql': '0003_recordings.sql',
  '0012_email_verification.sql': '0004_email_verification.sql',
  '0013_sso_domains.sql': '0005_sso_domains.sql',
  '0014_rate_limits.sql': '0006_rate_limits.sql',
  '0015_internal_nonces.sql': '0007_internal_nonces.sql',
});

const quote = (s) => `'${s.replaceAll("'", "''")}'`;

/**
 * The SQL statements that move `d1_migrations` from the old names to the new ones. The table
 * definition is wrangler's own (`getCreateMigrationsTableQuery` in wrangler 4), so wrangler later
 * finds the table it expects.
 * @returns {string[]}
 */
export function renameAppliedMigrationsSql() {
  const pairs = Object.entries(RENAMED_MIGRATIONS);
  return [
    'CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)',
    `UPDATE d1_migrations SET name = CASE name ${pairs.map(([from, to]) => `WHEN ${quote(from)} THEN ${quote(to)}`).join(' ')} END WHERE name IN (${pairs.map(([from]) => quote(from)).join(', ')})`,
  ];
}

/**
 * The wrangler arguments that run the rename on database DB, before `wrangler d1 migrations apply`
 * with the same `where` arguments (`['--local', '--persist-to', dir]` or `['--remote', '--env', name]`).
 * @param {string[]} where
 * @returns {string[]}
 */
export function renameAppliedMigrationsArgs(where) {
  return ['d1', 'execute', 'DB', ...where, '--yes', '--command', renameAppliedMigrationsSql().join('; ')];
}

/**
 * Brings the local D1 database under `stateDir` (wrangler's `--persist-to`) up to date: the
 * rename, then `wrangler d1 migrations apply`. A state folder without any D1 database yet holds
 * no old names, so the rename (one more wrangler start) is skipped there.
 * @param {{ stateDir: string, env: NodeJS.ProcessEnv, config?: string }} o
 *   config: a wrangler config other than the project's (tests).
 */
export function applyLocalMigrations(o) {
  const wrangler = path.join(root, 'node_modules', '.bin', 'wrangler');
  const where = ['--local', '--persist-to', o.stateDir, ...(o.config ? ['--config', o.config] : [])];
  const run = (args, what) => {
    // CI=1: wrangler asks no question (it would wait for a "yes" on a terminal).
    const r = spawnSync(wrangler, args, { cwd: root, env: { ...o.env, CI: '1' }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${what} failed:\n${r.stdout}\n${r.stderr}`);
  };
  if (existsSync(path.join(o.stateDir, 'v3', 'd1'))) run(renameAppliedMigrationsArgs(where), 'renaming applied D1 migrations');
  run(['d1', 'migrations', 'apply', 'DB', ...where], 'D1 migrations');
}
