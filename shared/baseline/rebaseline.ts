import { DAY_MS, dayOf, dayStart } from '../util';
import type { BaselineStore } from './baseline-store';
import type { BaselineEntry } from './types';

export interface RebaselineOptions {
  /** The run's time, epoch ms: wall-clock in Lambda, event time in a CLI replay. */
  now: number;
  /** Entries with no sighting within this many days are pruned. */
  retentionDays: number;
  /** Baseline kinds to prune. */
  kinds: readonly string[];
}

export interface RebaselineReport {
  scopes: number;
  daysFolded: number;
  observationsRead: number;
  entriesWritten: number;
  entriesPruned: number;
}

/**
 * Folds pending observations into baselines and prunes entries past retention. Idempotent: a
 * day's count is recomputed from all of that day's observations and replaces the previous one,
 * so a retry or a late object never double counts. The current and previous day stay pending,
 * because objects for them may still arrive.
 */
export async function rebaseline(store: BaselineStore, options: RebaselineOptions): Promise<RebaselineReport> {
  const report: RebaselineReport = {
    scopes: 0,
    daysFolded: 0,
    observationsRead: 0,
    entriesWritten: 0,
    entriesPruned: 0,
  };
  const today = dayOf(options.now);
  const keepPendingFrom = dayOf(options.now - DAY_MS);
  const retentionStart = dayOf(options.now - options.retentionDays * DAY_MS);
  for (const scope of await store.scopes()) {
    report.scopes++;
    const meta = await store.meta(scope);
    const due = meta.pendingDays.filter((day) => day <= today);
    for (const day of due) {
      const items = await store.observationsOfDay(scope, day);
      report.observationsRead += items.length;
      const perKind = new Map<string, Map<string, { count: number; first: number; last: number }>>();
      for (const item of items) {
        const kind = String(item.kind);
        const value = String(item.value);
        let values = perKind.get(kind);
        if (!values) {
          values = new Map();
          perKind.set(kind, values);
        }
        const agg = values.get(value);
        const count = Number(item.count);
        const first = Number(item.firstTime);
        const last = Number(item.lastTime);
        if (!agg) values.set(value, { count, first, last });
        else {
          agg.count += count;
          agg.first = Math.min(agg.first, first);
          agg.last = Math.max(agg.last, last);
        }
      }
      for (const [kind, values] of perKind) {
        const existing = await store.lookup(scope, kind, [...values.keys()]);
        const merged: BaselineEntry[] = [];
        for (const [value, agg] of values) {
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
          merged.push(withTotals(entry, retentionStart));
        }
        await store.putEntries(merged, options.retentionDays);
        report.entriesWritten += merged.length;
      }
      report.daysFolded++;
    }
    const settled = due.filter((day) => day < keepPendingFrom);
    if (settled.length > 0 || due.length > 0) await store.markFolded(scope, settled, options.now);
    for (const kind of options.kinds) {
      const expired: BaselineEntry[] = [];
      for (const entry of await store.entries(scope, kind)) {
        if (entry.lastSeen < dayStart(retentionStart)) expired.push(entry);
      }
      if (expired.length > 0) {
        await store.deleteEntries(expired);
        report.entriesPruned += expired.length;
      }
    }
  }
  return report;
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
