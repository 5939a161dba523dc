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
 * One unit of rebaseline work, small and JSON-serialisable (a Step Functions map passes it): the
 * observations of a scope (all of its shards) or the hourly edges of one shard of a scope,
 * restricted to the values or edges of `part` of `parts` (by {@link partOf}), for each of its
 * pending `days`, folded oldest first. Items never touch the same entries: parts split the values,
 * shards the edges, and every day of a scope's values is in the one item of its part. So the items
 * of a plan run in any order and all at once. (Items of two days of a scope would read and rewrite
 * the same entries and histories, and the last writer would drop the other's day.)
 */
export type WorkItem =
  | { type: 'observations'; scope: string; days: string[]; part: number; parts: number }
  | { type: 'edges'; scope: string; days: string[]; shard: number; part: number; parts: number };

/** One day of an item, as the folds take it. */
export type DayOf<T extends WorkItem> = T extends WorkItem ? Omit<T, 'days'> & { day: string } : never;

/** An item's days, oldest first, each as the folds take it: each day's fold reads what the one before wrote. */
export function itemDays<T extends WorkItem>(item: T): DayOf<T>[] {
  const { days, ...rest } = item;
  return [...days].sort().map((day) => ({ ...rest, day }) as DayOf<T>);
}

/**
 * A run's work: every item (in any order, in parallel or one after another), then the finish,
 * once. `now` is the run's time (event time in a replay, wall clock in Lambda); `run` names it for
 * exactly-once delivery of its findings.
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
 * A scope's parts are those of its largest due day, so every day of a value is in one item. A day
 * without a row counter (written before the counters) counts as one part, as it was one fold.
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
    const edgeDays = edges.days.filter((d) => d <= today).sort();
    if (edgeDays.length > 0) {
      // Edges spread evenly over the shards, and each shard is an item of its own.
      const parts = Math.max(
        ...edgeDays.map((day) => partsFor((edges.rows[day] ?? 0) / OBSERVATION_SHARDS, rowsPerItem)),
      );
      for (let shard = 0; shard < OBSERVATION_SHARDS; shard++) {
        for (let part = 0; part < parts; part++)
          items.push({ type: 'edges', scope, days: edgeDays, shard, part, parts });
      }
    }
    const meta = await stores.baselines.meta(scope);
    const days = meta.pendingDays.filter((d) => d <= today).sort();
    if (days.length > 0) {
      const parts = Math.max(...days.map((day) => partsFor(meta.pendingRows[day], rowsPerItem)));
      for (let part = 0; part < parts; part++) items.push({ type: 'observations', scope, days, part, parts });
    }
  }
  return items;
}
