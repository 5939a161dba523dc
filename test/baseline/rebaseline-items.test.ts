import { describe, expect, it } from 'vitest';
import { BaselineStore } from '../../shared/baseline/baseline-store';
import { EdgeStatsStore } from '../../shared/baseline/edge-stats';
import { finishObservations, foldObservations } from '../../shared/baseline/rebaseline';
import { itemDays, planItems, type WorkItem } from '../../shared/baseline/rebaseline-plan';
import type { HourlyEdge } from '../../shared/network/hourly-edge';
import { HourlyEdgeStore } from '../../shared/network/hourly-edge-store';
import { keys } from '../../shared/store/keys';
import { ObjectLedger } from '../../shared/store/ledger';
import { MemoryTable } from '../../shared/store/memory-table';
import type { QueryOptions } from '../../shared/store/types';
import { canonicalItems } from '../support/table-snapshot';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const SCOPE = 'eks';
const OPTIONS = { retentionDays: 90, kinds: ['image-registry', 'api-caller'] };

/** `objects` objects of one day, each seeing `values` registries (some shared), all done but the last. */
async function fill(table: MemoryTable, day: number, objects = 6, values = 40): Promise<void> {
  const store = new BaselineStore({ table });
  const ledger = new ObjectLedger(table, () => T0);
  for (let o = 0; o < objects; o++) {
    const time = T0 + day * DAY + o * HOUR;
    const id = `obj-${day}-${o}`;
    await store.writeObservations(
      id,
      Array.from({ length: values }, (_, v) => ({
        scope: SCOPE,
        kind: v % 2 === 0 ? 'image-registry' : 'api-caller',
        value: `value-${(v + o * 7) % 90}`,
        day: new Date(time).toISOString().slice(0, 10),
        count: v + 1,
        firstTime: time + v,
        lastTime: time + v + 1000,
        detectorId: 'test',
      })),
    );
    if (o < objects - 1) await ledger.markDone(id, 'test');
  }
}

/** Plans, folds every item, finishes: a rebaseline of the observations, at `now`. */
async function rebaseline(table: MemoryTable, now: number, rowsPerItem?: number, twice = false) {
  const store = new BaselineStore({ table });
  const items = (
    await planItems({ baselines: store, hourly: new HourlyEdgeStore(table) }, [SCOPE], now, rowsPerItem)
  ).filter((item): item is Extract<WorkItem, { type: 'observations' }> => item.type === 'observations');
  let rowsRead = 0;
  for (const item of items) {
    for (const day of itemDays(item)) rowsRead += (await foldObservations(store, day, { now, ...OPTIONS })).rowsRead;
    // A repeated item: every day again, after the later ones.
    if (twice) for (const day of itemDays(item)) await foldObservations(store, day, { now, ...OPTIONS });
  }
  const folded = [...new Set(items.flatMap((i) => i.days))];
  const { entriesPruned } = await finishObservations(store, SCOPE, folded, { now, ...OPTIONS });
  return { items, rowsRead, entriesPruned };
}

const withoutIndex = (table: MemoryTable) =>
  canonicalItems([...table.items()].filter((i) => !i.pk.startsWith('BLDAY#')));

