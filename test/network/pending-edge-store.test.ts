import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTable } from '../../shared/aws/dynamo-table';
import { AuditWatermark } from '../../shared/network/audit-watermark';
import type { FlowEdge } from '../../shared/network/flow-edge';
import { PendingEdgeStore } from '../../shared/network/pending-edge-store';
import type { Table } from '../../shared/store';
import { keys } from '../../shared/store/keys';
import { MemoryTable } from '../../shared/store/memory-table';
import { type LocalDynamo, startDynalite } from '../support/dynalite';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const LEASE = 15 * MINUTE;

function edge(client: string, time: number, extra: Partial<FlowEdge> = {}): FlowEdge {
  return {
    scope: 'vpc-0a',
    client,
    server: '10.0.200.10',
    serverPort: 5432,
    protocol: 6,
    clientClass: 'vpc',
    serverClass: 'vpc',
    clientService: undefined,
    serverService: undefined,
    bytesToServer: 500,
    bytesToClient: 900,
    packets: 12,
    flows: 2,
    accepted: 2,
    rejected: 0,
    time,
    lastTime: time + MINUTE,
    origin: { uri: 's3://logs/flow.log.gz', line: 7 },
    interfaceId: 'eni-0a',
    vpcId: 'vpc-0a',
    ...extra,
  };
}

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

describe.each([
  ['memory', () => new MemoryTable() as Table],
  ['dynalite', () => new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client }) as Table],
])('PendingEdgeStore (%s)', (_name, makeTable) => {
  const cluster = `c-${Math.random().toString(16).slice(2)}`;
  const object = { id: 'obj-1', uri: 's3://logs/flow.log.gz' };

  it('keeps waiting edges as they were, one group per hour, in the order they fall due', async () => {
    // Prepare
    const store = new PendingEdgeStore(makeTable());
    const late = edge('10.0.1.80', T0 + HOUR + 20 * MINUTE, { opened: 2, flagless: true, serverService: 'AMAZON' });
    const early = edge('10.0.1.81', T0 + 10 * MINUTE);
    // Act
    const items = await store.park(
      `${cluster}-a`,
      object,
      [
        { edge: late, relayed: true },
        { edge: early, relayed: false },
      ],
      new Set(['10.0.1.81']),
      5 * MINUTE,
    );
    const due = await store.due(`${cluster}-a`, (dueAt) => dueAt <= T0 + HOUR, new Set());
    const group = await store.claim(due[0] ?? { pk: '', sk: '' }, 'me', T0, LEASE);
    // Assess
    expect(items).toBe(2);
    expect(due).toHaveLength(1);
    expect(group).toMatchObject({
      objectId: 'obj-1',
      uri: object.uri,
      dueAt: T0 + 15 * MINUTE,
      entryAddresses: ['10.0.1.81'],
    });
    expect(group?.edges).toEqual([{ edge: early, relayed: false }]);
    const all = await store.due(`${cluster}-a`, () => true, new Set());
    expect((await store.claim(all[1] ?? { pk: '', sk: '' }, 'me', T0, LEASE))?.edges).toEqual([
      { edge: late, relayed: true },
    ]);
  });

  it('lets one processor hold a group until its lease runs out, and never brings a decided group back', async () => {
    // Prepare
    const table = makeTable();
    const store = new PendingEdgeStore(table);
    await store.park(`${cluster}-b`, object, [{ edge: edge('10.0.1.80', T0), relayed: false }], new Set(), 0);
    const [key] = await store.due(`${cluster}-b`, () => true, new Set());
    if (!key) throw new Error('nothing parked');
    // Act / Assess: the first claim wins, the second loses while the lease holds, and wins after it
    expect(await store.claim(key, 'a', T0, LEASE)).toBeDefined();
    expect(await store.claim(key, 'b', T0 + LEASE - 1, LEASE)).toBeUndefined();
    expect(await store.claim(key, 'b', T0 + LEASE + 1, LEASE)).toBeDefined();
    // Act: b decides and removes it; a's claim comes back after the lease, too late
    await store.remove(key);
    // Assess: no group to decide, and no item left behind by the claim
    expect(await store.claim(key, 'a', T0 + 3 * LEASE, LEASE)).toBeUndefined();
    expect(await table.query(keys.pendingEdges(`${cluster}-b`))).toEqual([]);
  });

  it('moves the audit watermark forward only', async () => {
    // Prepare
    const watermark = new AuditWatermark(makeTable());
    expect(await watermark.get(`${cluster}-w`)).toBeUndefined();
    // Act
    const moved = [await watermark.advance(`${cluster}-w`, T0 + HOUR), await watermark.advance(`${cluster}-w`, T0)];
    // Assess: an older audit object processed late does not move it back
    expect(moved).toEqual([true, false]);
    expect(await watermark.get(`${cluster}-w`)).toBe(T0 + HOUR);
  });
});
