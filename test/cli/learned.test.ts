import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/errors';
import { type LearnedOptions, learned } from '../../cli/learned';
import { DynamoTable } from '../../shared/aws/dynamo-table';
import { BaselineStore } from '../../shared/baseline';
import { loadConfigFile } from '../../shared/config';
import { MemoryTable, saveStateDir, type Table } from '../../shared/store';
import { Capture } from '../support/capture';
import { type LocalDynamo, startDynalite } from '../support/dynalite';

const DAY = 86_400_000;
const START = Date.parse('2026-06-01T00:00:00Z');
const NOW = START + 10 * DAY;

/** One baseline entry seen on the given days after START. */
function entry(scope: string, kind: string, value: string, days: number[]) {
  const dayCounts = Object.fromEntries(days.map((d) => [new Date(START + d * DAY).toISOString().slice(0, 10), 1]));
  return {
    scope,
    kind,
    value,
    firstSeen: START,
    lastSeen: START + Math.max(...days) * DAY,
    dayCounts,
    count: days.length,
    days: days.length,
  };
}

/**
 * A cluster and a VPC as ten days of logs leave them: `deployer` changes workloads on three days
 * from one network with one user agent (a pipeline), alice does too but also execs into a pod (a
 * person), a registry, repositories, identities with networks, and flow baselines.
 */
async function seed(table: Table): Promise<void> {
  const store = new BaselineStore({ table });
  await store.noteEvents('prod', START);
  await store.noteEvents('vpc-0abc', START);
  const change = (user: string) => JSON.stringify(['change', user, '198.51.100.0/24', 'argocd/v2.9', 0]);
  await store.putEntries(
    [
      entry('prod', 'pipeline-activity', change('deployer'), [1, 2, 3]),
      entry('prod', 'pipeline-activity', change('alice'), [1, 2, 3]),
      entry('prod', 'pipeline-activity', JSON.stringify(['interactive', 'alice']), [2]),
      entry('prod', 'image-registry', 'ghcr.io', [1]),
      entry('prod', 'image-registry', 'evil\u001b[31m.io', [1]),
      entry('prod', 'image-repository', 'ghcr.io/acme/api', [1]),
      entry('prod', 'identity', 'alice', [1]),
      entry('prod', 'identity-network', 'alice|203.0.113.0/24', [1]),
      entry('prod', 'identity-network', 'alice|private', [2]),
      entry('vpc-0abc', 'server-port', 'web/api|443/tcp', [1]),
      entry('vpc-0abc', 'server-port', 'web/cart|443/tcp', [1]),
      entry('vpc-0abc', 'server-port', 'web/cart|6379/tcp', [1]),
      entry('vpc-0abc', 'external-destination', 'aws:s3', [1]),
      entry('vpc-0abc', 'edge-hourly', 'web/api>web/cart:443/6', [1]),
    ],
    90,
  );
}

async function seededState(): Promise<string> {
  const table = new MemoryTable();
  await seed(table);
  const dir = mkdtempSync(join(tmpdir(), 'dw-learned-'));
  await saveStateDir(table, dir);
  return dir;
}

async function run(options: Partial<LearnedOptions>): Promise<{ stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  expect(await learned({ clock: () => NOW, ...options, stdout, stderr })).toBe(0);
  return { stdout: stdout.text, stderr: stderr.text };
}

