import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Condition,
  countRead,
  countWrite,
  type Item,
  itemSize,
  type Key,
  newCounters,
  type QueryOptions,
  StoreError,
  type Table,
  type Update,
} from '../store';

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
/** Requests of a batch, counting the first, before entries DynamoDB keeps leaving unprocessed fail the call. */
const MAX_ATTEMPTS = 8;

/**
 * How the functions' DynamoDB client retries a call DynamoDB throttles whole
 * (ProvisionedThroughputExceededException, ThrottlingException, RequestLimitExceeded) or fails
 * transiently: the SDK's standard mode, with full jitter on a 1 s base for throttling, capped at
 * 20 s. Six attempts wait up to 31 s in all (about half that on average), which an on-demand
 * table's brief throttling while it adapts fits in, and is a fraction of the 5-minute timeout;
 * retrying here costs less than failing the SQS record, which redoes the whole object. Set in
 * code so that neither the SDK's default (4 for DynamoDB) nor AWS_MAX_ATTEMPTS in the environment
 * decides it. Entries a batch leaves unprocessed are retried by {@link DynamoTable} itself.
 */
export const DYNAMO_CLIENT_CONFIG = { maxAttempts: 6, retryMode: 'standard' } as const;

export interface DynamoTableOptions {
  /** Table name. */
  tableName: string;
  /** A DynamoDB client, created once per process by the caller. */
  client: DynamoDBClient;
  /** At most this many items per query page (tests: a partition of a few items in several pages). @default 1 MB pages */
  pageSize?: number;
}

/** {@link Table} on a DynamoDB table with string keys `pk` and `sk`. */
export class DynamoTable implements Table {
  readonly counters = newCounters();
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly pageSize?: number;

  constructor(options: DynamoTableOptions) {
    this.tableName = options.tableName;
    this.pageSize = options.pageSize;
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
  }

