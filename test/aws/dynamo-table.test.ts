import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DYNAMO_CLIENT_CONFIG, DynamoTable, unprocessedRetryDelay } from '../../shared/aws/dynamo-table';
import type { Item } from '../../shared/store';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import {
  type Fault,
  startThrottlingDynamo,
  THROTTLING_ERRORS,
  type ThrottlingDynamo,
  type ThrottlingError,
} from '../support/throttling-dynamo';

const ERRORS = Object.keys(THROTTLING_ERRORS) as ThrottlingError[];

let dynamo: LocalDynamo;
const proxies: ThrottlingDynamo[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await dynamo?.close();
});

/** A DynamoTable whose requests go through a proxy that applies `decide`, on a client configured as `config`. */
async function tableUnder(
  decide: (operation: string, n: number) => Fault,
  config: { maxAttempts: number; retryMode: 'standard' } = DYNAMO_CLIENT_CONFIG,
) {
  const proxy = await startThrottlingDynamo(dynamo.endpoint, decide);
  proxies.push(proxy);
  const client = new DynamoDBClient({
    ...config,
    endpoint: proxy.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return { proxy, table: new DynamoTable({ tableName: dynamo.tableName, client }) };
}

/** The table as it is, read past the proxy. */
const direct = () => new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client });

const itemsOf = (pk: string, n: number): Item[] =>
  Array.from({ length: n }, (_, i) => ({
    pk,
    sk: `item#${String(i).padStart(3, '0')}`,
    value: i,
    note: 'x'.repeat(40),
  }));

