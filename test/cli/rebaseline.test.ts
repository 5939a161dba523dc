import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type RebaselineOptions, rebaseline } from '../../cli/rebaseline';
import { saveReplayClock } from '../../cli/store';
import { DynamoTable } from '../../shared/aws';
import { type ItemReport, planItems, type WorkItem } from '../../shared/baseline';
import { type Config, loadConfigFile } from '../../shared/config';
import { buildDetectContext } from '../../shared/detect';
import { Engine } from '../../shared/engine';
import { CollectingSink } from '../../shared/incident';
import { STACK_FLOW_HEADER } from '../../shared/ingest';
import { HourlyEdgeStore, hourlyEdgeTtlDays } from '../../shared/network';
import { type Item, loadStateDir, MemoryTable, saveStateDir, type Table } from '../../shared/store';
import { DAY_MS, iso } from '../../shared/util';
import { Capture } from '../support/capture';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { gzip, rawAuditEvent } from '../support/formats';
import { memorySource } from '../support/sources';
import { canonicalItems } from '../support/table-snapshot';

const DAY0 = Date.parse('2026-11-01T00:00:00Z');
/** The replay's clock: past the fourth day, so that the first three are due and settled. */
const CLOCK = DAY0 + 3 * DAY_MS + 5 * 3_600_000;

function deploy(image: string, day: number): string {
  return JSON.stringify(
    rawAuditEvent({
      auditID: `${image}-${day}`,
      verb: 'create',
      user: { username: 'system:serviceaccount:ci:deployer', groups: ['system:serviceaccounts'] },
      objectRef: { resource: 'deployments', namespace: 'shop', name: 'web', apiGroup: 'apps', apiVersion: 'v1' },
      requestObject: { kind: 'Deployment', spec: { template: { spec: { containers: [{ name: 'c', image }] } } } },
      requestReceivedTimestamp: iso(DAY0 + day * DAY_MS + 10 * 3_600_000),
    }),
  );
}

function flowLine(src: string, dst: string, dport: number, day: number): string {
  const start = Math.floor((DAY0 + day * DAY_MS + 10 * 3_600_000) / 1000);
  return `5 123456789012 eni-0a 10.0.1.1 10.0.1.2 44321 ${dport} 6 5 500 ${start} ${start + 60} ACCEPT OK vpc-0a subnet-0a i-0a 2 IPv4 ${src} ${dst} eu-west-1 euw1-az1 - - egress 8`;
}

/** Four days of a cluster's deploys and a VPC's traffic: observations and hourly edges on every day. */
async function seed(table: Table, config: Config): Promise<void> {
  const engine = new Engine({ config, table, context: buildDetectContext(config), sink: new CollectingSink() });
  for (let day = 0; day < 4; day++) {
    await engine.process(
      memorySource(`audit-${day}`, [deploy(`nginx:1.${day}`, day), deploy('quay.io/x/y:1', day)].join('\n')),
    );
    const flows = [
      flowLine('10.0.64.5', '140.82.112.3', 443, day),
      flowLine('10.0.64.5', '10.0.200.10', 5432, day),
      flowLine('10.0.64.6', '10.0.200.11', 6379 + day, day),
    ];
    await engine.process(memorySource(`flow-${day}`, gzip([STACK_FLOW_HEADER, ...flows].join('\n'))));
  }
}

/**
 * The table as the rebaseline leaves it. The ledger's markers, the incident lock's holder and the
 * outbox's send times differ by wall clock.
 */
function snapshot(items: Iterable<Item>): string[] {
  const byClock = (pk: string) => pk.startsWith('OBJECT#') || pk.startsWith('OUTBOX#') || pk === 'INCLOCK';
  return canonicalItems([...items].filter((i) => !byClock(i.pk)));
}

function files(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'base64')]));
}

