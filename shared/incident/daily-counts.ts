import type { Item, Table } from '../store';
import { keys } from '../store';
import { DAY_MS, dayStart, epochSeconds } from '../util';

/** How long a day's counters are kept: the digest reads yesterday's; a month of them stays for a look back. */
const KEEP_DAYS = 35;

/** Attribute prefixes of the per-rule and per-suppression counters: rule and suppression ids are free text. */
const BELOW = 'below#';
const MUTED = 'muted#';

/** What one object (or one day) adds to the digest's counters. Absent counts add nothing. */
export interface DayCounts {
  /** Objects processed. */
  objects?: number;
  /** Objects (or records) refused by the input limits. */
  rejected?: number;
  /** Findings below `alerts.minSeverity`, by rule id. */
  below?: Record<string, number>;
  /** Findings a suppression muted, by suppression id. */
  muted?: Record<string, number>;
}

/** A day's counters for one cluster, every field present. */
export type DayTotals = Required<DayCounts>;

/**
 * The counters the daily digest reports and nothing else keeps: one item per UTC day and cluster
 * (`DAILY#<day>` / cluster), each counter an atomic ADD. Two processors adding at once are both
 * counted, with no read before the write. They are for people reading a digest, not for decisions:
 * an object retried after its counts went in is counted twice, so the caller adds them once the
 * object is done.
 */
export class DailyCounts {
  constructor(private readonly table: Table) {}

  /** Adds to the counters of `day` (YYYY-MM-DD, UTC) and `cluster`. */
  async add(day: string, cluster: string, counts: DayCounts): Promise<void> {
    const add: Record<string, number> = {};
    const put = (name: string, n: number | undefined) => {
      if (n !== undefined && n !== 0) add[name] = n;
    };
    put('objects', counts.objects);
    put('rejected', counts.rejected);
    for (const [ruleId, n] of Object.entries(counts.below ?? {})) put(`${BELOW}${ruleId}`, n);
    for (const [suppressionId, n] of Object.entries(counts.muted ?? {})) put(`${MUTED}${suppressionId}`, n);
    if (Object.keys(add).length === 0) return;
    await this.table.update(keys.dailyCounts(day, cluster), {
      add,
      // Kept from the day it counts, not from when it was written: a late object does not extend it.
      setIfAbsent: { expiresAt: epochSeconds(dayStart(day) + KEEP_DAYS * DAY_MS) },
    });
  }

  /** The counters of one day and cluster; zeros when nothing was counted. */
  async read(day: string, cluster: string): Promise<DayTotals> {
    return totalsOf(await this.table.get(keys.dailyCounts(day, cluster)));
  }

  /** Every cluster's counters of one day. */
  async readDay(day: string): Promise<Map<string, DayTotals>> {
    const items = await this.table.query(keys.dailyCountsPartition(day));
    return new Map(items.map((item) => [item.sk, totalsOf(item)]));
  }
}

function totalsOf(item: Item | undefined): DayTotals {
  const totals: DayTotals = { objects: 0, rejected: 0, below: {}, muted: {} };
  for (const [name, value] of Object.entries(item ?? {})) {
    if (typeof value !== 'number') continue;
    if (name === 'objects' || name === 'rejected') totals[name] = value;
    else if (name.startsWith(BELOW)) totals.below[name.slice(BELOW.length)] = value;
    else if (name.startsWith(MUTED)) totals.muted[name.slice(MUTED.length)] = value;
  }
  return totals;
}
