import { chunksOf, DAY_MS, dayOf, dayStart, mapLimit } from '../util';
import type { BaselineStore } from './baseline-store';
import { type DayOf, partOf, type WorkItem } from './rebaseline-plan';
import type { BaselineEntry } from './types';

/** Values looked up and written per request (a BatchGetItem holds 100 keys). */
export const FOLD_CHUNK = 100;
/**
 * Requests an item keeps in flight: enough to hide the round trips, few enough that an item
 * throttled by the table backs off instead of flooding it (the table retries what it is refused).
 */
export const FOLD_CONCURRENCY = 4;

export interface RebaselineReport {
  scopes: number;
  daysFolded: number;
  observationsRead: number;
  entriesWritten: number;
  entriesPruned: number;
}

export interface FoldOptions {
  /** The run's time, epoch ms: wall-clock in Lambda, event time in a CLI replay. */
  now: number;
  /** Entries with no sighting within this many days are pruned. */
  retentionDays: number;
}

type ObservationsItem = DayOf<Extract<WorkItem, { type: 'observations' }>>;

/**
 * Folds one day of an observations item: the values of its part seen on its scope-day, streamed page by
 * page from every shard, aggregated per value, merged into their entries 100 at a time.
 * Idempotent: the day's count is recomputed from all of that day's observations and replaces the
 * previous one, so a retry, a rerun or a late object never double counts. Each written entry is
 * listed in the prune's index under the day folded (an entry's last sighting is on a day it was
 * folded from, so the index of that day names it when the day leaves the window).
 */
export async function foldObservations(
  store: BaselineStore,
  item: ObservationsItem,
  options: FoldOptions,
): Promise<{ rowsRead: number; entriesWritten: number }> {
  const { scope, day } = item;
  const retentionStart = dayOf(options.now - options.retentionDays * DAY_MS);
  const perKind = new Map<string, Map<string, { count: number; first: number; last: number }>>();
  let rowsRead = 0;
  for await (const page of store.observationPages(scope, day)) {
    for (const o of page) {
      if (partOf(`${o.kind}\u0000${o.value}`, item.parts) !== item.part) continue;
      rowsRead++;
      let values = perKind.get(o.kind);
      if (!values) {
        values = new Map();
        perKind.set(o.kind, values);
      }
      const agg = values.get(o.value);
      if (!agg) values.set(o.value, { count: o.count, first: o.firstTime, last: o.lastTime });
      else {
        agg.count += o.count;
        agg.first = Math.min(agg.first, o.firstTime);
        agg.last = Math.max(agg.last, o.lastTime);
      }
    }
  }
  let entriesWritten = 0;
  for (const [kind, values] of perKind) {
    const folded: string[] = [];
    await mapLimit(chunksOf([...values], FOLD_CHUNK), FOLD_CONCURRENCY, async (chunk) => {
      const existing = await store.lookup(
        scope,
        kind,
        chunk.map(([value]) => value),
      );
      const merged = chunk.map(([value, agg]) => {
        const entry = existing.get(value) ?? {
          scope,
          kind,
          value,
          firstSeen: agg.first,
          lastSeen: agg.last,
          dayCounts: {},
          count: 0,
          days: 0,
        };
        entry.dayCounts[day] = agg.count;
        entry.firstSeen = Math.min(entry.firstSeen, agg.first);
        entry.lastSeen = Math.max(entry.lastSeen, agg.last);
        return withTotals(entry, retentionStart);
      });
      await store.putEntries(merged, options.retentionDays);
      for (const entry of merged) folded.push(entry.value);
      entriesWritten += merged.length;
    });
    // Listed under the day folded, whatever the entry's last sighting: an entry is last seen on a
    // day it was observed, so when that day leaves the window its index names it. The list does
    // not depend on the order days are folded in, so a repeated item writes the same bytes.
    // Sorted: chunks finish in any order.
    await store.putDayIndex(
      { scope, kind, lastSeenDay: day, foldDay: day, part: `${item.part}-${item.parts}` },
      folded.sort(),
      options.retentionDays,
    );
  }
  return { rowsRead, entriesWritten };
}