function writeConfig(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'dw-rebaseline-config-')), 'driftwatch.config.json');
  writeFileSync(path, JSON.stringify({ network: { vpcCidrs: ['10.0.0.0/16'] } }));
  return path;
}

describe('driftwatch rebaseline --state', () => {
  let configPath: string;
  let config: Config;
  let stateDir: string;
  let stdout: Capture;
  let stderr: Capture;
  const run = (options: Partial<RebaselineOptions>) =>
    rebaseline({ stateDir, configPath, stdout, stderr, ...options } as RebaselineOptions);

  beforeEach(async () => {
    configPath = writeConfig();
    config = loadConfigFile(configPath);
    const table = new MemoryTable();
    await seed(table, config);
    await saveReplayClock(table, CLOCK);
    stateDir = mkdtempSync(join(tmpdir(), 'dw-rebaseline-'));
    await saveStateDir(table, stateDir);
    stdout = new Capture();
    stderr = new Capture();
  });

  it('folds the plan item by item, several at once, to the table and report of Engine.rebaseline on a copy', async () => {
    // Prepare: the same state, rebaselined in one go in process.
    const copy = await loadStateDir(stateDir);
    const inProcess = new Engine({
      config,
      table: copy,
      context: buildDetectContext(config),
      sink: new CollectingSink(),
    });
    const whole = await inProcess.rebaseline(CLOCK, `manual#${iso(CLOCK)}`);
    // Act: at the replay's clock, named by it.
    const code = await run({ json: true, concurrency: 3 });
    // Assess
    expect(code).toBe(0);
    const output = JSON.parse(stdout.text);
    expect(output.run).toBe(`manual#${iso(CLOCK)}`);
    expect(output.mode).toBe('full');
    expect(output.report).toEqual(JSON.parse(JSON.stringify(whole)));
    expect(whole.daysFolded).toBeGreaterThan(0);
    expect(whole.network?.edgesUpdated).toBeGreaterThan(0);
    // Edge items (one per shard) and observation items ran, each reported with its own units.
    const reports: ItemReport[] = output.items;
    expect(new Set(reports.map((r) => r.item.type))).toEqual(new Set(['edges', 'observations']));
    expect(reports.some((r) => r.writeUnits > 0 && r.readUnits > 0)).toBe(true);
    expect(stderr.text).toMatch(/\[1\/\d+\] (edges|observations) .*: \d+ rows, \d+ entries, \d+ edges, .* WRU, \d+ ms/);
    expect(snapshot((await loadStateDir(stateDir)).items())).toEqual(snapshot(copy.items()));
  });

  it('prints the plan, items with their days, shard, part and rows, and writes nothing', async () => {
    // Prepare
    const before = files(stateDir);
    // Act
    await run({ planOnly: true, json: true });
    const plan = JSON.parse(stdout.text);
    // Assess: nothing changed on disk, and the run plans the same items.
    expect(files(stateDir)).toEqual(before);
    expect(plan.items.length).toBeGreaterThan(1);
    expect(plan.items.every((i: { rows: number }) => Number.isInteger(i.rows))).toBe(true);
    expect(plan.items.some((i: { type: string; rows: number }) => i.type === 'observations' && i.rows > 0)).toBe(true);
    const text = new Capture();
    await rebaseline({ stateDir, configPath, planOnly: true, stdout: text, stderr });
    expect(text.text).toMatch(/^Plan manual#.*: \d+ items over 2 scopes \(nothing written\)\.\nTYPE/);
    stdout.text = '';
    await run({ json: true });
    const ran: WorkItem[] = JSON.parse(stdout.text).items.map((r: ItemReport) => r.item);
    expect(plan.items.map(({ rows: _rows, ...item }: WorkItem & { rows: number }) => item)).toEqual(ran);
  });

  it('refuses what would do something else than asked, in one line', async () => {
    await expect(run({ topicArn: 'arn:aws:sns:eu-west-1:1:t', itemsOnly: true })).rejects.toThrow(
      /^give --topic-arn \(run all, findings published\) or --items-only \(fold only\), not both$/,
    );
    await expect(run({ planOnly: true, itemsOnly: true })).rejects.toThrow(/--plan only prints the plan/);
    await expect(run({ now: 'yesterday' })).rejects.toThrow(/--now yesterday is not a date-time; give ISO/);
    await expect(run({ concurrency: 0 })).rejects.toThrow(/--concurrency must be a whole number from 1 to 32/);
    await expect(run({ region: 'eu-west-1' })).rejects.toThrow(/--region goes with --table/);
    // A folder no replay wrote has no clock.
    await saveStateDir(new MemoryTable(), stateDir);
    await expect(run({})).rejects.toThrow(/no replay clock .* give --now ISO/);
  });
});

describe('driftwatch rebaseline (the command line)', () => {
  it('answers a bad flag and a --table without --topic-arn or --items-only with one line', async () => {
    const cli = (args: string[]) =>
      new Promise<{ status: number; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['bin/driftwatch.mjs', 'rebaseline', ...args],
          { encoding: 'utf8' },
          (error, _out, err) => resolve({ status: error ? (error.code as number) : 0, stderr: err }),
        );
      });
    const [unsafe, concurrency] = await Promise.all([
      cli(['--table', 'driftwatch-state']),
      cli(['--state', '.', '--concurrency', 'many']),
    ]);
    expect(unsafe.status).toBe(1);
    expect(unsafe.stderr).toMatch(/^driftwatch: --table needs --topic-arn ARN .* or --items-only .*\n$/);
    expect(concurrency.status).toBe(1);
    expect(concurrency.stderr.trim().split('\n')).toHaveLength(1);
    expect(concurrency.stderr).toMatch(/--concurrency.*use a whole number from 1 to 32/);
  });
});