describe('DynamoTable under throttling', () => {
  it('retries throttled calls and unprocessed entries until every item is written, read and deleted', async () => {
    // Prepare: the first call is throttled twice in a row, every batch is processed only by half,
    // and every fifth request is throttled, with the three errors in turn.
    let throttles = 0;
    const { proxy, table } = await tableUnder((operation, n) => {
      if (n < 2 || n % 5 === 0) return { throttle: ERRORS[throttles++ % ERRORS.length] as ThrottlingError };
      return operation.startsWith('Batch') ? { process: 'half' } : 'pass';
    });
    const items = [...itemsOf('THROTTLE#a', 30), ...itemsOf('THROTTLE#b', 8)];

    // Act
    await table.batchPut(items);
    await table.put({ pk: 'THROTTLE#c', sk: 'single', value: 1 });
    await table.update({ pk: 'THROTTLE#c', sk: 'single' }, { add: { value: 2 } });
    const read = await table.batchGet([
      ...items.map(({ pk, sk }) => ({ pk, sk })),
      { pk: 'THROTTLE#a', sk: 'missing' },
    ]);
    const removed = items.filter((_, i) => i % 7 === 0);
    await table.batchDelete(removed.map(({ pk, sk }) => ({ pk, sk })));
    const queried = await table.query('THROTTLE#b');

    // Assess: nothing was dropped on the way in, on the way out, or from a query.
    expect(read.map((i) => `${i.pk}/${i.sk}`).sort()).toEqual(items.map((i) => `${i.pk}/${i.sk}`).sort());
    const kept = items.filter((i) => !removed.includes(i));
    const stored = [...(await direct().query('THROTTLE#a')), ...(await direct().query('THROTTLE#b'))];
    expect(stored.sort((x, y) => `${x.pk}${x.sk}`.localeCompare(`${y.pk}${y.sk}`))).toEqual(
      kept.sort((x, y) => `${x.pk}${x.sk}`.localeCompare(`${y.pk}${y.sk}`)),
    );
    expect(queried).toHaveLength(kept.filter((i) => i.pk === 'THROTTLE#b').length);
    expect(await direct().get({ pk: 'THROTTLE#c', sk: 'single' })).toMatchObject({ value: 3 });
    // The run met what it claims to survive: each error, and unprocessed writes and keys.
    const thrown = new Set(
      proxy.log.flatMap((e) => (typeof e.fault === 'object' && 'throttle' in e.fault ? [e.fault.throttle] : [])),
    );
    expect([...thrown].sort()).toEqual([...ERRORS].sort());
    for (const operation of ['BatchWriteItem', 'BatchGetItem']) {
      expect(proxy.log.some((e) => e.operation === operation && e.withheld > 0)).toBe(true);
    }
  });

  it('fails the call, rather than dropping entries, when a batch write stays unprocessed through every attempt', async () => {
    const { proxy, table } = await tableUnder((operation) =>
      operation === 'BatchWriteItem' ? { process: 'none' } : 'pass',
    );
    await expect(table.batchPut(itemsOf('STUCK#w', 3))).rejects.toThrow(
      /BatchWriteItem kept returning unprocessed items/,
    );
    expect(proxy.log.filter((e) => e.operation === 'BatchWriteItem')).toHaveLength(8);
    expect(await direct().query('STUCK#w')).toEqual([]);
  });

  it('fails the call, rather than returning fewer items, when keys stay unprocessed through every attempt', async () => {
    await direct().batchPut(itemsOf('STUCK#g', 3));
    const { proxy, table } = await tableUnder((operation) =>
      operation === 'BatchGetItem' ? { process: 'none' } : 'pass',
    );
    await expect(table.batchGet(itemsOf('STUCK#g', 3))).rejects.toThrow(/BatchGetItem kept returning unprocessed keys/);
    expect(proxy.log.filter((e) => e.operation === 'BatchGetItem')).toHaveLength(8);
  });

  it('fails with the throttling error once the client has used its attempts', async () => {
    // A client allowed two attempts, so the test does not wait through six.
    const { proxy, table } = await tableUnder(() => ({ throttle: 'ProvisionedThroughputExceededException' }), {
      ...DYNAMO_CLIENT_CONFIG,
      maxAttempts: 2,
    });
    const error = await table.put({ pk: 'STUCK#p', sk: 'one' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('StoreError');
    expect(((error as Error).cause as Error).name).toBe('ProvisionedThroughputExceededException');
    expect(proxy.log).toHaveLength(2);
    expect(await direct().get({ pk: 'STUCK#p', sk: 'one' })).toBeUndefined();
  });
});

describe('DYNAMO_CLIENT_CONFIG', () => {
  it('gives the client its attempts whatever AWS_MAX_ATTEMPTS and AWS_RETRY_MODE say', async () => {
    const saved = { attempts: process.env.AWS_MAX_ATTEMPTS, mode: process.env.AWS_RETRY_MODE };
    process.env.AWS_MAX_ATTEMPTS = '1';
    process.env.AWS_RETRY_MODE = 'adaptive';
    try {
      const client = new DynamoDBClient({ ...DYNAMO_CLIENT_CONFIG, region: 'us-east-1' });
      expect(await client.config.maxAttempts()).toBe(6);
      const mode = client.config.retryMode;
      expect(typeof mode === 'string' ? mode : await mode()).toBe('standard');
      client.destroy();
    } finally {
      for (const [name, value] of [
        ['AWS_MAX_ATTEMPTS', saved.attempts],
        ['AWS_RETRY_MODE', saved.mode],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('unprocessedRetryDelay', () => {
  it('grows exponentially up to 2 s, with jitter over the upper half of each step', () => {
    for (const attempt of [1, 2, 3, 4, 5, 6, 7]) {
      const step = Math.min(2000, 25 * 2 ** attempt);
      expect(unprocessedRetryDelay(attempt, () => 0)).toBe(step / 2);
      expect(unprocessedRetryDelay(attempt, () => 0.999999)).toBeCloseTo(step, 0);
      expect(unprocessedRetryDelay(attempt, () => 0.3)).not.toBe(unprocessedRetryDelay(attempt, () => 0.7));
    }
    expect(unprocessedRetryDelay(20, () => 1)).toBe(2000);
  });
});
