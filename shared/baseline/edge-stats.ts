import type { EdgeMetric, MetricStats } from '../detect';
import { addTraffic, emptyTraffic, type HourlyEdgeStore, type Traffic } from '../network';
import type { Item, Table } from '../store';
import { keys, valueKey } from '../store';
import { chunksOf, DAY_MS, dayOf, epochSeconds, mapLimit } from '../util';
import { FOLD_CHUNK, FOLD_CONCURRENCY } from './rebaseline';
import { type DayOf, partOf, type WorkItem } from './rebaseline-plan';

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

type EdgesItem = DayOf<Extract<WorkItem, { type: 'edges' }>>;

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
   * Folds one day of an edges item: the edges of its part in one shard of a scope's day, streamed page by
   * page, into their histories and statistics, 100 edges at a time. Folding a day replaces that
   * day's values, so a retry or a rerun leaves the same table. A day before the window is read
   * (its rows are counted) but changes nothing.
   */
  async foldItem(
    hourly: HourlyEdgeStore,
    item: EdgesItem,
    now: number,
  ): Promise<{ rowsRead: number; edgesUpdated: number }> {
    const { scope, day } = item;
    const windowStart = dayOf(now - this.options.windowDays * DAY_MS);
    const perEdge = new Map<string, { hours: Map<string, Traffic>; first: number; last: number }>();
    let rowsRead = 0;
    for await (const page of hourly.shardPages(scope, day, item.shard)) {
      for (const edge of page) {
        if (partOf(String(edge.key), item.parts) !== item.part) continue;
        rowsRead++;
        if (day < windowStart || (edge.direction !== 'internal' && edge.direction !== 'egress')) continue;
        const key = String(edge.key);
        const hour = new Date(Number(edge.hour)).toISOString().slice(0, 13);
        let agg = perEdge.get(key);
        if (!agg) {
          agg = { hours: new Map(), first: Number.POSITIVE_INFINITY, last: 0 };
          perEdge.set(key, agg);
        }
        const totals = agg.hours.get(hour) ?? emptyTraffic();
        addTraffic(totals, edge);
        agg.hours.set(hour, totals);
        agg.first = Math.min(agg.first, Number(edge.firstTime));
        agg.last = Math.max(agg.last, Number(edge.lastTime));
      }
    }
    await mapLimit(chunksOf([...perEdge], FOLD_CHUNK), FOLD_CONCURRENCY, async (chunk) => {
      const histories = new Map<string, Item>();
      for (const history of await this.table.batchGet(chunk.map(([k]) => keys.edgeHistory(scope, k)))) {
        histories.set(String(history.key), history);
      }
      await this.table.batchPut(
        chunk.flatMap(([key, agg]) => this.merged(scope, day, key, agg, histories.get(key), windowStart)),
      );
    });
    return { rowsRead, edgesUpdated: perEdge.size };
  }

  /** An edge's history and statistics with `day` replaced by the folded hours. */
  private merged(
    scope: string,
    day: string,
    key: string,
    agg: { hours: Map<string, Traffic>; first: number; last: number },
    previous: Item | undefined,
    windowStart: string,
  ): Item[] {
    const values: HourlyValues = {};
    for (const [hour, row] of Object.entries((previous?.hours ?? {}) as HourlyValues)) {
      // The day being folded is replaced whole; hours before the window are dropped.
      if (hour.slice(0, 10) !== day && hour.slice(0, 10) >= windowStart) values[hour] = row;
    }
    for (const [hour, t] of agg.hours) {
      values[hour] = EDGE_METRICS.map((metric) => edgeMetric(t, metric)) as HourlyValues[string];
    }
    const firstSeen = Math.min(Number(previous?.firstSeen ?? Number.POSITIVE_INFINITY), agg.first);
    const lastSeen = Math.max(Number(previous?.lastSeen ?? 0), agg.last);
    const expiresAt = epochSeconds(lastSeen) + (this.options.windowDays + 7) * 86_400;
    return [
      { ...keys.edgeHistory(scope, key), key, hours: values, firstSeen, lastSeen, expiresAt },
      {
        ...keys.baseline(scope, EDGE_STATS_KIND, key),
        key,
        value: valueKey(key),
        firstSeen,
        lastSeen,
        metrics: statsOf(values),
        expiresAt,
      },
    ];
  }
}