export interface FinishOptions extends FoldOptions {
  /** Baseline kinds to prune. */
  kinds: readonly string[];
}

/**
 * Finishes a scope's observations after its items: marks the settled days folded (the current and
 * previous day stay pending, because objects for them may still arrive) and prunes entries past
 * retention. The prune reads the index of the days that left the retention window since its
 * cursor (and of the days folded now: a late day may have written entries already expired), so it
 * reads what may expire, not every entry. A scope without a cursor (entries written before the
 * index) is scanned whole once, like before, and its kept entries indexed.
 */
export async function finishObservations(
  store: BaselineStore,
  scope: string,
  folded: readonly string[],
  options: FinishOptions,
): Promise<{ entriesPruned: number }> {
  const meta = await store.meta(scope);
  const keepPendingFrom = dayOf(options.now - DAY_MS);
  const retentionStart = dayOf(options.now - options.retentionDays * DAY_MS);
  const expiredBefore = dayStart(retentionStart);
  const lastExpiredDay = dayOf(expiredBefore - DAY_MS);
  const kinds = new Set(options.kinds);
  let entriesPruned = 0;
  const prune = async (kind: string, entries: readonly BaselineEntry[]) => {
    const expired = entries.filter((entry) => entry.lastSeen < expiredBefore);
    if (expired.length > 0) await store.deleteEntries(expired);
    entriesPruned += expired.length;
    return entries.filter((entry) => entry.lastSeen >= expiredBefore && kinds.has(kind));
  };
  let cursor = meta.prunedThrough;
  if (cursor === undefined) {
    for (const kind of options.kinds) {
      const kept = await prune(kind, await store.entries(scope, kind));
      // Entries this run folded are indexed already; the others get their index now, once.
      const byDay = new Map<string, string[]>();
      for (const entry of kept) {
        const day = dayOf(entry.lastSeen);
        if (folded.includes(day)) continue;
        byDay.set(day, [...(byDay.get(day) ?? []), entry.value]);
      }
      for (const [day, values] of byDay) {
        await store.putDayIndex(
          { scope, kind, lastSeenDay: day, foldDay: 'scan', part: '0-1' },
          values,
          options.retentionDays,
        );
      }
    }
    cursor = lastExpiredDay;
  } else {
    const from = [nextDay(cursor), ...folded].sort()[0] as string;
    for (let day = from; day <= lastExpiredDay; day = nextDay(day)) {
      for (const [kind, values] of await store.dayIndex(scope, day)) {
        if (!kinds.has(kind)) continue;
        await mapLimit(chunksOf([...values], FOLD_CHUNK), FOLD_CONCURRENCY, async (chunk) =>
          prune(kind, await store.storedEntries(scope, kind, chunk)),
        );
      }
    }
    if (lastExpiredDay > cursor) cursor = lastExpiredDay;
  }
  await store.finishScope(scope, {
    settled: folded.filter((day) => day < keepPendingFrom),
    ...(folded.length > 0 ? { time: options.now } : {}),
    ...(cursor !== meta.prunedThrough ? { prunedThrough: cursor } : {}),
  });
  return { entriesPruned };
}

function nextDay(day: string): string {
  return dayOf(dayStart(day) + DAY_MS);
}

/** Drops day counts older than retention and recomputes the totals. */
function withTotals(entry: BaselineEntry, retentionStart: string): BaselineEntry {
  const dayCounts: Record<string, number> = {};
  for (const [day, n] of Object.entries(entry.dayCounts)) if (day >= retentionStart) dayCounts[day] = n;
  const counts = Object.values(dayCounts);
  return {
    ...entry,
    dayCounts,
    count: counts.reduce((a, b) => a + b, 0),
    days: counts.length,
  };
}