describe('observation work items', () => {
  it('stream a day page by page: two items per page give the table one page per partition gives', async () => {
    // Prepare
    const paged = new MemoryTable({ pageSize: 2 });
    const whole = new MemoryTable();
    for (const table of [paged, whole]) for (let d = 0; d < 2; d++) await fill(table, d);
    let pages = 0;
    const queryPages = paged.queryPages.bind(paged);
    paged.queryPages = (pk: string, options?: QueryOptions) => {
      if (pk.startsWith('OBS#')) pages++;
      return queryPages(pk, options);
    };
    // Act
    const a = await rebaseline(paged, T0 + 2 * DAY);
    const b = await rebaseline(whole, T0 + 2 * DAY);
    // Assess: 5 done objects of 40 rows per day; the undone object taught nothing.
    expect(a.rowsRead).toBe(2 * 5 * 40);
    expect(b.rowsRead).toBe(a.rowsRead);
    expect(canonicalItems(paged.items())).toEqual(canonicalItems(whole.items()));
    // Each done object's counts are 1..40: the entries hold 2 days x 5 objects x 820 sightings.
    const store = new BaselineStore({ table: whole });
    const entries = [...(await store.entries(SCOPE, 'image-registry')), ...(await store.entries(SCOPE, 'api-caller'))];
    expect(entries.reduce((sum, e) => sum + e.count, 0)).toBe(2 * 5 * 820);
    expect(entries.filter((e) => e.days === 2).length).toBeGreaterThan(0);
    expect(pages).toBeGreaterThan(8);
  });

  it('split by the row counters: parts of 100 rows give the entries one part gives, and index the same values', async () => {
    // Prepare
    const one = new MemoryTable();
    const three = new MemoryTable();
    for (const table of [one, three]) await fill(table, 0);
    // Act
    const a = await rebaseline(one, T0 + 2 * DAY);
    const b = await rebaseline(three, T0 + 2 * DAY, 100);
    // Assess: 6 objects of 40 rows counted (the undone one too: a safe overestimate) make 3 parts.
    expect(a.items.map((i) => i.parts)).toEqual([1]);
    expect(b.items.map((i) => `${i.part}/${i.parts}`)).toEqual(['0/3', '1/3', '2/3']);
    expect(b.rowsRead).toBe(a.rowsRead);
    expect(withoutIndex(three)).toEqual(withoutIndex(one));
    const indexed = async (table: MemoryTable) =>
      [...(await new BaselineStore({ table }).dayIndex(SCOPE, '2026-11-01'))].map(([k, v]) => [k, [...v].sort()]);
    expect(await indexed(three)).toEqual(await indexed(one));
    const store = new BaselineStore({ table: one });
    const entries = [...(await store.entries(SCOPE, 'image-registry')), ...(await store.entries(SCOPE, 'api-caller'))];
    expect((await indexed(one)).flatMap(([, v]) => v)).toHaveLength(entries.length);
  });

  it('are idempotent: an item run twice leaves the table it leaves once', async () => {
    const once = new MemoryTable();
    const twice = new MemoryTable();
    for (const table of [once, twice]) await fill(table, 0);
    await rebaseline(once, T0 + DAY + HOUR, 100);
    await rebaseline(twice, T0 + DAY + HOUR, 100, true);
    expect(canonicalItems(twice.items())).toEqual(canonicalItems(once.items()));
  });

  it('settle: the finish marks settled days folded and drops their row counters, keeping the last two days pending', async () => {
    const table = new MemoryTable();
    for (let d = 0; d < 3; d++) await fill(table, d);
    await rebaseline(table, T0 + 2 * DAY + HOUR);
    const meta = await new BaselineStore({ table }).meta(SCOPE);
    expect(meta.pendingDays).toEqual(['2026-11-02', '2026-11-03']);
    expect(Object.keys(meta.pendingRows)).toEqual(['2026-11-02', '2026-11-03']);
    expect(meta.lastRebaseline).toBe(T0 + 2 * DAY + HOUR);
  });
});

