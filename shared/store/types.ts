/**
 * A small key-value table with the DynamoDB semantics Driftwatch relies on. The Lambdas use
 * `DynamoTable` (in the AWS adapters, `shared/aws`); the CLI uses {@link MemoryTable}, persisted to disk. One contract test
 * suite runs against both, so the domain stores above them behave the same everywhere.
 */
export interface Item {
  pk: string;
  sk: string;
  /** Epoch seconds after which the item may be deleted (the table's TTL attribute). */
  expiresAt?: number;
  [attribute: string]: unknown;
}

export interface Key {
  pk: string;
  sk: string;
}

/** A write condition. Every condition here is one DynamoDB ConditionExpression. */
export type Condition =
  /** The item does not exist. */
  | { kind: 'absent' }
  /** The item does not exist, or `attribute` is missing or lower than `value`. */
  | { kind: 'absentOrBelow'; attribute: string; value: number }
  /** The item does not exist, or `attribute` is missing or higher than `value`. */
  | { kind: 'absentOrAbove'; attribute: string; value: number }
  /** The item exists and `attribute` equals `value` (a lock's holder, a version). */
  | { kind: 'equals'; attribute: string; value: string | number };

export interface Update {
  /** SET attribute = value. */
  set?: Record<string, unknown>;
  /** SET attribute = if_not_exists(attribute, value). */
  setIfAbsent?: Record<string, unknown>;
  /** ADD attribute number (atomic counter). */
  add?: Record<string, number>;
  /** ADD elements to a string set (idempotent). */
  addToSet?: Record<string, string[]>;
  /** DELETE elements from a string set (idempotent). */
  deleteFromSet?: Record<string, string[]>;
  /** REMOVE attributes (a missing one is no error). */
  remove?: string[];
}

export interface QueryOptions {
  /** Only items whose sort key starts with this. */
  skPrefix?: string;
  /** Stop after this many items. */
  limit?: number;
}

/** What the table was asked to do, for the cost model and the run summary. */
export interface TableCounters {
  readRequests: number;
  writeRequests: number;
  /** On-demand read request units (eventually consistent: 0.5 per 4 KB). */
  readUnits: number;
  /** On-demand write request units (1 per 1 KB). */
  writeUnits: number;
}

export interface Table {
  readonly counters: TableCounters;
  get(key: Key): Promise<Item | undefined>;
  /** Reads many items; the order of the result is not defined. Missing keys are skipped. */
  batchGet(keys: readonly Key[]): Promise<Item[]>;
  query(pk: string, options?: QueryOptions): Promise<Item[]>;
  /**
   * The same items as {@link Table.query}, a page at a time (DynamoDB pages at 1 MB), so that a caller
   * folding a large partition holds one page, not the partition.
   */
  queryPages(pk: string, options?: QueryOptions): AsyncIterable<Item[]>;
  /** Returns false when the condition failed. */
  put(item: Item, condition?: Condition): Promise<boolean>;
  batchPut(items: readonly Item[]): Promise<void>;
  /** Returns false when the condition failed. Creates the item when it does not exist. */
  update(key: Key, update: Update, condition?: Condition): Promise<boolean>;
  delete(key: Key): Promise<void>;
  batchDelete(keys: readonly Key[]): Promise<void>;
}

export function newCounters(): TableCounters {
  return { readRequests: 0, writeRequests: 0, readUnits: 0, writeUnits: 0 };
}

/** Approximate DynamoDB item size: attribute names plus values, as UTF-8. */
export function itemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name) + valueSize(value);
  }
  return size;
}

function valueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return 21;
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) {
    let size = 0;
    for (const v of value) size += valueSize(v);
    return size;
  }
  if (Array.isArray(value)) return value.reduce<number>((sum, v) => sum + valueSize(v) + 1, 3);
  if (typeof value === 'object') return itemSize(value as Record<string, unknown>) + 3;
  return 8;
}

export function countRead(counters: TableCounters, bytes: number): void {
  counters.readRequests += 1;
  counters.readUnits += Math.max(1, Math.ceil(bytes / 4096)) * 0.5;
}

export function countWrite(counters: TableCounters, bytes: number): void {
  counters.writeRequests += 1;
  counters.writeUnits += Math.max(1, Math.ceil(bytes / 1024));
}
