import { describe, expect, it } from 'vitest';
import { WindowCounter } from '../../shared/baseline/window-counter';
import { MemoryTable } from '../../shared/store/memory-table';

const MINUTE = 60_000;
const W0 = Date.parse('2026-11-10T10:00:00Z');

function count(key: string, n: number, windowStart = W0) {
  return { scope: 'shop-prod', ruleId: 'audit.forbidden-burst', key, windowStart, windowMs: 10 * MINUTE, count: n };
}

describe('WindowCounter', () => {
  it('sums every object’s count of a key over its window and the one before, and a redelivery overwrites', async () => {
    const counter = new WindowCounter(new MemoryTable());
    expect(
      await counter.addAll('object-1', [count('alice', 3, W0 - 10 * MINUTE), count('bob', 1, W0 - 10 * MINUTE)]),
    ).toEqual([3, 1]);
    expect(await counter.addAll('object-2', [count('alice', 4), count('carol', 2)])).toEqual([7, 2]);
    // object-2 delivered again: its counts replace themselves.
    expect(await counter.addAll('object-2', [count('alice', 4), count('carol', 2)])).toEqual([7, 2]);
    // Two windows on, the first no longer counts.
    expect(await counter.addAll('object-3', [count('alice', 1, W0 + 10 * MINUTE)])).toEqual([5]);
  });

  it('reads two partitions per window however many keys an object counts', async () => {
    const table = new MemoryTable();
    const counter = new WindowCounter(table);
    const many = Array.from({ length: 20_000 }, (_, i) => count(`user-${i}`, 1 + (i % 3)));
    await counter.addAll('object-1', many);
    const before = table.counters.readRequests;
    const totals = await counter.addAll('object-2', many);
    expect(table.counters.readRequests - before).toBe(2);
    expect(totals.slice(0, 3)).toEqual([2, 4, 6]);
  });
});
