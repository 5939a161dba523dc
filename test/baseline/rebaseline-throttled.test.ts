import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DYNAMO_CLIENT_CONFIG, DynamoTable } from '../../shared/aws/dynamo-table';
import { BaselineStore } from '../../shared/baseline/baseline-store';
import { EdgeStatsStore } from '../../shared/baseline/edge-stats';
import { finishObservations, foldObservations } from '../../shared/baseline/rebaseline';
import { itemDays, planItems } from '../../shared/baseline/rebaseline-plan';
import type { HourlyEdge } from '../../shared/network/hourly-edge';
import { HourlyEdgeStore } from '../../shared/network/hourly-edge-store';
import { ObjectLedger } from '../../shared/store/ledger';
import type { Item } from '../../shared/store/types';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { canonicalItems } from '../support/table-snapshot';
import { type Fault, startThrottlingDynamo, type ThrottlingDynamo } from '../support/throttling-dynamo';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const NOW = T0 + 3 * DAY;
const OPTIONS = { now: NOW, retentionDays: 90, kinds: ['image-registry'] };

let clean: LocalDynamo;
let throttled: LocalDynamo;
let proxy: ThrottlingDynamo;

beforeAll(async () => {
  [clean, throttled] = await Promise.all([startDynalite(), startDynalite()]);
});
afterAll(async () => {
  await proxy?.close();
  await Promise.all([clean?.close(), throttled?.close()]);
});

/** Two days of observations (250 values) and hourly edges (40 edges), every object done. */
async function fill(table: DynamoTable): Promise<void> {
  const baselines = new BaselineStore({ table });
  const hourly = new HourlyEdgeStore(table);
  const ledger = new ObjectLedger(table, () => T0);
  for (let o = 0; o < 4; o++) {
    const time = T0 + Math.floor(o / 2) * DAY + o * HOUR;
    const day = new Date(time).toISOString().slice(0, 10);
    await baselines.writeObservations(
      `obj-${o}`,
      Array.from({ length: 250 }, (_, v) => ({
        scope: 'eks',
        kind: 'image-registry',
        value: `registry-${v}.example`,
        day,
        count: o + 1,
        firstTime: time,
        lastTime: time + v,
        detectorId: 'test',
      })),
    );
    await hourly.write(
      `obj-${o}`,
      Array.from(
        { length: 40 },
        (_, e): HourlyEdge => ({
          scope: 'vpc-0a',
          hour: time,
          key: `egress|workload:a/w${e}|external:192.0.2.0/24|443|6`,
          direction: 'egress',
          client: `workload:a/w${e}`,
          server: 'external:192.0.2.0/24',
          clientLabel: `a/w${e}`,
          serverLabel: '192.0.2.0/24',
          port: 443,
          protocol: 6,
          bytesToServer: 100 * o + e,
          bytesToClient: 1,
          packets: 1,
          flows: 1,
          accepted: 1,
          rejected: 0,
          firstTime: time,
          lastTime: time + 1000,
        }),
      ),
    );
    await ledger.markDone(`obj-${o}`, 'test');
  }
}

/** Every work item, then the finish of the observations' scope. */
async function rebaseline(table: DynamoTable): Promise<void> {
  const baselines = new BaselineStore({ table });
  const hourly = new HourlyEdgeStore(table);
  const stats = new EdgeStatsStore(table, { windowDays: 14 });
  const items = await planItems({ baselines, hourly }, ['eks', 'vpc-0a'], NOW, 300);
  for (const day of items.flatMap((item) => itemDays(item))) {
    if (day.type === 'edges') await stats.foldItem(hourly, day, NOW);
    else await foldObservations(baselines, day, OPTIONS);
  }
  await finishObservations(baselines, 'eks', ['2026-11-01', '2026-11-02'], OPTIONS);
}

async function scan(dynamo: LocalDynamo): Promise<Item[]> {
  const doc = DynamoDBDocumentClient.from(dynamo.client);
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(new ScanCommand({ TableName: dynamo.tableName, ExclusiveStartKey: start }));
    items.push(...((out.Items ?? []) as Item[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

describe('rebaseline work items on DynamoDB under throttling', () => {
  it('end with the table an unthrottled run leaves', async () => {
    // Prepare: the same data in both tables; on one, every fourth batch is processed by half and a few
    // batch requests are throttled whole, with both errors DynamoDB throttles with.
    const direct = (dynamo: LocalDynamo) =>
      new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client, pageSize: 2 });
    await fill(direct(clean));
    await fill(direct(throttled));
    let batches = 0;
    proxy = await startThrottlingDynamo(throttled.endpoint, (operation): Fault => {
      if (!operation.startsWith('Batch')) return 'pass';
      batches++;
      if (batches % 40 === 7) return { throttle: 'ProvisionedThroughputExceededException' };
      if (batches % 40 === 23) return { throttle: 'ThrottlingException' };
      return batches % 4 === 0 ? { process: 'half' } : 'pass';
    });
    const client = new DynamoDBClient({
      ...DYNAMO_CLIENT_CONFIG,
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    // Act
    await rebaseline(direct(clean));
    await rebaseline(new DynamoTable({ tableName: throttled.tableName, client, pageSize: 2 }));
    client.destroy();
    // Assess: faults were injected, of both kinds, and the tables are the same.
    expect(proxy.log.filter((e) => typeof e.fault === 'object' && 'throttle' in e.fault).length).toBeGreaterThan(1);
    expect(proxy.log.filter((e) => e.withheld > 0).length).toBeGreaterThan(5);
    const expected = canonicalItems(await scan(clean));
    expect(expected.filter((line) => line.includes('"pk":"BL#eks#image-registry"'))).toHaveLength(250);
    expect(expected.filter((line) => line.includes('"pk":"EDGEHIST#vpc-0a#'))).toHaveLength(40);
    expect(canonicalItems(await scan(throttled))).toEqual(expected);
  });
});
