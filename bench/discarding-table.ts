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
  type Update,
} from '../shared/store';

/**
 * A table that counts what it is asked and keeps nothing, standing in for DynamoDB when measuring
 * the function's memory: items written to DynamoDB leave the process. Reads find nothing, as in
 * a new deployment.
 */
export class DiscardingTable implements Table {
  readonly counters = newCounters();
  /**
   * The DynamoDB API calls the same work would make: one per single-item call, one per 25 items
   * of a BatchWriteItem and per 100 keys of a BatchGetItem (the counters above count items).
   */
  readonly calls = { reads: 0, writes: 0 };

  async get(_key: Key): Promise<Item | undefined> {
    countRead(this.counters, 1);
    this.calls.reads++;
    return undefined;
  }

  async batchGet(keys: readonly Key[]): Promise<Item[]> {
    for (const _ of keys) countRead(this.counters, 1);
    this.calls.reads += Math.ceil(keys.length / 100);
    return [];
  }

  async query(_pk: string, _options?: QueryOptions): Promise<Item[]> {
    countRead(this.counters, 1);
    this.calls.reads++;
    return [];
  }

  async *queryPages(pk: string, options?: QueryOptions): AsyncIterable<Item[]> {
    yield await this.query(pk, options);
  }

  async put(item: Item, _condition?: Condition): Promise<boolean> {
    countWrite(this.counters, itemSize(item));
    this.calls.writes++;
    return true;
  }

  async batchPut(items: readonly Item[]): Promise<void> {
    for (const item of items) countWrite(this.counters, itemSize(item));
    this.calls.writes += Math.ceil(items.length / 25);
  }

  async update(key: Key, update: Update, _condition?: Condition): Promise<boolean> {
    countWrite(this.counters, itemSize({ ...key, ...update.set, ...update.setIfAbsent, ...update.add }));
    this.calls.writes++;
    return true;
  }

  async delete(_key: Key): Promise<void> {
    countWrite(this.counters, 1);
    this.calls.writes++;
  }

  async batchDelete(keys: readonly Key[]): Promise<void> {
    for (const _ of keys) countWrite(this.counters, 1);
    this.calls.writes += Math.ceil(keys.length / 25);
  }
}
