import type { EdgeStatsStore } from '../../shared/baseline';
import type { HourlyEdgeStore } from '../../shared/network';
import { OBSERVATION_SHARDS } from '../../shared/store';
import { DAY_MS, dayOf } from '../../shared/util';

/**
 * Folds the due days of the hourly edges of `scopes` into their statistics, as a rebaseline's edge
 * items and its finish do (one part per shard), for tests of the statistics alone.
 */
export async function foldEdgeStats(
  stats: EdgeStatsStore,
  hourly: HourlyEdgeStore,
  scopes: readonly string[],
  now: number,
): Promise<{ daysFolded: number; mapItemsRead: number; edgesUpdated: number }> {
  const report = { daysFolded: 0, mapItemsRead: 0, edgesUpdated: 0 };
  for (const scope of scopes) {
    const due = (await hourly.pendingDays(scope)).filter((day) => day <= dayOf(now));
    for (const day of due) {
      for (let shard = 0; shard < OBSERVATION_SHARDS; shard++) {
        const folded = await stats.foldItem(hourly, { type: 'edges', scope, day, shard, part: 0, parts: 1 }, now);
        report.mapItemsRead += folded.rowsRead;
        report.edgesUpdated += folded.edgesUpdated;
      }
      report.daysFolded++;
    }
    if (due.length > 0) {
      await hourly.markFolded(
        scope,
        due.filter((day) => day < dayOf(now - DAY_MS)),
        now,
      );
    }
  }
  return report;
}
