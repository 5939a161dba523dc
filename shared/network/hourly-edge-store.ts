import type { Config } from '../config';
import type { Item, Table } from '../store';
import {
  keys,
  OBSERVATION_SHARDS,
  ObjectLedger,
  type PackedRow,
  packedItems,
  pendingRowsOf,
  unpackRows,
} from '../store';
import { dayOf, epochSeconds, shardOf } from '../util';
import type { HourlyEdge } from './hourly-edge';
import { addTraffic, emptyTraffic, type Traffic } from './traffic';

/** `HH` of an hour, for sort keys. */
function hourOfDay(hour: number): string {
  return new Date(hour).toISOString().slice(11, 13);
}

/** Days hourly edges are kept: the statistics window, and a week for the folds to catch up. */
export function hourlyEdgeTtlDays(config: Config): number {
  return config.network.stats.windowDays + 7;
}

export interface HourlyEdgeStoreOptions {
  /** Days hourly edges are kept; the statistics window must fit in it. @default 21 */
  ttlDays?: number;
}

/** An hourly edge as a packed row: its fields in this order. The order is the stored format. */
const ROW_FIELDS = [
  'scope',
  'hour',
  'key',
  'direction',
  'client',
  'server',
  'clientLabel',
  'serverLabel',
  'port',
  'protocol',
  'bytesToServer',
  'bytesToClient',
  'packets',
  'flows',
  'accepted',
  'rejected',
  'firstTime',
  'lastTime',
] as const;

function toRow(edge: HourlyEdge): PackedRow {
  return ROW_FIELDS.map((field) => (edge[field] ?? null) as string | number | null);
}

function fromRow(row: PackedRow): HourlyEdge {
  const edge: Record<string, unknown> = {};
  ROW_FIELDS.forEach((field, i) => {
    const value = row[i];
    if (value !== null && value !== undefined) edge[field] = value;
  });
  return edge as unknown as HourlyEdge;
}

/**
 * Hourly edges in the table. One object's hourly edges of one hour are packed (gzipped rows)
 * into a few items per shard of the day's partition (`NETMAP#<scope>#<day>#<shard>`, sort key
 * `<HH>#<objectId>#<n>`, edges sharded by key): a redelivered object overwrites its own items,
 * an hour's total on an edge is one query of its shard by prefix, the rebaseline job reads a day
 * with one query per shard, and writes cost by compressed size instead of one unit per edge.
 * Days written are listed on the scope (`SCOPE#<scope>`/`NETMAP`) until the statistics have
 * folded them.
 */
export class HourlyEdgeStore {
  private readonly ttlDays: number;
  private readonly ledger: ObjectLedger;

  constructor(
    private readonly table: Table,
    options: HourlyEdgeStoreOptions = {},
  ) {
    this.ttlDays = options.ttlDays ?? 21;
    this.ledger = new ObjectLedger(table);
  }

  private static shard(key: string): number {
    return shardOf(key, OBSERVATION_SHARDS);
  }

  /** Writes one object's hourly edges; returns the number of items. */
  async write(objectId: string, edges: Iterable<HourlyEdge>): Promise<number> {
    const groups = new Map<string, { scope: string; hour: number; shard: number; rows: PackedRow[] }>();
    const pending = new Map<string, Map<string, number>>();
    for (const edge of edges) {
      const shard = HourlyEdgeStore.shard(edge.key);
      const id = `${edge.scope}\u0000${edge.hour}\u0000${shard}`;
      let group = groups.get(id);
      if (!group) {
        group = { scope: edge.scope, hour: edge.hour, shard, rows: [] };
        groups.set(id, group);
      }
      group.rows.push(toRow(edge));
      const days = pending.get(edge.scope) ?? new Map<string, number>();
      const day = dayOf(edge.hour);
      days.set(day, (days.get(day) ?? 0) + 1);
      pending.set(edge.scope, days);
    }
    const items: Item[] = [];
    for (const group of groups.values()) {
      items.push(
        ...packedItems(
          keys.hourlyEdgePartition(group.scope, dayOf(group.hour), group.shard),
          `${hourOfDay(group.hour)}#${objectId}#`,
          group.rows,
          epochSeconds(group.hour) + this.ttlDays * 86_400,
        ),
      );
    }
    await this.table.batchPut(items);
    for (const [scope, days] of pending) {
      await this.table.update(keys.hourlyEdgeMeta(scope), {
        addToSet: { pendingDays: [...days.keys()] },
        add: Object.fromEntries([...days].map(([day, rows]) => [keys.pendingRows(day), rows])),
        setIfAbsent: { scope },
      });
    }
    return items.length;
  }

  /**
   * An edge's traffic in one hour, summed over every object written so far. `cache` keeps the decoded
   * shard-hours of one object's lookups, so asking about many edges reads each once.
   */
  async hourTotals(
    scope: string,
    hour: number,
    key: string,
    cache: Map<string, HourlyEdge[]> = new Map(),
  ): Promise<Traffic> {
    const pk = keys.hourlyEdgePartition(scope, dayOf(hour), HourlyEdgeStore.shard(key));
    const prefix = `${hourOfDay(hour)}#`;
    let edges = cache.get(`${pk}\u0000${prefix}`);
    if (!edges) {
      edges = [];
      for (const item of await this.table.query(pk, { skPrefix: prefix })) {
        for (const row of unpackRows(item.packed)) edges.push(fromRow(row));
      }
      cache.set(`${pk}\u0000${prefix}`, edges);
    }
    const totals = emptyTraffic();
    for (const edge of edges) if (edge.key === key && edge.hour === hour) addTraffic(totals, edge);
    return totals;
  }

  /**
   * Every hourly edge of a scope's day, unpacked, of the objects that are done: the statistics
   * learn nothing from an attempt that failed part-way (its retry rewrites the same rows).
   */
  async day(scope: string, day: string): Promise<HourlyEdge[]> {
    const partitions = Array.from({ length: OBSERVATION_SHARDS }, (_, shard) =>
      keys.hourlyEdgePartition(scope, day, shard),
    );
    return (await this.ledger.rowsOfDone(partitions, 1)).map(fromRow);
  }

  async pendingDays(scope: string): Promise<string[]> {
    return (await this.pending(scope)).days;
  }

  /** The days not yet folded, and the rows written for each (retried objects count again: an overestimate). */
  async pending(scope: string): Promise<{ days: string[]; rows: Record<string, number> }> {
    const item = await this.table.get(keys.hourlyEdgeMeta(scope));
    return {
      days: item?.pendingDays instanceof Set ? [...(item.pendingDays as Set<string>)].sort() : [],
      rows: pendingRowsOf(item),
    };
  }

  /**
   * One shard of a scope's day, a query page at a time, of the objects that are done: the
   * statistics learn nothing from an attempt that failed part-way (its retry rewrites the same rows).
   */
  async *shardPages(scope: string, day: string, shard: number): AsyncIterable<HourlyEdge[]> {
    for await (const rows of this.ledger.rowsOfDonePages([keys.hourlyEdgePartition(scope, day, shard)], 1)) {
      yield rows.map(fromRow);
    }
  }

  async markFolded(scope: string, days: readonly string[], time: number): Promise<void> {
    await this.table.update(keys.hourlyEdgeMeta(scope), {
      deleteFromSet: { pendingDays: [...days] },
      remove: days.map((day) => keys.pendingRows(day)),
      set: { foldedAt: time },
    });
  }
}
