import type { EdgeMetric, MetricStats } from '../detect';
import { addTraffic, emptyTraffic, type HourlyEdge, type HourlyEdgeStore, type Traffic } from '../network';
import type { Item, Table } from '../store';
import { keys, valueKey } from '../store';
import { DAY_MS, dayOf, epochSeconds } from '../util';

/** The baseline kind of per-edge hourly statistics: `BL#<scope>#edge-hourly`. */
export const EDGE_STATS_KIND = 'edge-hourly';

export const EDGE_METRICS: readonly EdgeMetric[] = ['bytesOut', 'bytesIn', 'flows', 'rejected'];

/** A metric's value in some traffic: the statistics name the bytes after the client, `bytesOut` sent and `bytesIn` received. */
export function edgeMetric(traffic: Traffic, metric: EdgeMetric): number {
  switch (metric) {
    case 'bytesOut':
      return traffic.bytesToServer;
    case 'bytesIn':
      return traffic.bytesToClient;
    case 'flows':
      return traffic.flows;
    case 'rejected':
      return traffic.rejected;
  }
}

/** What the spike detectors compare an hour against: robust statistics of each metric over the edge's active hours. */
export interface EdgeStats {
  scope: string;
  key: string;
  firstSeen: number;
  lastSeen: number;
  metrics: Record<EdgeMetric, MetricStats>;
}

/** Hourly values of an edge within the window, by `YYYY-MM-DDTHH`: {@link EDGE_METRICS} in order. */
type HourlyValues = Record<string, [number, number, number, number]>;