  async get(key: Key): Promise<Item | undefined> {
    const out = await this.call('GetItem', () =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: keyOf(key) })),
    );
    countRead(this.counters, out.Item ? itemSize(out.Item) : 1);
    return out.Item as Item | undefined;
  }

  async batchGet(keys: readonly Key[]): Promise<Item[]> {
    const items: Item[] = [];
    const unique = dedupeKeys(keys);
    for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] | undefined = unique.slice(i, i + BATCH_GET_LIMIT).map(keyOf);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw new StoreError('BatchGetItem kept returning unprocessed keys');
        if (attempt > 0) await backoff(attempt);
        const request = pending;
        const out = await this.call('BatchGetItem', () =>
          this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: request } } })),
        );
        const got = (out.Responses?.[this.tableName] ?? []) as Item[];
        countRead(
          this.counters,
          got.reduce((sum, item) => sum + itemSize(item), 1),
        );
        items.push(...got);
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return items;
  }

  async query(pk: string, options: QueryOptions = {}): Promise<Item[]> {
    const items: Item[] = [];
    for await (const page of this.queryPages(pk, options)) items.push(...page);
    return items;
  }

  async *queryPages(pk: string, options: QueryOptions = {}): AsyncIterable<Item[]> {
    let returned = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const remaining = options.limit !== undefined ? options.limit - returned : undefined;
      const limit =
        remaining !== undefined && this.pageSize !== undefined
          ? Math.min(remaining, this.pageSize)
          : (remaining ?? this.pageSize);
      const out = await this.call('Query', () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression:
              options.skPrefix !== undefined ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
            ExpressionAttributeValues:
              options.skPrefix !== undefined ? { ':pk': pk, ':prefix': options.skPrefix } : { ':pk': pk },
            ExclusiveStartKey: startKey,
            Limit: limit,
          }),
        ),
      );
      const page = (out.Items ?? []) as Item[];
      countRead(
        this.counters,
        page.reduce((sum, item) => sum + itemSize(item), 1),
      );
      returned += page.length;
      startKey = out.LastEvaluatedKey;
      yield page;
    } while (startKey && (options.limit === undefined || returned < options.limit));
  }

  async put(item: Item, condition?: Condition): Promise<boolean> {
    const expression = condition ? conditionExpression(condition) : undefined;
    countWrite(this.counters, itemSize(item));
    try {
      await this.call(
        'PutItem',
        () =>
          this.doc.send(
            new PutCommand({
              TableName: this.tableName,
              Item: item,
              ConditionExpression: expression?.expression,
              ExpressionAttributeNames: expression?.names,
              ExpressionAttributeValues: expression?.values,
            }),
          ),
        true,
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async batchPut(items: readonly Item[]): Promise<void> {
    for (const item of items) countWrite(this.counters, itemSize(item));
    await this.batchWrite(items.map((item) => ({ PutRequest: { Item: item } })));
  }

  async update(key: Key, update: Update, condition?: Condition): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    let n = 0;
    const name = (attribute: string) => {
      const placeholder = `#a${n++}`;
      names[placeholder] = attribute;
      return placeholder;
    };
    const value = (v: unknown) => {
      const placeholder = `:v${n++}`;
      values[placeholder] = v;
      return placeholder;
    };
    const sets: string[] = [];
    const adds: string[] = [];
    const deletes: string[] = [];
    const removes = (update.remove ?? []).map(name);
    for (const [attribute, v] of Object.entries(update.set ?? {})) {
      sets.push(`${name(attribute)} = ${value(v)}`);
    }
    for (const [attribute, v] of Object.entries(update.setIfAbsent ?? {})) {
      const a = name(attribute);
      sets.push(`${a} = if_not_exists(${a}, ${value(v)})`);
    }
    for (const [attribute, v] of Object.entries(update.add ?? {})) {
      adds.push(`${name(attribute)} ${value(v)}`);
    }
    for (const [attribute, v] of Object.entries(update.addToSet ?? {})) {
      if (v.length > 0) adds.push(`${name(attribute)} ${value(new Set(v))}`);
    }
    for (const [attribute, v] of Object.entries(update.deleteFromSet ?? {})) {
      if (v.length > 0) deletes.push(`${name(attribute)} ${value(new Set(v))}`);
    }
    const clauses = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      adds.length ? `ADD ${adds.join(', ')}` : '',
      deletes.length ? `DELETE ${deletes.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ].filter(Boolean);
    let conditionText: string | undefined;
    if (condition) {
      const c = conditionExpression(condition, n);
      conditionText = c.expression;
      Object.assign(names, c.names);
      Object.assign(values, c.values);
    }
    if (clauses.length === 0) {
      // Nothing to change: an update that only creates the key.
      clauses.push(`SET ${name('pk')} = ${value(key.pk)}`);
    }
    countWrite(this.counters, itemSize({ ...key, ...update.set, ...update.setIfAbsent }));
    try {
      await this.call(
        'UpdateItem',
        () =>
          this.doc.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: keyOf(key),
              UpdateExpression: clauses.join(' '),
              ConditionExpression: conditionText,
              ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
              ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
            }),
          ),
        true,
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async delete(key: Key): Promise<void> {
    countWrite(this.counters, 1);
    await this.call('DeleteItem', () =>
      this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keyOf(key) })),
    );
  }

  async batchDelete(keys: readonly Key[]): Promise<void> {
    for (const _ of keys) countWrite(this.counters, 1);
    await this.batchWrite(dedupeKeys(keys).map((key) => ({ DeleteRequest: { Key: keyOf(key) } })));
  }

  private async batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
      let pending: Record<string, unknown>[] | undefined = requests.slice(i, i + BATCH_WRITE_LIMIT);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw new StoreError('BatchWriteItem kept returning unprocessed items');
        if (attempt > 0) await backoff(attempt);
        const request = pending;
        const out = await this.call('BatchWriteItem', () =>
          this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: request } })),
        );
        pending = out.UnprocessedItems?.[this.tableName] as Record<string, unknown>[] | undefined;
      }
    }
  }

  /** Wraps SDK errors in {@link StoreError}; a failed condition passes through when `conditional`. */
  private async call<T>(operation: string, send: () => Promise<T>, conditional = false): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (conditional && error instanceof ConditionalCheckFailedException) throw error;
      throw new StoreError(`DynamoDB ${operation} on ${this.tableName} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

function keyOf(key: Key): Record<string, string> {
  return { pk: key.pk, sk: key.sk };
}

function dedupeKeys(keys: readonly Key[]): Key[] {
  const seen = new Map<string, Key>();
  for (const key of keys) seen.set(`${key.pk}\u0000${key.sk}`, key);
  return [...seen.values()];
}

function conditionExpression(
  condition: Condition,
  offset = 0,
): { expression: string; names?: Record<string, string>; values?: Record<string, unknown> } {
  switch (condition.kind) {
    case 'absent':
      return { expression: 'attribute_not_exists(pk)' };
    case 'equals': {
      const n = `#c${offset}`;
      const v = `:c${offset}`;
      return { expression: `${n} = ${v}`, names: { [n]: condition.attribute }, values: { [v]: condition.value } };
    }
    case 'absentOrBelow':
    case 'absentOrAbove': {
      const n = `#c${offset}`;
      const v = `:c${offset}`;
      const op = condition.kind === 'absentOrBelow' ? '<' : '>';
      return {
        expression: `attribute_not_exists(${n}) OR ${n} ${op} ${v}`,
        names: { [n]: condition.attribute },
        values: { [v]: condition.value },
      };
    }
  }
}

/**
 * The wait before retrying a batch's unprocessed entries: exponential from 50 ms, capped at 2 s,
 * with equal jitter (half fixed, half random), so that containers throttled together do not
 * retry together and no retry comes back at once.
 */
export function unprocessedRetryDelay(attempt: number, random: () => number = Math.random): number {
  return Math.min(2000, 25 * 2 ** attempt) * (0.5 + random() / 2);
}

async function backoff(attempt: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, unprocessedRetryDelay(attempt)));
}
