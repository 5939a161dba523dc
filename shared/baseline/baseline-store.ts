import type { Item, Table } from '../store';
import {
  keys,
  OBSERVATION_SHARDS,
  ObjectLedger,
  type PackedRow,
  packedItems,
  packRows,
  pendingRowsOf,
  unpackRows,
} from '../store';
import { dayStart, epochSeconds, shardOf } from '../util';
import type { BaselineEntry, Observation } from './types';

/** How long and how many known baseline values a process keeps without reading them again. */
const KNOWN_CACHE_MS = 60 * 60_000;
const KNOWN_CACHE_ENTRIES = 500_000;

export interface ScopeMeta {
  scope: string;
  /** Epoch ms of the first event ever seen for the scope. */
  firstEventTime?: number;
  /** Days with observations not yet folded into the baselines. */
  pendingDays: string[];
  /** Epoch ms of the last rebaseline. */
  lastRebaseline?: number;
  /** Rows written for each pending day (retried objects count again: an overestimate). */
  pendingRows: Record<string, number>;
  /** The last day whose entries the prune has checked (`BLDAY` index), if it ever has. */
  prunedThrough?: string;
}

export interface BaselineStoreOptions {
  table: Table;
  /** Observations older than this are deleted by TTL; rebaselining must run before. @default 21 */
  observationTtlDays?: number;
}

/**
 * Baselines, observations and per-scope learning metadata, on the shared {@link Table}. The same
 * code runs on DynamoDB in the Lambdas and on the embedded store in the CLI.
 */
export class BaselineStore {
  private readonly table: Table;
  private readonly ledger: ObjectLedger;
  private readonly observationTtlDays: number;
  private readonly knownScopes = new Set<string>();
  private readonly firstEventTimes = new Map<string, number>();
  /**
   * Values known to a baseline, as read. A value once learned stays known until pruned after
   * months, so a warm Lambda need not read it again for every object: in steady state nearly
   * every observation is known, and this saves a read per observation per object. Values not
   * found are never cached (they are the anomalies).
   */
  private readonly known = new Map<string, BaselineEntry>();
  private knownSince = Date.now();

  constructor(options: BaselineStoreOptions) {
    this.table = options.table;
    this.ledger = new ObjectLedger(options.table);
    this.observationTtlDays = options.observationTtlDays ?? 21;
  }

  /**
   * Records that a scope had events starting at `time` and returns the scope's first event time
   * (the start of its learning period). Out-of-order objects move the start earlier, never later.
   */
  async noteEvents(scope: string, time: number): Promise<number> {
    if (!this.knownScopes.has(scope)) {
      await this.table.put({ pk: keys.scopes(), sk: scope, scope });
      this.knownScopes.add(scope);
    }
    const cached = this.firstEventTimes.get(scope);
    if (cached !== undefined && cached <= time) return cached;
    await this.table.update(
      keys.scopeMeta(scope),
      { set: { firstEventTime: time, scope } },
      { kind: 'absentOrAbove', attribute: 'firstEventTime', value: time },
    );
    const meta = await this.meta(scope);
    const first = meta.firstEventTime ?? time;
    this.firstEventTimes.set(scope, first);
    return first;
  }

  async meta(scope: string): Promise<ScopeMeta> {
    const item = await this.table.get(keys.scopeMeta(scope));
    return {
      scope,
      firstEventTime: typeof item?.firstEventTime === 'number' ? item.firstEventTime : undefined,
      pendingDays: item?.pendingDays instanceof Set ? [...(item.pendingDays as Set<string>)].sort() : [],
      lastRebaseline: typeof item?.lastRebaseline === 'number' ? item.lastRebaseline : undefined,
      pendingRows: pendingRowsOf(item),
      prunedThrough: typeof item?.prunedThrough === 'string' ? item.prunedThrough : undefined,
    };
  }

  async scopes(): Promise<string[]> {
    return (await this.table.query(keys.scopes())).map((item) => item.sk);
  }