describe('the incremental prune', () => {
  it('deletes an entry past retention, keeps one seen again, and never queries the baseline partitions', async () => {
    // Prepare: day 0 and day 5 folded; the first rebaseline scans (no cursor yet) and sets the cursor.
    const table = new MemoryTable();
    await fill(table, 0, 2, 4);
    await rebaseline(table, T0 + 2 * DAY);
    expect((await new BaselineStore({ table }).meta(SCOPE)).prunedThrough).toBe('2026-08-04');
    // The done object saw value-0 and value-2 (registries), value-1 and value-3 (callers) on day 0; day 5 sees value-2 again.
    const store = new BaselineStore({ table });
    await store.writeObservations('again', [
      {
        scope: SCOPE,
        kind: 'image-registry',
        value: 'value-2',
        day: '2026-11-06',
        count: 1,
        firstTime: T0 + 5 * DAY,
        lastTime: T0 + 5 * DAY,
        detectorId: 't',
      },
    ]);
    await new ObjectLedger(table, () => T0).markDone('again', 'test');
    await rebaseline(table, T0 + 6 * DAY);
    const queried: string[] = [];
    const query = table.query.bind(table);
    table.query = (pk: string, options?: QueryOptions) => {
      queried.push(pk);
      return query(pk, options);
    };
    const queryPages = table.queryPages.bind(table);
    table.queryPages = (pk: string, options?: QueryOptions) => {
      queried.push(pk);
      return queryPages(pk, options);
    };
    // Act: 90 days on, day 0 left the window (day 5 has not).
    const { entriesPruned } = await rebaseline(table, T0 + 92 * DAY);
    const read = [...queried];
    // Assess
    const left = (await new BaselineStore({ table }).entries(SCOPE, 'image-registry')).map((e) => e.value);
    expect(left).toEqual(['value-2']);
    expect(entriesPruned).toBe(3);
    expect(read.filter((pk) => pk.startsWith('BL#'))).toEqual([]);
    expect(read).toContain(keys.baselineDayIndex(SCOPE, '2026-11-01'));
    expect((await new BaselineStore({ table }).meta(SCOPE)).prunedThrough).toBe('2026-11-02');
  });
});

describe('edge work items', () => {
  const KEYS = Array.from({ length: 12 }, (_, i) => `egress|workload:a/w${i}|external:192.0.2.0/24|443|6`);
  function hourlyEdge(key: string, hour: number, bytes: number): HourlyEdge {
    return {
      scope: 'vpc-0a',
      hour,
      key,
      direction: 'egress',
      client: 'workload:a/w',
      server: 'external:192.0.2.0/24',
      clientLabel: 'a/w',
      serverLabel: '192.0.2.0/24',
      port: 443,
      protocol: 6,
      bytesToServer: bytes,
      bytesToClient: 1,
      packets: 1,
      flows: 1,
      accepted: 1,
      rejected: 0,
      firstTime: hour,
      lastTime: hour + 1000,
    };
  }
  async function run(table: MemoryTable, rowsPerItem?: number, twice = false) {
    const hourly = new HourlyEdgeStore(table);
    const ledger = new ObjectLedger(table, () => T0);
    for (let h = 0; h < 30; h++) {
      await hourly.write(
        `o${h}`,
        KEYS.map((k, i) => hourlyEdge(k, T0 + h * HOUR, 100 * h + i)),
      );
      await ledger.markDone(`o${h}`, 'test');
    }
    const stats = new EdgeStatsStore(table, { windowDays: 14 });
    const now = T0 + 3 * DAY;
    const items = await planItems({ baselines: new BaselineStore({ table }), hourly }, ['vpc-0a'], now, rowsPerItem);
    let rows = 0;
    for (const item of items) {
      if (item.type !== 'edges') continue;
      for (const day of itemDays(item)) rows += (await stats.foldItem(hourly, day, now)).rowsRead;
      if (twice) for (const day of itemDays(item)) await stats.foldItem(hourly, day, now);
    }
    return { items, rows };
  }

  it('split and repeated give the statistics one pass gives', async () => {
    const one = new MemoryTable({ pageSize: 3 });
    const split = new MemoryTable();
    const a = await run(one);
    const b = await run(split, 10, true);
    // One item per shard, each folding both days in turn.
    expect(a.items).toHaveLength(8);
    expect(a.items.every((item) => item.days.length === 2)).toBe(true);
    expect(b.items.length).toBeGreaterThan(a.items.length);
    expect(b.rows).toBe(a.rows);
    expect(a.rows).toBe(30 * 12);
    expect(canonicalItems(split.items())).toEqual(canonicalItems(one.items()));
    const stats = await new EdgeStatsStore(one, { windowDays: 14 }).lookup('vpc-0a', KEYS);
    expect(stats.size).toBe(12);
    expect(stats.get(KEYS[0] as string)?.metrics.bytesOut.hours).toBe(30);
  });
});
