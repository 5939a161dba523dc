import type { Table } from '../store';
import { keys } from '../store';
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
 * writes its own count for a window (keyed by the object, so a redelivered object overwrites
 * instead of double counting), and the total is read back from the window's partition. Windows
 * are fixed; the total covers the window and the one before it, so a burst that straddles a
 * boundary still adds up (the effective window is between one and two window lengths).
 */
export class WindowCounter {
  constructor(private readonly table: Table) {}

  /**
   * Records one object's counts, in batches, and returns each one's total over its window and the
   * previous one, in the same order.
   */
  async addAll(objectId: string, counts: readonly WindowCount[]): Promise<number[]> {
    await this.table.batchPut(
      counts.map((c) => ({
        pk: keys.windowCount(c.scope, c.ruleId, c.key, c.windowStart),
        sk: objectId,
        count: c.count,
        expiresAt: epochSeconds(c.windowStart + 2 * c.windowMs) + 86_400,
      })),
    );
    const totals: number[] = [];
    for (const c of counts) {
      let total = 0;
      for (const start of [c.windowStart - c.windowMs, c.windowStart]) {
        for (const item of await this.table.query(keys.windowCount(c.scope, c.ruleId, c.key, start))) {
          total += Number(item.count ?? 0);
        }
      }
      totals.push(total);
    }
    return totals;
  }
}
