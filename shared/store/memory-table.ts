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
} from './types';

/**
 * An in-process table with the same semantics as the DynamoDB table (`DynamoTable`, shared/aws): conditional writes,
 * atomic counters, string sets and sorted sort keys. The CLI's embedded store.
 */
export class MemoryTable implements Table {
  readonly counters = newCounters();
  private readonly partitions = new Map<string, Map<string, Item>>();
  private readonly pageSize: number;

  /** `pageSize` caps the items of a query page, so that tests can stream a partition of a few items. */
  constructor(options: { pageSize?: number } = {}) {
    this.pageSize = options.pageSize ?? Number.POSITIVE_INFINITY;
  }

  async get(key: Key): Promise<Item | undefined> {
    const item = this.partitions.get(key.pk)?.get(key.sk);
    countRead(this.counters, item ? itemSize(item) : 1);
    return item ? clone(item) : undefined;
  }

  async batchGet(keys: readonly Key[]): Promise<Item[]> {
    const out: Item[] = [];
    for (const key of keys) {
      const item = await this.get(key);
      if (item) out.push(item);
    }
    return out;
  }

  async query(pk: string, options: QueryOptions = {}): Promise<Item[]> {
    const out: Item[] = [];
    for await (const page of this.queryPages(pk, options)) out.push(...page);
    return out;
  }

  async *queryPages(pk: string, options: QueryOptions = {}): AsyncIterable<Item[]> {
    const partition = this.partitions.get(pk);
    if (!partition) {
      countRead(this.counters, 1);
      yield [];
      return;
    }
    // The sort keys are read once: a page's items are those present when the query started.
    const sks = [...partition.keys()].sort(compareKeys);
    let page: Item[] = [];
    let bytes = 0;
    let returned = 0;
    let yielded = false;
    for (const sk of sks) {
      if (options.skPrefix !== undefined && !sk.startsWith(options.skPrefix)) continue;
      const item = partition.get(sk);
      if (!item) continue;
      const size = itemSize(item);
      // A DynamoDB query page holds up to 1 MB: one request per page.
      if (page.length > 0 && (bytes + size > PAGE_BYTES || page.length >= this.pageSize)) {
        countRead(this.counters, bytes);
        yield page;
        yielded = true;
        page = [];
        bytes = 0;
      }
      page.push(clone(item));
      bytes += size;
      returned++;
      if (options.limit !== undefined && returned >= options.limit) break;
    }
    if (page.length > 0 || !yielded) {
      countRead(this.counters, bytes);
      yield page;
    }
  }

  async put(item: Item, condition?: Condition): Promise<boolean> {
    const existing = this.partitions.get(item.pk)?.get(item.sk);
    countWrite(this.counters, itemSize(item));
    if (condition && !holds(condition, existing)) return false;
    this.partition(item.pk).set(item.sk, clone(item));
    return true;
  }

  async batchPut(items: readonly Item[]): Promise<void> {
    for (const item of items) await this.put(item);
  }

  async update(key: Key, update: Update, condition?: Condition): Promise<boolean> {
    const existing = this.partitions.get(key.pk)?.get(key.sk);
    if (condition && !holds(condition, existing)) {
      countWrite(this.counters, existing ? itemSize(existing) : 1);
      return false;
    }
    const item: Item = existing ? clone(existing) : { pk: key.pk, sk: key.sk };
    for (const [name, value] of Object.entries(update.set ?? {})) item[name] = clone(value);
    for (const [name, value] of Object.entries(update.setIfAbsent ?? {})) {
      if (item[name] === undefined) item[name] = clone(value);
    }
    for (const [name, value] of Object.entries(update.add ?? {})) {
      item[name] = ((item[name] as number | undefined) ?? 0) + value;
    }
    for (const [name, values] of Object.entries(update.addToSet ?? {})) {
      const set = new Set((item[name] as Set<string> | undefined) ?? []);
      for (const v of values) set.add(v);
      item[name] = set;
    }
    for (const [name, values] of Object.entries(update.deleteFromSet ?? {})) {
      const set = item[name] as Set<string> | undefined;
      if (!set) continue;
      for (const v of values) set.delete(v);
      // DynamoDB removes a string set that becomes empty.
      if (set.size === 0) delete item[name];
    }
    for (const name of update.remove ?? []) delete item[name];
    countWrite(this.counters, itemSize(item));
    this.partition(key.pk).set(key.sk, item);
    return true;
  }

  async delete(key: Key): Promise<void> {
    countWrite(this.counters, 1);
    const partition = this.partitions.get(key.pk);
    partition?.delete(key.sk);
    if (partition?.size === 0) this.partitions.delete(key.pk);
  }

  async batchDelete(keys: readonly Key[]): Promise<void> {
    for (const key of keys) await this.delete(key);
  }

  /** Every item, for persistence. */
  *items(): Iterable<Item> {
    for (const partition of this.partitions.values()) yield* partition.values();
  }

  /** Loads items without counting them as writes. */
  load(items: Iterable<Item>): void {
    for (const item of items) this.partition(item.pk).set(item.sk, item);
  }

  get size(): number {
    let n = 0;
    for (const partition of this.partitions.values()) n += partition.size;
    return n;
  }

  private partition(pk: string): Map<string, Item> {
    let partition = this.partitions.get(pk);
    if (!partition) {
      partition = new Map();
      this.partitions.set(pk, partition);
    }
    return partition;
  }
}

/** The most a DynamoDB query page holds. */
const PAGE_BYTES = 1_048_576;

/** DynamoDB orders string sort keys by UTF-8 bytes; for our ASCII keys that is code-unit order. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function holds(condition: Condition, existing: Item | undefined): boolean {
  if (condition.kind === 'equals') return existing?.[condition.attribute] === condition.value;
  if (!existing) return true;
  switch (condition.kind) {
    case 'absent':
      return false;
    case 'absentOrBelow': {
      const v = existing[condition.attribute];
      return typeof v !== 'number' || v < condition.value;
    }
    case 'absentOrAbove': {
      const v = existing[condition.attribute];
      return typeof v !== 'number' || v > condition.value;
    }
  }
}

function clone<T>(value: T): T {
  if (value instanceof Set) return new Set(value) as T;
  // Binary attributes, as DynamoDB returns them: a Uint8Array of their own.
  if (value instanceof Uint8Array) return new Uint8Array(value) as T;
  if (Array.isArray(value)) return value.map(clone) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = clone(v);
    return out as T;
  }
  return value;
}
