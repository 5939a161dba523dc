import type { Table } from '../store';
import { keys } from '../store';
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
 * events: each object writes its own values for a window (keyed by the object, so a redelivered
 * object overwrites), and the union over this window and the previous one is read back. Each
 * object keeps at most `cap` values, enough to decide.
 */
export class DistinctCounter {
  constructor(private readonly table: Table) {}

  /** Records one object's values and returns the distinct values over this window and the previous one. */
  async add(objectId: string, set: DistinctSet, cap: number): Promise<string[]> {
    const pk = keys.distinctCount(set.scope, set.ruleId, set.key, set.windowStart);
    await this.table.put({
      pk,
      sk: objectId,
      values: set.values.slice(0, cap),
      expiresAt: epochSeconds(set.windowStart + 2 * set.windowMs) + 86_400,
    });
    const union = new Set<string>();
    for (const start of [set.windowStart - set.windowMs, set.windowStart]) {
      for (const item of await this.table.query(keys.distinctCount(set.scope, set.ruleId, set.key, start))) {
        if (Array.isArray(item.values)) for (const v of item.values) union.add(String(v));
      }
    }
    return [...union];
  }
}
