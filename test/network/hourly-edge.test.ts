import { describe, expect, it } from 'vitest';
import { AddressClassifier } from '../../shared/network/address';
import { EdgeAggregator } from '../../shared/network/edge-aggregator';
import { unknownEntity, workloadEntity } from '../../shared/network/entity';
import type { FlowEdge } from '../../shared/network/flow-edge';
import { directionOf, hourlyEdgeKey, hourlyEdges, hourlyEnds, hourlyPlacement } from '../../shared/network/hourly-edge';
import { HourlyEdgeStore } from '../../shared/network/hourly-edge-store';
import { ObjectLedger } from '../../shared/store/ledger';
import { MemoryTable } from '../../shared/store/memory-table';
import { unpackRows } from '../../shared/store/packing';
import { flowRecord } from './support';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-01T10:00:00Z');

function edges(records: Parameters<typeof flowRecord>[0][]): FlowEdge[] {
  const aggregator = new EdgeAggregator(new AddressClassifier(['10.0.0.0/16']));
  for (const r of records) aggregator.add(flowRecord(r));
  return [...aggregator.values()];
}

describe('hourly edges', () => {
  it('keys edges by direction, the entities at both ends, port and protocol', () => {
    const [internal, egress, ingress] = edges([
      { srcAddr: '10.0.1.57', dstAddr: '10.0.2.9', dstPort: 8080 },
      { srcAddr: '10.0.1.57', dstAddr: '203.0.113.9', dstPort: 443 },
      { srcAddr: '198.51.100.9', srcPort: 50000, dstAddr: '10.0.0.37', dstPort: 443 },
    ]) as [FlowEdge, FlowEdge, FlowEdge];
    internal.clientEntity = workloadEntity('shop', 'web');
    expect(hourlyEdgeKey(internal)).toBe('internal|workload:shop/web|ip:10.0.2.9|8080|6');
    expect([directionOf(internal), directionOf(egress), directionOf(ingress)]).toEqual([
      'internal',
      'egress',
      'ingress',
    ]);
  });

  it('places an edge by its entities once attributed, sharing the ends rather than copying them', () => {
    const [edge, other] = edges([
      { srcAddr: '10.0.1.57', dstAddr: '10.0.2.9', dstPort: 8080 },
      { srcAddr: '10.0.1.58', dstAddr: '10.0.2.9', dstPort: 8080 },
    ]) as [FlowEdge, FlowEdge];
    expect(hourlyPlacement(edge)).toMatchObject({ key: 'internal|ip:10.0.1.57|ip:10.0.2.9|8080|6' });
    edge.clientEntity = workloadEntity('shop', 'web');
    expect(hourlyPlacement(edge).key).toBe('internal|workload:shop/web|ip:10.0.2.9|8080|6');
    expect(hourlyPlacement(edge).client).toBe(edge.clientEntity);
    expect(hourlyEnds(edge)).toEqual(['workload:shop/web', 'ip:10.0.2.9']);
    edge.serverEntity = unknownEntity('10.0.2.9', '10.0.2.0/24', 'vpc');
    other.serverEntity = unknownEntity('10.0.2.9', '10.0.2.0/24', 'vpc');
    expect(hourlyPlacement(edge).server).toEqual({ id: 'subnet:10.0.2.0/24', label: '10.0.2.0/24' });
    expect(hourlyPlacement(edge).server).toBe(hourlyPlacement(other).server);
    expect(hourlyPlacement(edge).hour).toBe(Math.floor(edge.time / HOUR) * HOUR);
  });

  it('folds the pods of a workload into one edge per hour', () => {
    // Two objects: one of hour 10 with two pods, one of hour 11.
    const list = [
      ...edges([
        { srcAddr: '10.0.1.57', dstAddr: '10.0.2.9', dstPort: 8080, bytes: 100, start: T0 / 1000 },
        { srcAddr: '10.0.1.58', dstAddr: '10.0.2.9', dstPort: 8080, bytes: 200, start: T0 / 1000 + 60 },
      ]),
      ...edges([{ srcAddr: '10.0.1.58', dstAddr: '10.0.2.9', dstPort: 8080, bytes: 400, start: (T0 + HOUR) / 1000 }]),
    ];
    for (const edge of list) edge.clientEntity = workloadEntity('shop', 'web');
    const hourly = [...hourlyEdges(list).values()];
    expect(hourly.map((m) => [new Date(m.hour).toISOString(), m.bytesToServer, m.flows])).toEqual([
      ['2026-11-01T10:00:00.000Z', 300, 2],
      ['2026-11-01T11:00:00.000Z', 400, 1],
    ]);
  });

  it('writes each object once per hourly edge, sums an hour over objects, and lists the days to fold', async () => {
    // Prepare
    const table = new MemoryTable();
    const store = new HourlyEdgeStore(table);
    const part = (bytes: number) => [
      ...hourlyEdges(
        edges([{ srcAddr: '10.0.1.57', dstAddr: '10.0.2.9', dstPort: 8080, bytes, start: T0 / 1000 }]),
      ).values(),
    ];
    // Act: two objects, and the first delivered twice.
    await store.write('object-1', part(100));
    await store.write('object-2', part(250));
    await store.write('object-1', part(100));
    // Assess
    const key = part(1)[0]?.key as string;
    expect((await store.hourTotals('vpc-0a', T0, key)).bytesToServer).toBe(350);
    expect((await store.hourTotals('vpc-0a', T0 + HOUR, key)).bytesToServer).toBe(0);
    expect(await store.pendingDays('vpc-0a')).toEqual(['2026-11-01']);
    // The statistics read only what objects that are done wrote.
    expect(await store.day('vpc-0a', '2026-11-01')).toHaveLength(0);
    await new ObjectLedger(table).markDone('object-1', 'test');
    expect(await store.day('vpc-0a', '2026-11-01')).toHaveLength(1);
    await new ObjectLedger(table).markDone('object-2', 'test');
    expect(await store.day('vpc-0a', '2026-11-01')).toHaveLength(2);
  });

  it('stores an hourly edge as the row earlier releases wrote and read (fields by position)', async () => {
    // Prepare: one hourly edge; the row below is the stored format (bytesToServer and
    // bytesToClient sit where the statistics' bytesOut and bytesIn always were).
    const table = new MemoryTable();
    const [edge] = edges([{ srcAddr: '10.0.1.57', dstAddr: '10.0.2.9', dstPort: 8080, bytes: 100, start: T0 / 1000 }]);
    if (!edge) throw new Error('no edge');
    edge.clientEntity = workloadEntity('shop', 'web');
    const hourly = [...hourlyEdges([edge]).values()];
    // Act
    await new HourlyEdgeStore(table).write('object-1', hourly);
    // Assess
    const rows = [...table.items()].flatMap((item) => (item.packed ? unpackRows(item.packed as Uint8Array) : []));
    expect(rows).toEqual([
      [
        'vpc-0a',
        T0,
        'internal|workload:shop/web|ip:10.0.2.9|8080|6',
        'internal',
        'workload:shop/web',
        'ip:10.0.2.9',
        'shop/web',
        '10.0.2.9',
        8080,
        6,
        100,
        0,
        edge.packets,
        1,
        1,
        0,
        T0,
        T0,
      ],
    ]);
  });
});
