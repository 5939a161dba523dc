import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTable } from '../../shared/aws/dynamo-table';
import { CorrelationStore } from '../../shared/baseline/correlation-store';
import { DistinctCounter } from '../../shared/baseline/distinct-counter';
import { EdgeStatsStore } from '../../shared/baseline/edge-stats';
import { FlowSources } from '../../shared/network/flow-sources';
import type { HourlyEdge } from '../../shared/network/hourly-edge';
import { HourlyEdgeStore } from '../../shared/network/hourly-edge-store';
import { PodIpMap } from '../../shared/network/pod-ip-map';
import { ObjectLedger } from '../../shared/store/ledger';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { foldEdgeStats } from '../support/edge-folds';

/**
 * The network analysis's stores keep nested values (lists of maps, maps of lists) and use
 * conditional writes and string sets: run them on DynamoDB semantics too, not only in memory.
 */
let dynamo: LocalDynamo;
let table: DynamoTable;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

beforeAll(async () => {
  dynamo = await startDynalite();
  table = new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client });
});
afterAll(async () => {
  await dynamo.close();
});

describe('network stores on dynalite', () => {
  it('keeps the pod IP map with compare-and-set writes', async () => {
    const map = new PodIpMap(table);
    const entry = { kind: 'pod' as const, namespace: 'shop', pod: 'web-a', workload: 'web', from: T0, seen: T0 };
    expect(await map.record(new Map([['10.9.1.57', [entry]]]))).toBe(1);
    expect(
      await map.record(new Map([['10.9.1.57', [{ ...entry, pod: 'web-b', from: T0 + HOUR, seen: T0 + HOUR }]]])),
    ).toBe(1);
    const found = await map.lookup(['10.9.1.57', '10.9.1.58']);
    expect(found.get('10.9.1.57')?.map((e) => e.pod)).toEqual(['web-b', 'web-a']);
  });

  it('writes the map, folds it into statistics, and reads them back', async () => {
    const map = new HourlyEdgeStore(table);
    const key = 'egress|workload:a/b|external:192.0.2.0/24|443|6';
    const edge = (hour: number, bytesToServer: number): HourlyEdge => ({
      scope: 'vpc-dyn',
      hour,
      key,
      direction: 'egress',
      client: 'workload:a/b',
      server: 'external:192.0.2.0/24',
      clientLabel: 'a/b',
      serverLabel: '192.0.2.0/24',
      port: 443,
      protocol: 6,
      bytesToServer,
      bytesToClient: 1,
      packets: 1,
      flows: 1,
      accepted: 1,
      rejected: 0,
      firstTime: hour,
      lastTime: hour,
    });
    for (let h = 0; h < 30; h++) {
      await map.write(`o${h}`, [edge(T0 + h * HOUR, 1000 + h)]);
      await new ObjectLedger(table).markDone(`o${h}`, 'test');
    }
    expect((await map.hourTotals('vpc-dyn', T0 + 2 * HOUR, key)).bytesToServer).toBe(1002);
    const stats = new EdgeStatsStore(table, { windowDays: 14 });
    expect((await foldEdgeStats(stats, map, ['vpc-dyn'], T0 + 3 * DAY)).edgesUpdated).toBe(2);
    expect((await stats.lookup('vpc-dyn', [key])).get(key)?.metrics.bytesOut).toMatchObject({
      hours: 30,
      days: 2,
      max: 1029,
    });
    expect(await map.pendingDays('vpc-dyn')).toEqual([]);
  });

  it('counts distinct values, remembers correlation sightings and flow log deliveries', async () => {
    const counter = new DistinctCounter(table);
    const set = { scope: 'vpc-dyn', ruleId: 'net.port-scan', key: 'a|b', windowStart: T0, windowMs: 600_000 };
    await counter.addAll('o1', [{ ...set, values: ['1/tcp', '2/tcp'] }], 40);
    // Two keys in one object: one write and one query per window, each key its own union.
    const [same, other] = await counter.addAll(
      'o2',
      [
        { ...set, values: ['2/tcp', '3/tcp'] },
        { ...set, key: 'a|c', values: ['9/tcp'] },
      ],
      40,
    );
    expect(same?.sort()).toEqual(['1/tcp', '2/tcp', '3/tcp']);
    expect(other).toEqual(['9/tcp']);
    // A redelivered object overwrites its own values instead of adding to them.
    const [again] = await counter.addAll('o2', [{ ...set, values: ['2/tcp'] }], 40);
    expect(again?.sort()).toEqual(['1/tcp', '2/tcp']);

    const correlations = new CorrelationStore(table);
    const first = {
      side: 'first' as const,
      key: 'workload:a/b',
      value: 'entry:alb',
      facts: { workload: 'a/b' },
      firstTime: T0,
      lastTime: T0,
    };
    const second = { ...first, side: 'second' as const, value: 'cidr:rds|5432/tcp', facts: { port: 5432 } };
    await correlations.remember('vpc-dyn', 'net.exposure-path', first, DAY);
    await correlations.remember(
      'vpc-dyn',
      'net.exposure-path',
      { ...first, firstTime: T0 + HOUR, lastTime: T0 + HOUR },
      DAY,
    );
    await correlations.remember('vpc-dyn', 'net.exposure-path', second, DAY);
    expect(await correlations.firstSides('vpc-dyn', 'net.exposure-path')).toEqual([{ ...first, lastTime: T0 + HOUR }]);
    expect(await correlations.secondSides('vpc-dyn', 'net.exposure-path', 'workload:a/b')).toEqual([second]);

    const sources = new FlowSources(table);
    await sources.seen({ logId: 'fl-dyn', scope: 'vpc-dyn', lastSeen: T0 + HOUR, uri: 'x' });
    await sources.seen({ logId: 'fl-dyn', scope: 'vpc-dyn', lastSeen: T0, uri: 'older' });
    expect(await sources.all()).toEqual([{ logId: 'fl-dyn', scope: 'vpc-dyn', lastSeen: T0 + HOUR, uri: 'x' }]);
  });
});
