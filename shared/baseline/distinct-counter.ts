import type { Table } from '../store';
import { keys, packedItems, packedRowsIn } from '../store';
import { epochSeconds } from '../util';

export interface DistinctSet {
  scope: string;
  /** The detector counting. */
  ruleId: string;
  /** What the values are counted under (a source and a host). */
  key: string;
  /** Start of the fixed window, epoch ms. */
  windowStart: number;
  windowMs: number;
  /** This object's distinct values in the window. */
  values: readonly string[];
}

/**
 * Counts distinct values towards a threshold across objects, like {@link WindowCounter} counts
 * events: each object writes its values for a detector's window as packed rows of (key, value),
 * keyed by the object (`DISTINCT#<scope>#<ruleId>#<window>` / `<objectId>#<n>`), so a redelivered
 * object overwrites; the union over this window and the previous one is read back with one query
 * per window, whatever the number of keys (an object of 50,000 identities reading secrets reads
 * two partitions, not 100,000). Each object keeps at most `cap` values a key, enough to decide.
 */
export class DistinctCounter {
  constructor(private readonly table: Table) {}

  /**
   * Records one object's values and returns, for each set in order, the distinct values stored
   * over its window and the previous one.
   */
  async addAll(objectId: string, sets: readonly DistinctSet[], cap: number): Promise<string[][]> {
    const groups = new Map<string, { pk: string; rows: [string, string][]; expiresAt: number }>();
    for (const set of sets) {
      const pk = keys.distinctValues(set.scope, set.ruleId, set.windowStart);
      let group = groups.get(pk);
      if (!group) {
        group = { pk, rows: [], expiresAt: epochSeconds(set.windowStart + 2 * set.windowMs) + 86_400 };
        groups.set(pk, group);
      }
      for (const value of set.values.slice(0, cap)) group.rows.push([set.key, value]);
    }
    const items = [...groups.values()].flatMap((g) => packedItems(g.pk, `${objectId}#`, g.rows, g.expiresAt));
    await this.table.batchPut(items);
    const windows = new Map<string, Map<string, Set<string>>>();
    const unions: string[][] = [];
    for (const set of sets) {
      const union = new Set<string>();
      for (const start of [set.windowStart - set.windowMs, set.windowStart]) {
        const window = await this.window(keys.distinctValues(set.scope, set.ruleId, start), windows);
        for (const value of window.get(set.key) ?? []) union.add(value);
      }
      unions.push([...union]);
    }
    return unions;
  }

  /** Every object's values in one window, by key: one query, kept for the rest of the call. */
  private async window(pk: string, windows: Map<string, Map<string, Set<string>>>): Promise<Map<string, Set<string>>> {
    let byKey = windows.get(pk);
    if (byKey) return byKey;
    byKey = new Map();
    for (const [key, value] of await packedRowsIn(this.table, pk)) {
      let values = byKey.get(String(key));
      if (!values) {
        values = new Set();
        byKey.set(String(key), values);
      }
      values.add(String(value));
    }
    windows.set(pk, byKey);
    return byKey;
  }
}