describe('driftwatch learned', () => {
  let stateDir: string;
  beforeAll(async () => {
    stateDir = await seededState();
  });

  it('prints each scope: its learning state, pipelines marked learned, images, identities and flow counts', async () => {
    const { stdout } = await run({ stateDir });
    expect(stdout).toContain('Cluster prod: learned (learning ended 2026-06-08 00:00 UTC)');
    expect(stdout).toMatch(
      /Pipelines \(1\)\n\s+deployer {2}learned {2}from 198\.51\.0\.0\/16 {2}agent argocd\/v2\.9\n/,
    );
    // alice deploys like a pipeline but also execs into pods: a person, never learned.
    expect(stdout).not.toMatch(/alice {2}learned/);
    expect(stdout).toMatch(/Registries \(2\)\n\s+evil\\u001b\[31m\.io\n\s+ghcr\.io\n/);
    expect(stdout).toContain('Repositories (1)\n    ghcr.io/acme/api\n');
    expect(stdout).toContain('Identities (1)\n    alice  from 203.0.113.0/24, private\n');
    expect(stdout).toContain('VPC vpc-0abc: learned');
    expect(stdout).toContain('Known edges 1, ports 3 (2 distinct), external destinations 1');
    expect(stdout).not.toContain('\u001b');
  });

  it('prints JSON with each pipeline learned and its networks', async () => {
    const { stdout } = await run({ stateDir, format: 'json' });
    const { scopes } = JSON.parse(stdout);
    expect(scopes.map((s: { scope: string; kind: string }) => [s.scope, s.kind])).toEqual([
      ['prod', 'cluster'],
      ['vpc-0abc', 'vpc'],
    ]);
    expect(scopes[0].pipelines).toEqual([
      { username: 'deployer', learned: true, networks: ['198.51.0.0/16'], agent: 'argocd/v2.9' },
    ]);
    expect(scopes[0].learning).toEqual({ learningUntil: '2026-06-08T00:00:00.000Z', learned: true });
    expect(scopes[1].flows).toEqual({ edges: 1, ports: 3, distinctPorts: 2, externalDestinations: 1 });
  });

  it('judges the learning period at the time now', async () => {
    const { stdout } = await run({ stateDir, clock: () => START + 2 * DAY });
    expect(stdout).toContain('Cluster prod: learning until 2026-06-08 00:00 UTC');
  });

  it('prints a config fragment the config loader accepts, with notes on stderr only', async () => {
    const { stdout, stderr } = await run({ stateDir, format: 'config' });
    const path = join(mkdtempSync(join(tmpdir(), 'dw-learned-cfg-')), 'driftwatch.config.json');
    writeFileSync(path, stdout);
    const config = loadConfigFile(path);
    expect(config.clusterName).toBe('prod');
    expect(config.identities.cicd).toEqual(['deployer']);
    expect(config.registries.trusted).toEqual([]);
    expect(stderr).toContain('identities.notPipelines');
    expect(stderr).toContain('--trust-registries');
  });

  it('lists the learned registries as trusted when asked', async () => {
    const { stdout } = await run({ stateDir, format: 'config', trustRegistries: true });
    expect(JSON.parse(stdout).registries).toEqual({ trusted: ['evil\u001b[31m.io', 'ghcr.io'] });
  });

  it('learns no pipeline the config rejects', async () => {
    const configPath = join(mkdtempSync(join(tmpdir(), 'dw-learned-cfg-')), 'c.json');
    writeFileSync(configPath, JSON.stringify({ identities: { notPipelines: ['deploy*'] } }));
    const { stdout } = await run({ stateDir, configPath, format: 'config' });
    expect(JSON.parse(stdout).identities.cicd).toEqual([]);
  });

  it('filters one cluster, and names the clusters when there is no such one', async () => {
    const { stdout } = await run({ stateDir, cluster: 'prod' });
    expect(stdout).toContain('Cluster prod');
    await expect(run({ stateDir, cluster: 'staging' })).rejects.toThrow(
      new UsageError('no cluster staging in the store; its clusters are prod'),
    );
  });

  it('asks for the store, and refuses a --state folder that is not there', async () => {
    await expect(run({})).rejects.toThrow(/learned needs the store: --state DIR/);
    await expect(run({ stateDir: join(stateDir, 'missing') })).rejects.toThrow(/is not a folder/);
  });
});

describe('driftwatch learned --table', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startDynalite('driftwatch-learned-cli');
  });
  afterAll(async () => {
    await dynamo?.close();
  });

  it('reads the deployed table through the endpoint of the environment', async () => {
    // Prepare
    await seed(new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client }));
    // Act: the CLI as a user runs it, in a child process with the SDK's own credential chain.
    const result = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['bin/driftwatch.mjs', 'learned', '--table', dynamo.tableName, '--as-config'],
        {
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            HOME: mkdtempSync(join(tmpdir(), 'dw-home-')),
            AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
          },
        },
        (error, stdout, stderr) => resolve({ status: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });
    // Assess: stdout is the JSON alone, so `> config.json` works.
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ clusterName: 'prod', identities: { cicd: ['deployer'] } });
    expect(result.stderr).toContain('note: identities.cicd lists the 1 learned pipeline identities');
  });
});
