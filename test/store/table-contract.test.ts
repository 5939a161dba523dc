import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTable } from '../../shared/aws/dynamo-table';
import { MemoryTable } from '../../shared/store/memory-table';
import type { Item, Table } from '../../shared/store/types';
import { type LocalDynamo, startDynalite } from '../support/dynalite';

let dynamo: LocalDynamo;
let run = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

/** The same behaviour is required of both tables; each case gets fresh partition keys. */
const tables: [string, (options?: { pageSize?: number }) => Table][] = [
  ['MemoryTable', (options) => new MemoryTable(options)],
  [
    'DynamoTable on dynalite',
    (options) => new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client, ...options }),
  ],
];

describe.each(tables)('%s', (_name, makeTable) => {
  const pk = (name: string) => `T${++run}#${name}`;

  it('puts, gets and deletes an item', async () => {
    const table = makeTable();
    const key = { pk: pk('a'), sk: 'x' };
    expect(await table.get(key)).toBeUndefined();
    await table.put({ ...key, n: 1, s: 'v', nested: { a: 1 } });
    expect(await table.get(key)).toEqual({ ...key, n: 1, s: 'v', nested: { a: 1 } });
    await table.delete(key);
    expect(await table.get(key)).toBeUndefined();
  });

  it('honours the absent condition', async () => {
    const table = makeTable();
    const key = { pk: pk('b'), sk: 'x' };
    expect(await table.put({ ...key, v: 1 }, { kind: 'absent' })).toBe(true);
    expect(await table.put({ ...key, v: 2 }, { kind: 'absent' })).toBe(false);
    expect((await table.get(key))?.v).toBe(1);
  });

  it('honours absentOrBelow and absentOrAbove', async () => {
    const table = makeTable();
    const key = { pk: pk('c'), sk: 'x' };
    expect(await table.put({ ...key, end: 100 }, { kind: 'absentOrBelow', attribute: 'end', value: 50 })).toBe(true);
    expect(await table.put({ ...key, end: 200 }, { kind: 'absentOrBelow', attribute: 'end', value: 50 })).toBe(false);
    expect(await table.put({ ...key, end: 300 }, { kind: 'absentOrBelow', attribute: 'end', value: 101 })).toBe(true);
    expect(await table.update(key, { set: { end: 10 } }, { kind: 'absentOrAbove', attribute: 'end', value: 400 })).toBe(
      false,
    );
    expect(await table.update(key, { set: { end: 10 } }, { kind: 'absentOrAbove', attribute: 'end', value: 20 })).toBe(
      true,
    );
    expect((await table.get(key))?.end).toBe(10);
  });

  it('honours equals: the item exists and the attribute has the value (a lock released only by its holder)', async () => {
    const table = makeTable();
    const key = { pk: pk('e'), sk: 'LOCK' };
    const release = (holder: string) =>
      table.update(key, { set: { leaseUntil: 0 } }, { kind: 'equals', attribute: 'holder', value: holder });
    expect(await release('a')).toBe(false);
    expect(await table.get(key)).toBeUndefined();
    await table.put({ ...key, holder: 'a', leaseUntil: 99 });
    expect(await release('b')).toBe(false);
    expect((await table.get(key))?.leaseUntil).toBe(99);
    expect(await release('a')).toBe(true);
    expect((await table.get(key))?.leaseUntil).toBe(0);
  });

  it('updates with set, setIfAbsent, add and string sets', async () => {
    const table = makeTable();
    const key = { pk: pk('d'), sk: 'x' };
    await table.update(key, {
      set: { a: 'one' },
      setIfAbsent: { first: 5 },
      add: { n: 2 },
      addToSet: { days: ['d1', 'd2'] },
    });
    await table.update(key, { setIfAbsent: { first: 9 }, add: { n: 3 }, addToSet: { days: ['d2', 'd3'] } });
    await table.update(key, { deleteFromSet: { days: ['d1'] } });
    const item = await table.get(key);
    expect(item).toMatchObject({ a: 'one', first: 5, n: 5 });
    expect([...((item?.days as Set<string> | undefined) ?? [])].sort()).toEqual(['d2', 'd3']);
    await table.update(key, { deleteFromSet: { days: ['d2', 'd3'] } });
    expect((await table.get(key))?.days).toBeUndefined();
  });

  it('queries a partition in sort-key order, by prefix, with a limit', async () => {
    const table = makeTable();
    const p = pk('e');
    await table.batchPut(['b#2', 'a#1', 'b#1', 'c#1'].map((sk) => ({ pk: p, sk })));
    expect((await table.query(p)).map((i) => i.sk)).toEqual(['a#1', 'b#1', 'b#2', 'c#1']);
    expect((await table.query(p, { skPrefix: 'b#' })).map((i) => i.sk)).toEqual(['b#1', 'b#2']);
    expect((await table.query(p, { limit: 2 })).map((i) => i.sk)).toEqual(['a#1', 'b#1']);
    expect(await table.query(pk('empty'))).toEqual([]);
  });

  it('removes attributes, a missing one included', async () => {
    const table = makeTable();
    const key = { pk: pk('r'), sk: 'x' };
    await table.update(key, { set: { keep: 1 }, add: { 'rows#2026-11-01': 4, 'rows#2026-11-02': 5 } });
    await table.update(key, { set: { keep: 2 }, remove: ['rows#2026-11-01', 'never-there'] });
    expect(await table.get(key)).toEqual({ ...key, keep: 2, 'rows#2026-11-02': 5 });
  });

  it('streams a partition page by page: the pages hold the query, in order, by prefix and limit', async () => {
    const table = makeTable({ pageSize: 2 });
    const p = pk('p');
    await table.batchPut(['b#2', 'a#1', 'b#1', 'c#1', 'b#3'].map((sk) => ({ pk: p, sk })));
    const pages = async (options?: { skPrefix?: string; limit?: number }) => {
      const out: string[][] = [];
      for await (const page of table.queryPages(p, options)) if (page.length > 0) out.push(page.map((i) => i.sk));
      return out;
    };
    expect(await pages()).toEqual([['a#1', 'b#1'], ['b#2', 'b#3'], ['c#1']]);
    expect(await pages({ skPrefix: 'b#' })).toEqual([['b#1', 'b#2'], ['b#3']]);
    expect((await pages({ limit: 3 })).flat()).toEqual(['a#1', 'b#1', 'b#2']);
    expect((await table.query(p)).map((i) => i.sk)).toEqual(['a#1', 'b#1', 'b#2', 'b#3', 'c#1']);
    const empty: Item[][] = [];
    for await (const page of table.queryPages(pk('none'))) empty.push(page);
    expect(empty.flat()).toEqual([]);
  });

  it('batch-puts, batch-gets and batch-deletes more items than one request holds', async () => {
    const table = makeTable();
    const p = pk('f');
    const items = Array.from({ length: 130 }, (_, i) => ({ pk: p, sk: String(i).padStart(3, '0'), i }));
    await table.batchPut(items);
    const got = await table.batchGet([...items.map((i) => ({ pk: i.pk, sk: i.sk })), { pk: p, sk: 'missing' }]);
    expect(got).toHaveLength(130);
    expect(new Set(got.map((i) => i.i))).toEqual(new Set(items.map((i) => i.i)));
    expect((await table.query(p)).length).toBe(130);
    await table.batchDelete(items.slice(0, 100));
    expect((await table.query(p)).length).toBe(30);
  });

  it('counts requests and capacity units', async () => {
    const table = makeTable();
    const key = { pk: pk('g'), sk: 'x' };
    await table.put({ ...key, blob: 'x'.repeat(3000) });
    await table.get(key);
    expect(table.counters.writeRequests).toBe(1);
    expect(table.counters.writeUnits).toBe(3);
    expect(table.counters.readRequests).toBe(1);
    expect(table.counters.readUnits).toBe(0.5);
  });
});