  /**
   * Writes one object's observations, packed: per scope and day, the object's rows go into a
   * few gzipped items keyed by the object (`OBS#<scope>#<day>#<shard>` / `<objectId>#<n>`), so a
   * second delivery overwrites instead of double counting, and the write cost follows the
   * compressed size, not the number of values. Marks the days as pending. Returns the number of
   * observations.
   */
  async writeObservations(
    objectId: string,
    observations: Iterable<Omit<Observation<unknown>, 'sample'>>,
  ): Promise<number> {
    const groups = new Map<string, { scope: string; day: string; rows: PackedRow[]; last: number }>();
    let count = 0;
    for (const o of observations) {
      const id = `${o.scope}\u0000${o.day}`;
      let group = groups.get(id);
      if (!group) {
        group = { scope: o.scope, day: o.day, rows: [], last: 0 };
        groups.set(id, group);
      }
      group.rows.push([o.kind, o.value, o.count, o.firstTime, o.lastTime]);
      group.last = Math.max(group.last, o.lastTime);
      count++;
    }
    const items: Item[] = [];
    const pending = new Map<string, Map<string, number>>();
    for (const group of groups.values()) {
      const shard = shardOf(objectId, OBSERVATION_SHARDS);
      items.push(
        ...packedItems(
          keys.observationPartition(group.scope, group.day, shard),
          `${objectId}#`,
          group.rows,
          epochSeconds(group.last) + this.observationTtlDays * 86_400,
        ),
      );
      const days = pending.get(group.scope) ?? new Map<string, number>();
      days.set(group.day, (days.get(group.day) ?? 0) + group.rows.length);
      pending.set(group.scope, days);
    }
    await this.table.batchPut(items);
    for (const [scope, days] of pending) {
      await this.table.update(keys.scopeMeta(scope), {
        addToSet: { pendingDays: [...days.keys()] },
        add: Object.fromEntries([...days].map(([day, rows]) => [keys.pendingRows(day), rows])),
        setIfAbsent: { scope },
      });
    }
    return count;
  }

  /** The baseline entries of `values`, by value. Values the baseline has not seen are absent. */
  async lookup(scope: string, kind: string, values: readonly string[]): Promise<Map<string, BaselineEntry>> {
    const now = Date.now();
    if (now - this.knownSince > KNOWN_CACHE_MS || this.known.size > KNOWN_CACHE_ENTRIES) {
      this.known.clear();
      this.knownSince = now;
    }
    const found = new Map<string, BaselineEntry>();
    const missing: string[] = [];
    for (const value of values) {
      const cached = this.known.get(`${scope}\u0000${kind}\u0000${value}`);
      if (cached) found.set(value, cached);
      else missing.push(value);
    }
    if (missing.length === 0) return found;
    const items = await this.table.batchGet(missing.map((v) => keys.baseline(scope, kind, v)));
    for (const item of items) {
      const entry = toEntry(scope, kind, item);
      found.set(entry.value, entry);
      this.known.set(`${scope}\u0000${kind}\u0000${entry.value}`, entry);
    }
    return found;
  }

  /** Up to `limit` known values of a baseline, most-seen first, for alert context. */
  async sample(scope: string, kind: string, limit = 8): Promise<BaselineEntry[]> {
    const items = await this.table.query(keys.baselinePartition(scope, kind), { limit: 200 });
    return items
      .map((item) => toEntry(scope, kind, item))
      .sort((a, b) => b.days - a.days || b.count - a.count)
      .slice(0, limit);
  }

  /**
   * The observations of a scope's day, from all shards, unpacked, a query page at a time: only
   * those of objects that are done. An attempt that failed part-way has written its observations,
   * and a rebaseline between it and its retry must not learn them (the retry would then find
   * nothing new to report), nor should an object that never completes teach the baseline at all.
   */
  async *observationPages(scope: string, day: string): AsyncIterable<StoredObservation[]> {
    const partitions = Array.from({ length: OBSERVATION_SHARDS }, (_, shard) =>
      keys.observationPartition(scope, day, shard),
    );
    for await (const rows of this.ledger.rowsOfDonePages(partitions, 0)) {
      yield rows.map(([kind, value, count, firstTime, lastTime]) => ({
        kind: String(kind),
        value: String(value),
        count: Number(count),
        firstTime: Number(firstTime),
        lastTime: Number(lastTime),
      }));
    }
  }

