// What `npm run deploy` checks before it touches anything: the environment's bindings in
// wrangler.jsonc are real (no placeholder ids or example domains), and the secrets the Worker
// cannot start without are set. Pure functions of the parsed config, so they are tested offline.

import { renameAppliedMigrationsArgs } from '../d1-migrations.mjs';

/** Worker secrets the edge refuses to run without (set with `wrangler secret put`). */
export const REQUIRED_SECRETS = ['SEALROOM_SHARED_SECRET', 'SEALROOM_MASTER_KEY'];

const PLACEHOLDER_ID = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;
const EXAMPLE_HOST = /(^|\.)example\.(com|org|net)$/i;

/**
 * Everything in `config.env[envName]` that stops a deploy, each with what to do about it.
 * @param {any} config wrangler.jsonc, parsed
 * @param {string} envName
 * @returns {string[]}
 */
export function configProblems(config, envName) {
  const envs = config?.env ?? {};
  const env = envs[envName];
  if (!env) return [`wrangler.jsonc has no environment "${envName}" (it has: ${Object.keys(envs).join(', ') || 'none'})`];
  const at = `env.${envName}`;
  const problems = [];

  const dbs = env.d1_databases ?? [];
  const db = dbs.find((d) => d.binding === 'DB');
  if (!db) problems.push(`${at}.d1_databases needs a database bound as DB`);
  else if (!db.database_id || PLACEHOLDER_ID.test(db.database_id))
    problems.push(
      `${at}: D1 database "${db.database_name}" has a placeholder id; create it with \`wrangler d1 create ${db.database_name}\` and put the id it prints in ${at}.d1_databases[].database_id`,
    );

  const bucket = (env.r2_buckets ?? []).find((b) => b.binding === 'RECORDINGS');
  if (!bucket?.bucket_name) problems.push(`${at}.r2_buckets needs a bucket bound as RECORDINGS (create one with \`wrangler r2 bucket create <name>\`)`);

  const room = (env.durable_objects?.bindings ?? []).find((b) => b.name === 'ROOM');
  if (room?.class_name !== 'Room') problems.push(`${at}.durable_objects needs the binding ROOM → class Room`);

  const routes = env.routes ?? [];
  if (routes.length === 0)
    problems.push(`${at}.routes is empty: give the Worker your domain, e.g. { "pattern": "meet.your-company.com", "custom_domain": true }`);
  for (const r of routes) {
    const host = String(typeof r === 'string' ? r : r.pattern).split('/')[0];
    if (EXAMPLE_HOST.test(host))
      problems.push(`${at}.routes still names ${host}: put your own domain there (a zone in your Cloudflare account; docs/DEPLOY.md)`);
  }

  const publicOrigin = env.vars?.PUBLIC_ORIGIN;
  if (!publicOrigin) problems.push(`${at}.vars.PUBLIC_ORIGIN is unset: the https origin people open, used in SAML metadata and links in mail`);
  else {
    let url = null;
    try {
      url = new URL(publicOrigin);
    } catch {
      // reported below
    }
    if (!url || url.protocol !== 'https:') problems.push(`${at}.vars.PUBLIC_ORIGIN must be an https URL, not ${JSON.stringify(publicOrigin)}`);
    else if (EXAMPLE_HOST.test(url.hostname)) problems.push(`${at}.vars.PUBLIC_ORIGIN still names ${url.hostname}: set it to your domain`);
  }
  return problems;
}

/**
 * Secrets the environment lacks, with the command that sets each.
 * @param {readonly string[]} present names `wrangler secret list` reported
 * @param {string} envName
 */
export function missingSecrets(present, envName) {
  return REQUIRED_SECRETS.filter((s) => !present.includes(s)).map(
    (s) =>
      `secret ${s} is not set: \`npx wrangler secret put ${s} --env ${envName}\` (32 random bytes, base64url: \`openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\\n'\`)`,
  );
}

/**
 * The deploy itself, in order: schema before code (a new Worker must find its tables), the
 * web app built into the assets the Worker serves. The rename of applied migrations comes first,
 * so a database migrated before the renumbering is not migrated again (scripts/d1-migrations.mjs).
 * @param {string} envName
 * @returns {{ what: string, args: string[] }[]} wrangler invocations
 */
export function deploySteps(envName) {
  return [
    { what: 'rename applied D1 migrations to their renumbered names', args: renameAppliedMigrationsArgs(['--remote', '--env', envName]) },
    { what: 'apply D1 migrations', args: ['d1', 'migrations', 'apply', 'DB', '--remote', '--env', envName] },
    { what: 'deploy the Worker, the Room and the web app', args: ['deploy', '--env', envName] },
  ];
}