describe('driftwatch rebaseline --table', () => {
  let dynamo: LocalDynamo;
  const sns = mockClient(SNSClient);
  beforeAll(async () => {
    dynamo = await startDynalite('driftwatch-rebaseline-cli');
  });
  afterAll(async () => {
    await dynamo?.close();
    sns.restore();
  });
  beforeEach(() => {
    sns.reset();
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('with --items-only folds the deployed table as the items fold in process, and publishes nothing', async () => {
    // Prepare: the same objects in the deployed table and in memory.
    const configPath = writeConfig();
    const config = loadConfigFile(configPath);
    const deployed = new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client });
    await seed(deployed, config);
    const memory = new MemoryTable();
    await seed(memory, config);
    const engine = new Engine({
      config,
      table: memory,
      context: buildDetectContext(config),
      sink: new CollectingSink(),
    });
    const hourly = new HourlyEdgeStore(memory, { ttlDays: hourlyEdgeTtlDays(config) });
    const scopes = await engine.baselines.scopes();
    const items = await planItems({ baselines: engine.baselines, hourly }, scopes, CLOCK);
    for (const item of items) await engine.runWorkItem({ run: 'x', now: CLOCK, items, scopes }, item);
    const stdout = new Capture();
    const stderr = new Capture();
    // Act
    const code = await rebaseline({
      tableName: dynamo.tableName,
      configPath,
      now: iso(CLOCK),
      itemsOnly: true,
      json: true,
      stdout,
      stderr,
    });
    // Assess
    expect(code).toBe(0);
    const output = JSON.parse(stdout.text);
    expect(output.mode).toBe('items-only');
    expect(output.report).toBeUndefined();
    expect(output.items.map((r: ItemReport) => r.item)).toEqual(items);
    expect(sns.calls()).toHaveLength(0);
    const scanned = await DynamoDBDocumentClient.from(dynamo.client).send(
      new ScanCommand({ TableName: dynamo.tableName }),
    );
    expect(snapshot((scanned.Items ?? []) as Item[])).toEqual(snapshot(memory.items()));
  });
});
