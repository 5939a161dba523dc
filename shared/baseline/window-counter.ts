import type { Table } from '../store';
import { keys, packedItems, packedRowsIn } from '../store';
import { epochSeconds } from '../util';

export interface WindowCount {
  scope: string;
  /** The detector counting. */
  ruleId: string;
  /** What is counted (an identity, an address). */
  key: string;
  /** Start of the fixed window, epoch ms. */
  windowStart: number;
  windowMs: number;
  /** This object's events in the window. */
  count: number;
}

/**
 * Counts events towards a threshold across objects, on the shared {@link Table}. Each object
 * writes its counts for a detector's window as packed rows of (key, count), keyed by the object
 * (`COUNT#<scope>#<ruleId>#<window>` / `<objectId>#<n>`), so a redelivered object overwrites
 * instead of double counting; totals are read back with one query per window, whatever the number
 * of keys (an object of 100,000 identities reads two partitions, not 200,000). Windows are fixed;
 * the total covers the window and the one before it, so a burst that straddles a boundary still
 * adds up (the effective window is between one and two window lengths).
 */
export class WindowCounter {
  constructor(private readonly table: Table) {}

  /**
   * Records one object's counts, in batches, and returns each one's total over its window and the
   * previous one, in the same order.
   */
  async addAll(objectId: string, counts: readonly WindowCount[]): Promise<number[]> {
    const groups = new Map<string, { pk: string; rows: [string, number][]; expiresAt: number }>();
    for (const c of counts) {
      const pk = keys.windowCounts(c.scope, c.ruleId, c.windowStart);
      let group = groups.get(pk);
      if (!group) {
        group = { pk, rows: [], expiresAt: epochSeconds(c.windowStart + 2 * c.windowMs) + 86_400 };
        groups.set(pk, group);
      }
      group.rows.push([c.key, c.count]);
    }
    const items = [...groups.values()].flatMap((g) => packedItems(g.pk, `${objectId}#`, g.rows, g.expiresAt));
    await this.table.batchPut(items);
    const windows = new Map<string, Map<string, number>>();
    const totals: number[] = [];
    for (const c of counts) {
      let total = 0;
      for (const start of [c.windowStart - c.windowMs, c.windowStart]) {
        total += (await this.window(keys.windowCounts(c.scope, c.ruleId, start), windows)).get(c.key) ?? 0;
      }
      totals.push(total);
    }
    return totals;
  }

  /** Every object's counts in one window, summed by key: one query, kept for the rest of the call. */
  private async window(pk: string, windows: Map<string, Map<string, number>>): Promise<Map<string, number>> {
    let sums = windows.get(pk);
    if (sums) return sums;
    sums = new Map();
    for (const [key, count] of await packedRowsIn(this.table, pk)) {
      sums.set(String(key), (sums.get(String(key)) ?? 0) + Number(count));
    }
    windows.set(pk, sums);
    return sums;
  }
}
