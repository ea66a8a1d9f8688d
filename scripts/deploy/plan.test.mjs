import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { root } from '../env.mjs';
import { REQUIRED_SECRETS, configProblems, deploySteps, missingSecrets } from './plan.mjs';

const repoConfig = () => parse(readFileSync(path.join(root, 'wrangler.jsonc'), 'utf8'), [], { allowTrailingComma: true });

/** The repository's config with every placeholder of `envName` replaced, as an operator would. */
function filledIn(envName) {
  const c = structuredClone(repoConfig());
  const env = c.env[envName];
  env.d1_databases[0].database_id = '6f0c2b1e-8d7a-4c3b-9e21-5a4f3d2c1b0a';
  env.routes = [{ pattern: 'meet.acme-corp.cn', custom_domain: true }];
  env.vars.PUBLIC_ORIGIN = 'https://meet.acme-corp.cn';
  return c;
}

describe('deploy checks', () => {
  it('refuses the repository as shipped, naming each placeholder and how to create it', () => {
    for (const envName of ['staging', 'production']) {
      const problems = configProblems(repoConfig(), envName);
      expect(problems.find((p) => p.includes('placeholder id'))).toMatch(/wrangler d1 create sealroom/);
      expect(problems.some((p) => p.includes('routes still names') && p.includes('example.com'))).toBe(true);
      expect(problems.some((p) => p.includes('PUBLIC_ORIGIN still names'))).toBe(true);
    }
  });

  it('passes an environment whose ids and domain are real', () => {
    expect(configProblems(filledIn('production'), 'production')).toEqual([]);
    expect(configProblems(filledIn('staging'), 'staging')).toEqual([]);
  });

  it('refuses an unknown environment, missing bindings and a plain-http public origin', () => {
    expect(configProblems(repoConfig(), 'prod')).toEqual(['wrangler.jsonc has no environment "prod" (it has: staging, production)']);
    const c = filledIn('production');
    const env = c.env.production;
    delete env.r2_buckets;
    env.durable_objects.bindings = [];
    env.vars.PUBLIC_ORIGIN = 'http://meet.acme-corp.cn';
    env.routes = [];
    const problems = configProblems(c, 'production');
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/RECORDINGS[\s\S]*ROOM → class Room[\s\S]*routes is empty[\s\S]*must be an https URL/);
  });

  it('names each missing secret with the command that sets it', () => {
    expect(missingSecrets(REQUIRED_SECRETS, 'staging')).toEqual([]);
    const missing = missingSecrets(['SEALROOM_SHARED_SECRET'], 'staging');
    expect(missing).toHaveLength(1);
    expect(missing[0]).toContain('wrangler secret put SEALROOM_MASTER_KEY --env staging');
  });

  it('migrates the schema before it deploys the code, old migration names renamed first', () => {
    expect(deploySteps('production').map((s) => s.args.slice(0, 2))).toEqual([
      ['d1', 'execute'],
      ['d1', 'migrations'],
      ['deploy', '--env'],
    ]);
    expect(deploySteps('production')[0].args).toEqual(expect.arrayContaining(['--remote', '--command']));
    expect(deploySteps('production').every((s) => s.args.includes('production'))).toBe(true);
  });

  it('the deploy command itself refuses the shipped config before it touches the network', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'deploy.mjs'), '--env', 'production'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^deploy refused:/);
    expect(r.stderr).toContain('wrangler d1 create sealroom');
    expect(r.stdout).not.toContain('building web app');
  });

  it('the deploy command needs an environment', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'deploy.mjs')], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: npm run deploy -- --env');
  });
});
