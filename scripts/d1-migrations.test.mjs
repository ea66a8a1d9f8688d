// The renumbering of edge/migrations against real local D1 databases (wrangler's own
// `d1 migrations apply` on workerd/Miniflare storage), the way a developer's or a deployment's
// database that was migrated before the renumbering meets the new file names.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { RENAMED_MIGRATIONS, applyLocalMigrations } from './d1-migrations.mjs';
import { quietEnv, root } from './env.mjs';

// Several wrangler starts per test; on a loaded machine each takes many seconds.
const WRANGLER_MS = 600_000;
const migrationsDir = path.join(root, 'edge', 'migrations');
const newNames = readdirSync(migrationsDir)
  .filter((f) => f.endsWith('.sql'))
  .sort();
const env = quietEnv();
const work = mkdtempSync(path.join(env.TMPDIR, 'd1-migrations-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** edge/migrations as it was before the renumbering, and a wrangler config that applies it to the same database. */
function oldLayout() {
  const dir = path.join(work, 'old-migrations');
  mkdirSync(dir, { recursive: true });
  const oldName = Object.fromEntries(Object.entries(RENAMED_MIGRATIONS).map(([from, to]) => [to, from]));
  for (const name of newNames) copyFileSync(path.join(migrationsDir, name), path.join(dir, oldName[name] ?? name));
  const config = path.join(work, 'old-wrangler.json');
  // Same database name and id as wrangler.jsonc: wrangler keys the local database file by them.
  writeFileSync(
    config,
    JSON.stringify({
      name: 'sealroom-edge',
      compatibility_date: '2026-11-01',
      d1_databases: [{ binding: 'DB', database_name: 'sealroom', database_id: '00000000-0000-0000-0000-000000000000', migrations_dir: dir }],
    }),
  );
  return config;
}

function wrangler(args) {
  return spawnSync(path.join(root, 'node_modules', '.bin', 'wrangler'), args, { cwd: root, env: { ...env, CI: '1' }, encoding: 'utf8' });
}

/** Reads the local database file itself (one wrangler start costs seconds; this costs nothing). */
function query(stateDir, sql) {
  const dir = path.join(stateDir, 'v3', 'd1', 'miniflare-D1DatabaseObject');
  const files = readdirSync(dir).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
  expect(files).toHaveLength(1);
  const db = new DatabaseSync(path.join(dir, files[0]), { readOnly: true });
  try {
    return db
      .prepare(sql)
      .all()
      .map((row) => ({ ...row }));
  } finally {
    db.close();
  }
}

const appliedNames = (stateDir) => query(stateDir, 'SELECT id, name FROM d1_migrations ORDER BY id');
const schema = (stateDir) =>
  query(stateDir, "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY type, name");

/** A database migrated under the old file names, as every database made before the renumbering is. */
function migratedUnderOldNames(label) {
  const stateDir = path.join(work, label);
  const r = wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir, '--config', oldLayout()]);
  expect(r.status, r.stderr).toBe(0);
  expect(appliedNames(stateDir).map((m) => m.name)).toEqual(newNames.map((n) => Object.entries(RENAMED_MIGRATIONS).find(([, to]) => to === n)?.[0] ?? n));
  return stateDir;
}

describe('renumbered D1 migrations', () => {
  it('are numbered without gaps, and every rename lands on a file that exists', () => {
    expect(newNames.map((n) => Number(n.slice(0, 4)))).toEqual(newNames.map((_, i) => i + 1));
    for (const [from, to] of Object.entries(RENAMED_MIGRATIONS)) {
      expect(newNames).toContain(to);
      expect(newNames).not.toContain(from);
    }
  });

  it(
    'without the rename, wrangler would run the renamed files again on an old database and fail',
    () => {
      const stateDir = migratedUnderOldNames('unrenamed');
      const r = wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir]);
      expect(r.status).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toMatch(/already exists|duplicate column/);
    },
    WRANGLER_MS,
  );

  it(
    'a database migrated under the old names is not migrated again and ends with the schema of a fresh one',
    () => {
      const old = migratedUnderOldNames('renamed');
      const before = schema(old);
      applyLocalMigrations({ stateDir: old, env });
      const applied = appliedNames(old);
      expect(applied.map((m) => m.name)).toEqual(newNames);
      // The same rows, renamed in place: nothing was applied a second time.
      expect(applied.map((m) => m.id)).toEqual(newNames.map((_, i) => i + 1));
      expect(schema(old)).toEqual(before);

      const fresh = path.join(work, 'fresh');
      applyLocalMigrations({ stateDir: fresh, env });
      expect(appliedNames(fresh).map((m) => m.name)).toEqual(newNames);
      expect(schema(old)).toEqual(schema(fresh));

      // Idempotent: the next start finds nothing to rename and nothing to apply.
      applyLocalMigrations({ stateDir: old, env });
      expect(appliedNames(old)).toEqual(applied);
    },
    WRANGLER_MS,
  );
});
