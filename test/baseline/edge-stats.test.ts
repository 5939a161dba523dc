import { describe, expect, it } from 'vitest';
import { EDGE_METRICS, EdgeStatsStore, edgeMetric, metricStats } from '../../shared/baseline/edge-stats';
import type { HourlyEdge } from '../../shared/network/hourly-edge';
import { HourlyEdgeStore } from '../../shared/network/hourly-edge-store';
import { ObjectLedger } from '../../shared/store/ledger';
import { MemoryTable } from '../../shared/store/memory-table';
import { foldEdgeStats } from '../support/edge-folds';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const KEY = 'egress|workload:payments/worker|external:140.82.112.0/24|443|6';

function hourlyEdge(hour: number, bytesToServer: number, extra: Partial<HourlyEdge> = {}): HourlyEdge {
  return {
    scope: 'vpc-0a',
    hour,
    key: KEY,
    direction: 'egress',
    client: 'workload:payments/worker',
    server: 'external:140.82.112.0/24',
    clientLabel: 'payments/worker',
    serverLabel: '140.82.112.0/24',
    port: 443,
    protocol: 6,
    bytesToServer,
    bytesToClient: 10 * bytesToServer,
    packets: 10,
    flows: 2,
    accepted: 2,
    rejected: 0,
    firstTime: hour,
    lastTime: hour + 60_000,
    ...extra,
  };
}

describe('edgeMetric', () => {
  it('reads each statistic from the traffic count it is named after, from the client', () => {
    const traffic = { bytesToServer: 1, bytesToClient: 2, packets: 3, flows: 4, accepted: 5, rejected: 6 };
    expect(EDGE_METRICS.map((metric) => [metric, edgeMetric(traffic, metric)])).toEqual([
      ['bytesOut', 1],
      ['bytesIn', 2],
      ['flows', 4],
      ['rejected', 6],
    ]);
  });
});

describe('metricStats', () => {
  it('computes the median, the median absolute deviation and the maximum', () => {
    expect(metricStats([1, 2, 3, 4, 100], 1)).toEqual({ hours: 5, days: 1, median: 3, mad: 1, max: 100 });
    expect(metricStats([2, 4], 2)).toEqual({ hours: 2, days: 2, median: 3, mad: 1, max: 4 });
    expect(metricStats([], 0)).toEqual({ hours: 0, days: 0, median: 0, mad: 0, max: 0 });
  });
});

describe('EdgeStatsStore', () => {
  async function fill(table: MemoryTable, days: number, perHour: (day: number, hour: number) => number) {
    const store = new HourlyEdgeStore(table);
    const ledger = new ObjectLedger(table);
    for (let d = 0; d < days; d++) {
      for (let h = 0; h < 24; h++) {
        await store.write(`o-${d}-${h}`, [hourlyEdge(T0 + d * DAY + h * HOUR, perHour(d, h))]);
        await ledger.markDone(`o-${d}-${h}`, 'test');
      }
    }
    return store;
  }

  it('folds hourly edges into per-edge hourly statistics, idempotently', async () => {
    // Prepare: three days of 4 kB hours with a 1 MB hour each day.
    const table = new MemoryTable();
    const store = await fill(table, 3, (_d, h) => (h === 3 ? 1_000_000 : 4_000));
    const stats = new EdgeStatsStore(table, { windowDays: 14 });
    // Act: fold at the start of day 4, twice.
    const report = await foldEdgeStats(stats, store, ['vpc-0a'], T0 + 3 * DAY);
    await foldEdgeStats(stats, store, ['vpc-0a'], T0 + 3 * DAY);
    // Assess
    expect(report).toMatchObject({ daysFolded: 3, edgesUpdated: 3, mapItemsRead: 72 });
    const entry = (await stats.lookup('vpc-0a', [KEY, 'unknown'])).get(KEY);
    expect(entry?.metrics.bytesOut).toEqual({ hours: 72, days: 3, median: 4_000, mad: 0, max: 1_000_000 });
    expect(entry?.metrics.bytesIn.median).toBe(40_000);
    // The previous day stays pending (objects for it may still arrive); the folded ones are done.
    expect(await store.pendingDays('vpc-0a')).toEqual(['2026-11-03']);
    // The history keeps each hour as [bytesOut, bytesIn, flows, rejected], the stored format.
    const history = [...table.items()].find((item) => String(item.pk).startsWith('EDGEHIST#'));
    const hours = (history?.hours ?? {}) as Record<string, number[]>;
    expect(hours['2026-11-01T03']).toEqual([1_000_000, 10_000_000, 2, 0]);
  });

  it('replaces a day folded again when late objects arrive, and drops hours past the window', async () => {
    const table = new MemoryTable();
    const store = await fill(table, 2, () => 1_000);
    const stats = new EdgeStatsStore(table, { windowDays: 1 });
    await foldEdgeStats(stats, store, ['vpc-0a'], T0 + DAY + HOUR);
    await store.write('late', [hourlyEdge(T0 + DAY + 5 * HOUR, 9_000)]);
    await new ObjectLedger(table).markDone('late', 'test');
    await foldEdgeStats(stats, store, ['vpc-0a'], T0 + 2 * DAY + HOUR);
    const entry = (await stats.lookup('vpc-0a', [KEY])).get(KEY);
    // Day 1 is outside a one-day window; day 2 has 24 hours, one of them 10 kB now.
    expect(entry?.metrics.bytesOut).toMatchObject({ hours: 24, days: 1, median: 1_000, max: 10_000 });
  });

  it('keeps no statistics for edges no spike detector watches (ingress)', async () => {
    const table = new MemoryTable();
    const store = new HourlyEdgeStore(table);
    await store.write('o', [hourlyEdge(T0, 500, { direction: 'ingress', key: 'ingress|x|y|443|6' })]);
    await new ObjectLedger(table).markDone('o', 'test');
    const report = await foldEdgeStats(new EdgeStatsStore(table, { windowDays: 14 }), store, ['vpc-0a'], T0 + 3 * DAY);
    expect(report.edgesUpdated).toBe(0);
  });
});
