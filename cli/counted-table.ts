import {
  type Condition,
  countRead,
  countWrite,
  type Item,
  itemSize,
  type Key,
  newCounters,
  type QueryOptions,
  type Table,
  type TableCounters,
  type Update,
} from '../shared/store';

/** Keys a DynamoDB BatchGetItem takes at most: one request each. */
const BATCH_GET_KEYS = 100;

/**
 * A view of a table with counters of its own, for one work item of a run that folds several at
 * once: `Engine.runWorkItem` reports the units its table's counters moved by, and the items in
 * flight share the one table. The view counts what passes through it by the rules of `DynamoTable`
 * (the deployed cost), so an item's units are the same whatever runs beside it.
 */
export class CountedTable implements Table {
  readonly counters: TableCounters = newCounters();

  constructor(private readonly table: Table) {}

  async get(key: Key): Promise<Item | undefined> {
    const item = await this.table.get(key);
    countRead(this.counters, item ? itemSize(item) : 1);
    return item;
  }

  async batchGet(keys: readonly Key[]): Promise<Item[]> {
    const items = await this.table.batchGet(keys);
    const requests = Math.max(1, Math.ceil(keys.length / BATCH_GET_KEYS));
    const bytes = items.reduce((sum, item) => sum + itemSize(item), 1);
    for (let i = 0; i < requests; i++) countRead(this.counters, bytes / requests);
    return items;
  }

  async query(pk: string, options?: QueryOptions): Promise<Item[]> {
    const items: Item[] = [];
    for await (const page of this.queryPages(pk, options)) items.push(...page);
    return items;
  }

  async *queryPages(pk: string, options?: QueryOptions): AsyncIterable<Item[]> {
    for await (const page of this.table.queryPages(pk, options)) {
      countRead(
        this.counters,
        page.reduce((sum, item) => sum + itemSize(item), 1),
      );
      yield page;
    }
  }

  async put(item: Item, condition?: Condition): Promise<boolean> {
    countWrite(this.counters, itemSize(item));
    return this.table.put(item, condition);
  }

  async batchPut(items: readonly Item[]): Promise<void> {
    for (const item of items) countWrite(this.counters, itemSize(item));
    await this.table.batchPut(items);
  }

  async update(key: Key, update: Update, condition?: Condition): Promise<boolean> {
    countWrite(this.counters, itemSize({ ...key, ...update.set, ...update.setIfAbsent }));
    return this.table.update(key, update, condition);
  }

  async delete(key: Key): Promise<void> {
    countWrite(this.counters, 1);
    await this.table.delete(key);
  }

  async batchDelete(keys: readonly Key[]): Promise<void> {
    for (const _ of keys) countWrite(this.counters, 1);
    await this.table.batchDelete(keys);
  }
}