  async entries(scope: string, kind: string): Promise<BaselineEntry[]> {
    return (await this.table.query(keys.baselinePartition(scope, kind))).map((item) => toEntry(scope, kind, item));
  }

  async putEntries(entries: readonly BaselineEntry[], retentionDays: number): Promise<void> {
    await this.table.batchPut(
      entries.map((e) => ({
        ...keys.baseline(e.scope, e.kind, e.value),
        value: e.value,
        firstSeen: e.firstSeen,
        lastSeen: e.lastSeen,
        dayCounts: e.dayCounts,
        count: e.count,
        days: e.days,
        expiresAt: epochSeconds(e.lastSeen) + retentionDays * 86_400,
      })),
    );
  }

  async deleteEntries(entries: readonly BaselineEntry[]): Promise<void> {
    await this.table.batchDelete(entries.map((e) => keys.baseline(e.scope, e.kind, e.value)));
  }

  /**
   * Writes the prune's index: `values` of `kind` that may have been last seen on `lastSeenDay`,
   * written by the fold of `foldDay` (the same day; `part` of the fold) or by the one-time scan
   * (`scan`). Kept for the retention and a week (the prune reads it once the day leaves the
   * retention window). A rerun of the fold overwrites its own items.
   */
  async putDayIndex(
    index: { scope: string; kind: string; lastSeenDay: string; foldDay: string; part: string },
    values: readonly string[],
    retentionDays: number,
  ): Promise<void> {
    const expiresAt = epochSeconds(dayStart(index.lastSeenDay)) + (retentionDays + 7) * 86_400;
    await this.table.batchPut(
      packRows(values.map((v) => [v])).map((packed, n) => ({
        pk: keys.baselineDayIndex(index.scope, index.lastSeenDay),
        sk: `${index.kind}#${index.foldDay}#${index.part}#${n}`,
        packed,
        expiresAt,
      })),
    );
  }

  /** The values the index lists as last seen on `day`, by kind. */
  async dayIndex(scope: string, day: string): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    for await (const page of this.table.queryPages(keys.baselineDayIndex(scope, day))) {
      for (const item of page) {
        const kind = item.sk.slice(0, item.sk.indexOf('#'));
        let values = out.get(kind);
        if (!values) {
          values = new Set();
          out.set(kind, values);
        }
        for (const [value] of unpackRows(item.packed)) values.add(String(value));
      }
    }
    return out;
  }

  /** The stored entries of `values` (no cache: the prune must see what the table holds). */
  async storedEntries(scope: string, kind: string, values: readonly string[]): Promise<BaselineEntry[]> {
    const items = await this.table.batchGet(values.map((v) => keys.baseline(scope, kind, v)));
    return items.map((item) => toEntry(scope, kind, item));
  }

  /**
   * One update of the scope's meta at the end of a rebaseline: the settled days leave the pending
   * days with their row counters, and the prune's cursor moves. `time` is set as the last
   * rebaseline when days were folded.
   */
  async finishScope(scope: string, finish: { settled: readonly string[]; time?: number; prunedThrough?: string }) {
    const set: Record<string, unknown> = {};
    if (finish.time !== undefined) set.lastRebaseline = finish.time;
    if (finish.prunedThrough !== undefined) set.prunedThrough = finish.prunedThrough;
    if (Object.keys(set).length === 0 && finish.settled.length === 0) return;
    await this.table.update(keys.scopeMeta(scope), {
      deleteFromSet: { pendingDays: [...finish.settled] },
      remove: finish.settled.map(keys.pendingRows),
      set,
    });
  }
}

/** One value seen in one object on one day, as stored. */
export interface StoredObservation {
  kind: string;
  value: string;
  count: number;
  firstTime: number;
  lastTime: number;
}

export function toEntry(scope: string, kind: string, item: Item): BaselineEntry {
  const dayCounts = (item.dayCounts ?? {}) as Record<string, number>;
  return {
    scope,
    kind,
    value: String(item.value ?? item.sk),
    firstSeen: Number(item.firstSeen ?? 0),
    lastSeen: Number(item.lastSeen ?? 0),
    dayCounts,
    count: Number(item.count ?? 0),
    days: Number(item.days ?? Object.keys(dayCounts).length),
  };
}
