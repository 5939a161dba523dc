import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config/load';
import { AddressClassifier } from '../../shared/network/address';
import { EdgeAggregator } from '../../shared/network/edge-aggregator';
import { workloadEntity } from '../../shared/network/entity';
import { HourlyEdgeStore } from '../../shared/network/hourly-edge-store';
import { hourlyEdgeRecorder } from '../../shared/record/hourly-edge-recorder';
import { ObjectLedger } from '../../shared/store/ledger';
import { MemoryTable } from '../../shared/store/memory-table';
import { flowRecord } from '../network/support';

describe('hourlyEdgeRecorder', () => {
  it('writes an object’s hourly edges once each, whatever the number of records', async () => {
    // Prepare: 200 records of two pods of one workload to one server.
    const aggregator = new EdgeAggregator(new AddressClassifier(['10.0.0.0/16']));
    for (let i = 0; i < 200; i++) {
      aggregator.add(flowRecord({ srcAddr: i % 2 ? '10.0.1.57' : '10.0.1.58', srcPort: 40000 + i, bytes: 10 }));
    }
    const table = new MemoryTable();
    const session = hourlyEdgeRecorder.begin({ id: 'object-1', uri: 'test' });
    // Act
    for (const edge of aggregator.values()) {
      edge.clientEntity = workloadEntity('shop', 'web');
      session.see(edge);
    }
    const before = table.counters.writeRequests;
    await session.flush(table);
    // Assess: one item and the scope's pending day.
    expect(table.counters.writeRequests - before).toBe(2);
    await new ObjectLedger(table).markDone('object-1', 'test');
    const items = await new HourlyEdgeStore(table).day('vpc-0a', '2026-11-01');
    expect(items).toEqual([
      expect.objectContaining({
        key: 'internal|workload:shop/web|ip:10.0.2.9|443|6',
        bytesToServer: 2000,
        flows: 200,
        direction: 'internal',
      }),
    ]);
  });

  it('keeps hourly edges as long as the configured statistics window, plus a week', async () => {
    const aggregator = new EdgeAggregator(new AddressClassifier(['10.0.0.0/16']));
    aggregator.add(flowRecord({ srcAddr: '10.0.1.57', bytes: 10 }));
    const config = defaultConfig({ network: { stats: { windowDays: 30 } } });
    const table = new MemoryTable();
    const session = hourlyEdgeRecorder.begin({ id: 'object-1', uri: 'test', config });
    for (const edge of aggregator.values()) session.see(edge);
    await session.flush(table);
    const [item] = [...table.items()].filter((i) => i.pk.startsWith('NETMAP#') && i.packed !== undefined);
    const [edge] = [...aggregator.values()];
    const hour = Math.floor((edge?.time ?? 0) / 3_600_000) * 3_600_000;
    expect(item?.expiresAt).toBe(hour / 1000 + 37 * 86_400);
  });
});
