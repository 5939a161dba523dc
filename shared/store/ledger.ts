import { epochSeconds } from '../util';
import { keys, objectOfSortKey } from './keys';
import { type PackedRow, unpackRows } from './packing';
import type { Table } from './types';

/** How long a processed-object marker is kept: S3 redelivers within hours, not months. */
const MARKER_DAYS = 30;
/** Done objects remembered per process: a few days of objects, a few megabytes. */
const KNOWN_DONE = 100_000;

/**
 * Which objects are done. S3 delivers at least once: an object whose marker is present is
 * skipped. The marker is the last write of an object, so a failure anywhere before it lets the
 * retry do the whole object again. What an object wrote for learning (observations, hourly
 * edges) counts only once its marker is there: {@link ObjectLedger.doneAmong}.
 */
export class ObjectLedger {
  /**
   * Objects found done. Done stays done (the marker outlives the rows it vouches for), so the
   * rebaseline's items, which each ask about the objects of their shard or day, ask once per process.
   */
  private readonly known = new Set<string>();

  constructor(
    private readonly table: Table,
    private readonly clock: () => number = Date.now,
  ) {}

  async isDone(objectId: string): Promise<boolean> {
    return (await this.table.get(keys.object(objectId))) !== undefined;
  }

  /** Of these objects, the ones that are done: one batch read. */
  async doneAmong(objectIds: Iterable<string>): Promise<Set<string>> {
    const ids = new Set(objectIds);
    const found = new Set<string>();
    for (const id of ids) if (this.known.has(id)) found.add(id);
    const ask = [...ids].filter((id) => !found.has(id));
    if (ask.length === 0) return found;
    if (this.known.size + ask.length > KNOWN_DONE) this.known.clear();
    for (const item of await this.table.batchGet(ask.map((id) => keys.object(id)))) {
      const id = item.pk.slice(keys.object('').pk.length);
      found.add(id);
      this.known.add(id);
    }
    return found;
  }

  /**
   * The packed rows of per-object items (observations, hourly edges) in these partitions, of the
   * objects that are done only; `objectField` says where a sort key names its object.
   */
  async rowsOfDone(partitions: readonly string[], objectField: number): Promise<PackedRow[]> {
    const rows: PackedRow[] = [];
    for await (const page of this.rowsOfDonePages(partitions, objectField)) rows.push(...page);
    return rows;
  }

  /**
   * {@link ObjectLedger.rowsOfDone} a query page at a time: a fold holds one page of rows, not a
   * day. Which objects are done is asked once per object (one batch read per page of new ones).
   */
  async *rowsOfDonePages(partitions: readonly string[], objectField: number): AsyncIterable<PackedRow[]> {
    const known = new Map<string, boolean>();
    for (const pk of partitions) {
      for await (const items of this.table.queryPages(pk)) {
        const objects = items.map((item) => objectOfSortKey(item.sk, objectField));
        const unknown = objects.filter((id) => !known.has(id));
        const done = await this.doneAmong(unknown);
        for (const id of unknown) known.set(id, done.has(id));
        const rows: PackedRow[] = [];
        items.forEach((item, i) => {
          if (known.get(objects[i] as string)) rows.push(...unpackRows(item.packed));
        });
        yield rows;
      }
    }
  }

  async markDone(objectId: string, uri: string): Promise<void> {
    const now = this.clock();
    await this.table.put({
      ...keys.object(objectId),
      uri,
      processedAt: now,
      expiresAt: epochSeconds(now) + MARKER_DAYS * 86_400,
    });
  }
}
