import type { HourlyEdgeStore } from '../network';
import { OBSERVATION_SHARDS } from '../store';
import { dayOf, shardOf } from '../util';
import type { BaselineStore } from './baseline-store';

/**
 * Rows an item folds at most (by the writers' row counters). An item holds one value's aggregate
 * per distinct value of its part (about 150 bytes each, fewer values than rows) and the entries of
 * one chunk of 100 being merged; 100,000 rows keep that in tens of megabytes, far under a 1 GB
 * Lambda, and fold in well under a minute at the scenario's rates (a query page of packed rows and
 * a batch read and write per 100 values). It is a first estimate, to be tuned with
 * bench/rebaseline-items.ts at larger scales; a smaller value only adds items (each rereads the
 * shards of its day and keeps its part).
 */
export const ROWS_PER_ITEM = 100_000;

/**
 * One unit of rebaseline work, small and JSON-serialisable (a Step Functions map passes it):
 * the observations of a scope's day (all of its shards) or the hourly edges of one shard of a
 * scope's day, restricted to the values or edges of `part` of `parts` (by {@link partOf}).
 */
export type WorkItem =
  | { type: 'observations'; scope: string; day: string; part: number; parts: number }
  | { type: 'edges'; scope: string; day: string; shard: number; part: number; parts: number };

/**
 * A run's work: every item, folded in any order and in parallel, then finished once. `now` is the
 * run's time (event time in a replay, wall clock in Lambda); `run` names it for exactly-once
 * delivery of its findings.
 */
export interface RebaselinePlan {
  run: string;
  now: number;
  items: WorkItem[];
  /** Every scope, each finished (its settled days marked folded, its entries pruned). */
  scopes: string[];
}

/** What one item did, for the run's report and the cost model. */
export interface ItemReport {
  item: WorkItem;
  /** Rows of the item's part, of objects that are done (over all parts: the day's rows). */
  rowsRead: number;
  entriesWritten: number;
  edgesUpdated: number;
  readUnits: number;
  writeUnits: number;
  durationMs: number;
}

/**
 * Which part of `parts` a value or edge belongs to. Salted, so that it does not follow the shard
 * (the same hash modulo 8 would put the edges of a shard in half of 2 parts).
 */
export function partOf(key: string, parts: number): number {
  return parts <= 1 ? 0 : shardOf(`part\u0000${key}`, parts);
}

/** Parts for `rows` rows: at least one, at most {@link ROWS_PER_ITEM} rows each. */
function partsFor(rows: number | undefined, rowsPerItem: number): number {
  return Math.max(1, Math.ceil((rows ?? 0) / rowsPerItem));
}

/**
 * The items of every scope's due days (up to `now`'s day; a later day is the future in a replay).
 * A day without a row counter (written before the counters) is one part, as it was one fold.
 */
export async function planItems(
  stores: { baselines: BaselineStore; hourly: HourlyEdgeStore },
  scopes: readonly string[],
  now: number,
  rowsPerItem = ROWS_PER_ITEM,
): Promise<WorkItem[]> {
  const today = dayOf(now);
  const items: WorkItem[] = [];
  for (const scope of scopes) {
    const edges = await stores.hourly.pending(scope);
    for (const day of edges.days.filter((d) => d <= today)) {
      // Edges spread evenly over the shards, and each shard is an item of its own.
      const parts = partsFor((edges.rows[day] ?? 0) / OBSERVATION_SHARDS, rowsPerItem);
      for (let shard = 0; shard < OBSERVATION_SHARDS; shard++) {
        for (let part = 0; part < parts; part++) items.push({ type: 'edges', scope, day, shard, part, parts });
      }
    }
    const meta = await stores.baselines.meta(scope);
    for (const day of meta.pendingDays.filter((d) => d <= today)) {
      const parts = partsFor(meta.pendingRows[day], rowsPerItem);
      for (let part = 0; part < parts; part++) items.push({ type: 'observations', scope, day, part, parts });
    }
  }
  return items;
}
