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

  async get(_key: Key): Promise<Item | undefined> {
    countRead(this.counters, 1);
    return undefined;
  }

  async batchGet(keys: readonly Key[]): Promise<Item[]> {
    for (const _ of keys) countRead(this.counters, 1);
    return [];
  }

  async query(_pk: string, _options?: QueryOptions): Promise<Item[]> {
    countRead(this.counters, 1);
    return [];
  }

  async put(item: Item, _condition?: Condition): Promise<boolean> {
    countWrite(this.counters, itemSize(item));
    return true;
  }

  async batchPut(items: readonly Item[]): Promise<void> {
    for (const item of items) countWrite(this.counters, itemSize(item));
  }

  async update(key: Key, update: Update, _condition?: Condition): Promise<boolean> {
    countWrite(this.counters, itemSize({ ...key, ...update.set, ...update.setIfAbsent, ...update.add }));
    return true;
  }

  async delete(_key: Key): Promise<void> {
    countWrite(this.counters, 1);
  }

  async batchDelete(keys: readonly Key[]): Promise<void> {
    for (const _ of keys) countWrite(this.counters, 1);
  }
}