function median(sorted: readonly number[]): number {
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median, MAD and maximum of a metric's hourly values; `days` is how many days they span. */
export function metricStats(values: readonly number[], days: number): MetricStats {
  const sorted = [...values].sort((a, b) => a - b);
  const m = median(sorted);
  const deviations = sorted.map((v) => Math.abs(v - m)).sort((a, b) => a - b);
  return { hours: sorted.length, days, median: m, mad: median(deviations), max: sorted.at(-1) ?? 0 };
}

/** Statistics of every metric from an edge's hourly values. */
export function statsOf(hours: HourlyValues): Record<EdgeMetric, MetricStats> {
  const rows = Object.values(hours);
  const days = new Set(Object.keys(hours).map((h) => h.slice(0, 10))).size;
  return Object.fromEntries(
    EDGE_METRICS.map((metric, i) => [
      metric,
      metricStats(
        rows.map((r) => r[i] as number),
        days,
      ),
    ]),
  ) as Record<EdgeMetric, MetricStats>;
}

export interface EdgeStatsFoldReport {
  daysFolded: number;
  /** Hourly edges read (the name is the rebaseline report's). */
  mapItemsRead: number;
  /** Edges whose statistics were rewritten. */
  edgesUpdated: number;
}

export interface EdgeStatsOptions {
  /** Days of hourly values kept per edge. */
  windowDays: number;
}

/**
 * Per-edge hourly statistics, folded from the hourly edges by the rebaseline job. Each edge keeps
 * its hourly values for the window (`EDGEHIST#<scope>#<shard>`, the input) and the statistics the
 * detectors read (`BL#<scope>#edge-hourly`, small, read with one batch per object). Folding a day
 * replaces that day's values, so reruns and late objects never double count. Only edges the spike
 * detectors watch (internal and egress) are kept.
 */
export class EdgeStatsStore {
  constructor(
    private readonly table: Table,
    private readonly options: EdgeStatsOptions,
  ) {}

  /** Statistics of the given edges, by key; edges without statistics are absent. */
  async lookup(scope: string, edgeKeys: readonly string[]): Promise<Map<string, EdgeStats>> {
    const out = new Map<string, EdgeStats>();
    const unique = [...new Set(edgeKeys)];
    if (unique.length === 0) return out;
    for (const item of await this.table.batchGet(unique.map((k) => keys.baseline(scope, EDGE_STATS_KIND, k)))) {
      out.set(String(item.key), {
        scope,
        key: String(item.key),
        firstSeen: Number(item.firstSeen ?? 0),
        lastSeen: Number(item.lastSeen ?? 0),
        metrics: item.metrics as Record<EdgeMetric, MetricStats>,
      });
    }
    return out;
  }

  /**
   * Folds the hourly edges' pending days of every scope into the statistics. The current and previous day
   * stay pending (objects for them may still arrive) and are folded again next time.
   */
  async fold(hourly: HourlyEdgeStore, scopes: readonly string[], now: number): Promise<EdgeStatsFoldReport> {
    const report: EdgeStatsFoldReport = { daysFolded: 0, mapItemsRead: 0, edgesUpdated: 0 };
    const today = dayOf(now);
    const keepPendingFrom = dayOf(now - DAY_MS);
    const windowStart = dayOf(now - this.options.windowDays * DAY_MS);
    for (const scope of scopes) {
      const due = (await hourly.pendingDays(scope)).filter((day) => day <= today);
      for (const day of due) {
        const items = await hourly.day(scope, day);
        report.mapItemsRead += items.length;
        if (day >= windowStart) report.edgesUpdated += await this.foldDay(scope, day, items, windowStart);
        report.daysFolded++;
      }
      const settled = due.filter((day) => day < keepPendingFrom);
      if (due.length > 0) await hourly.markFolded(scope, settled, now);
    }
    return report;
  }

  private async foldDay(
    scope: string,
    day: string,
    items: readonly HourlyEdge[],
    windowStart: string,
  ): Promise<number> {
    const perEdge = new Map<string, Map<string, Traffic>>();
    const first = new Map<string, number>();
    const last = new Map<string, number>();
    for (const item of items) {
      if (item.direction !== 'internal' && item.direction !== 'egress') continue;
      const key = String(item.key);
      const hour = new Date(Number(item.hour)).toISOString().slice(0, 13);
      let hours = perEdge.get(key);
      if (!hours) {
        hours = new Map();
        perEdge.set(key, hours);
      }
      const totals = hours.get(hour) ?? emptyTraffic();
      addTraffic(totals, item);
      hours.set(hour, totals);
      first.set(key, Math.min(first.get(key) ?? Number.POSITIVE_INFINITY, Number(item.firstTime)));
      last.set(key, Math.max(last.get(key) ?? 0, Number(item.lastTime)));
    }
    if (perEdge.size === 0) return 0;
    const histories = new Map<string, Item>();
    for (const item of await this.table.batchGet([...perEdge.keys()].map((k) => keys.edgeHistory(scope, k)))) {
      histories.set(String(item.key), item);
    }
    const writes: Item[] = [];
    for (const [key, hours] of perEdge) {
      const previous = histories.get(key);
      const values: HourlyValues = {};
      for (const [hour, row] of Object.entries((previous?.hours ?? {}) as HourlyValues)) {
        // The day being folded is replaced whole; hours before the window are dropped.
        if (hour.slice(0, 10) !== day && hour.slice(0, 10) >= windowStart) values[hour] = row;
      }
      for (const [hour, t] of hours) {
        values[hour] = EDGE_METRICS.map((metric) => edgeMetric(t, metric)) as HourlyValues[string];
      }
      const firstSeen = Math.min(Number(previous?.firstSeen ?? Number.POSITIVE_INFINITY), first.get(key) ?? 0);
      const lastSeen = Math.max(Number(previous?.lastSeen ?? 0), last.get(key) ?? 0);
      const expiresAt = epochSeconds(lastSeen) + (this.options.windowDays + 7) * 86_400;
      writes.push({ ...keys.edgeHistory(scope, key), key, hours: values, firstSeen, lastSeen, expiresAt });
      writes.push({
        ...keys.baseline(scope, EDGE_STATS_KIND, key),
        key,
        value: valueKey(key),
        firstSeen,
        lastSeen,
        metrics: statsOf(values),
        expiresAt,
      });
    }
    await this.table.batchPut(writes);
    return perEdge.size;
  }
}
