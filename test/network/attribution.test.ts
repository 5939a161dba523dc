import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config/load';
import { EntityResolver } from '../../shared/network/attribution';
import { EdgeAggregator } from '../../shared/network/edge-aggregator';
import type { FlowEdge } from '../../shared/network/flow-edge';
import { NetworkLabels } from '../../shared/network/labels';
import { PodIpMap } from '../../shared/network/pod-ip-map';
import { MemoryTable } from '../../shared/store/memory-table';
import { flowRecord } from './support';

const T0 = Date.parse('2026-11-01T10:00:00Z');

async function attributed(
  records: Parameters<typeof flowRecord>[0][],
): Promise<{ edges: FlowEdge[]; table: MemoryTable }> {
  const config = defaultConfig({
    network: {
      vpcCidrs: ['10.0.0.0/16'],
      labels: [{ cidr: '10.0.200.0/24', label: 'rds-subnets' }],
      entryPoints: { cidrs: [{ cidr: '10.0.0.37/32', label: 'alb' }] },
      sensitive: { cidrs: ['10.0.200.0/24'] },
    },
  });
  const labels = new NetworkLabels(config.network);
  const table = new MemoryTable();
  const map = new PodIpMap(table);
  await map.record(
    new Map([
      [
        '10.0.1.57',
        [
          {
            kind: 'pod',
            namespace: 'shop',
            pod: 'web-7d9c8b6f5d-x2k4q',
            workload: 'web',
            ownerKind: 'Deployment',
            from: T0 - 60_000,
            seen: T0,
          },
        ],
      ],
      ['10.0.1.23', [{ kind: 'node', node: 'ip-10-0-1-23.eu-west-1.compute.internal', from: T0, seen: T0 }]],
    ]),
  );
  const aggregator = new EdgeAggregator(labels.classifier);
  for (const r of records) aggregator.add(flowRecord({ start: T0 / 1000, ...r }));
  const edges = [...aggregator.values()];
  await new EntityResolver(labels, map).attribute(edges);
  return { edges, table };
}

describe('EntityResolver', () => {
  it('names workloads, nodes, labelled ranges, entry points, AWS services and the internet', async () => {
    const { edges } = await attributed([
      { srcAddr: '10.0.0.37', dstAddr: '10.0.1.57', dstPort: 8080 },
      { srcAddr: '10.0.1.57', dstAddr: '10.0.200.10', dstPort: 5432 },
      { srcAddr: '10.0.1.23', dstAddr: '10.0.1.5', dstPort: 443 },
      { srcAddr: '10.0.1.57', dstAddr: '52.218.16.7', dstPort: 443, pktDstAwsService: 'S3' },
      { srcAddr: '10.0.1.57', dstAddr: '3.120.9.9', dstPort: 443, pktDstAwsService: 'EC2' },
      { srcAddr: '10.0.4.4', dstAddr: '203.0.113.9', dstPort: 443 },
    ]);
    const named = edges.map((e) => [e.clientEntity?.id, e.serverEntity?.id]);
    expect(named).toEqual([
      ['entry:alb', 'workload:shop/web'],
      ['workload:shop/web', 'cidr:rds-subnets'],
      ['node:ip-10-0-1-23.eu-west-1.compute.internal', 'ip:10.0.1.5'],
      ['workload:shop/web', 'aws:S3'],
      ['workload:shop/web', 'external:3.120.9.0/24'],
      ['ip:10.0.4.4', 'external:203.0.113.0/24'],
    ]);
    expect(edges[0]?.serverEntity).toMatchObject({
      label: 'shop/web',
      group: 'shop',
      owner: 'Deployment/web',
      pod: 'web-7d9c8b6f5d-x2k4q',
    });
    expect(edges[1]?.serverEntity).toMatchObject({
      label: 'rds-subnets (10.0.200.0/24)',
      kind: 'cidr',
      sensitive: true,
    });
    // Nobody claimed 10.0.1.5: its address, its /24, and its group.
    expect(edges[2]?.serverEntity).toMatchObject({
      label: '10.0.1.5',
      kind: 'unknown',
      cidr: '10.0.1.0/24',
      group: 'vpc',
    });
  });

  it('looks up each distinct internal address once per object, in one batch', async () => {
    const { table } = await attributed([]);
    const before = table.counters.readRequests;
    const config = defaultConfig({ network: { vpcCidrs: ['10.0.0.0/16'] } });
    const labels = new NetworkLabels(config.network);
    const aggregator = new EdgeAggregator(labels.classifier);
    for (let i = 0; i < 500; i++)
      aggregator.add(flowRecord({ srcAddr: '10.0.1.57', srcPort: 40000 + i, dstAddr: `10.0.2.${i % 3}` }));
    const calls: number[] = [];
    const counting = new Proxy(table, {
      get(target, prop, receiver) {
        if (prop === 'batchGet') {
          return (keys: Parameters<MemoryTable['batchGet']>[0]) => {
            calls.push(keys.length);
            return target.batchGet(keys);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const result = await new EntityResolver(labels, new PodIpMap(counting)).attribute([...aggregator.values()]);
    expect(calls).toEqual([4]);
    expect(result).toEqual({ lookedUp: 4, attributed: 1 });
    expect(table.counters.readRequests - before).toBe(4);
  });
});
