import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../shared/config/load';
import type { ConfigInput } from '../../shared/config/schema';
import { EntityResolver } from '../../shared/network/attribution';
import { EdgeAggregator } from '../../shared/network/edge-aggregator';
import { NetworkLabels } from '../../shared/network/labels';
import { holderAt, type PodIpEntry, PodIpMap } from '../../shared/network/pod-ip-map';
import { MemoryTable } from '../../shared/store/memory-table';
import { flowRecord } from './support';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const HOUR = 3_600_000;
const ADDRESS = '10.0.1.57';

/** Pod `shop/web-7d9c8b6f5d-x2k4q` of a cluster: both clusters run the same manifests, so the same pod name. */
function web(cluster: string, from: number, extra: Partial<PodIpEntry> = {}): PodIpEntry {
  return {
    kind: 'pod',
    cluster,
    namespace: 'shop',
    pod: 'web-7d9c8b6f5d-x2k4q',
    workload: 'web',
    ownerKind: 'Deployment',
    from,
    seen: from,
    ...extra,
  };
}

/** The address held by cluster a's pod from hour 1 to hour 2, then by cluster b's from hour 3 on. */
async function reusedAddress(table = new MemoryTable()): Promise<PodIpMap> {
  const map = new PodIpMap(table);
  await map.record(new Map([[ADDRESS, [web('a', T0 + HOUR)]]]));
  await map.record(new Map([[ADDRESS, [web('a', T0 + HOUR, { seen: T0 + 2 * HOUR, to: T0 + 2 * HOUR })]]]));
  await map.record(new Map([[ADDRESS, [web('b', T0 + 3 * HOUR)]]]));
  return map;
}

/** A resolver over `map` with the network config, cluster `a` the configured one. */
function resolverOf(map: PodIpMap, network: ConfigInput['network'] = {}) {
  const config = defaultConfig({ clusterName: 'a', network: { vpcCidrs: ['10.0.0.0/16'], ...network } });
  const labels = new NetworkLabels(config.network, config.clusterName);
  return { labels, clusters: labels.clusters, resolver: new EntityResolver(labels, map) };
}

/** The edge of a flow from `src` to the database at `time` in `vpc`, named. */
async function clientAt(
  { labels, resolver }: ReturnType<typeof resolverOf>,
  time: number,
  vpc = 'vpc-0a',
  src = ADDRESS,
) {
  const aggregator = new EdgeAggregator(labels.classifier);
  aggregator.add(flowRecord({ srcAddr: src, dstAddr: '10.0.200.10', dstPort: 5432, start: time / 1000, vpcId: vpc }));
  const edges = [...aggregator.values()];
  await resolver.attribute(edges);
  const [edge] = edges;
  if (!edge) throw new Error('no edge');
  return edge;
}

describe('PodIpMap with two clusters', () => {
  it('keeps two clusters’ pods of the same name on one address apart', async () => {
    // Act
    const map = await reusedAddress();
    // Assess
    const entries = (await map.lookup([ADDRESS])).get(ADDRESS) ?? [];
    expect(entries.map((e) => [e.cluster, e.from, e.to])).toEqual([
      ['b', T0 + 3 * HOUR, undefined],
      ['a', T0 + HOUR, T0 + 2 * HOUR],
    ]);
  });

  it('names the holder of the time: cluster a’s pod while it ran, cluster b’s after', async () => {
    const entries = ((await (await reusedAddress()).lookup([ADDRESS])).get(ADDRESS) ?? []) as PodIpEntry[];
    expect(holderAt(entries, T0 + 90 * 60_000)?.cluster).toBe('a');
    expect(holderAt(entries, T0 + 2 * HOUR)?.cluster).toBe('a');
    expect(holderAt(entries, T0 + 150 * 60_000)).toBeUndefined();
    expect(holderAt(entries, T0 + 4 * HOUR)?.cluster).toBe('b');
  });

  it('gives a holder recorded before entries named clusters the cluster of its next report', async () => {
    const map = new PodIpMap(new MemoryTable());
    await map.record(new Map([[ADDRESS, [{ ...web('a', T0), cluster: undefined }]]]));
    await map.record(new Map([[ADDRESS, [web('a', T0)]]]));
    expect((await map.lookup([ADDRESS])).get(ADDRESS)?.map((e) => e.cluster)).toEqual(['a']);
  });
});

describe('EntityResolver with two clusters', () => {
  it('names the other cluster’s workload apart once the config lists it, the configured one’s as before', async () => {
    // Prepare
    const named = resolverOf(await reusedAddress(), { clusters: [{ name: 'a' }, { name: 'b' }] });
    // Act
    const before = await clientAt(named, T0 + 90 * 60_000);
    const after = await clientAt(named, T0 + 4 * HOUR);
    // Assess
    expect(before.clientEntity).toMatchObject({ id: 'workload:shop/web', label: 'shop/web', group: 'shop' });
    expect(before.clientEntity?.cluster).toBeUndefined();
    expect(after.clientEntity).toMatchObject({
      id: 'workload:b:shop/web',
      label: 'b:shop/web',
      group: 'b:shop',
      cluster: 'b',
    });
    expect(named.clusters.ofEdge(before)).toBe('a');
    expect(named.clusters.ofEdge(after)).toBe('b');
  });

  it('keeps today’s names when the config lists no second cluster', async () => {
    const named = resolverOf(await reusedAddress());
    const after = await clientAt(named, T0 + 4 * HOUR);
    expect(after.clientEntity?.id).toBe('workload:shop/web');
    expect(named.clusters.ofEdge(after)).toBe('a');
  });

  it('never looks for a cluster’s pods in a VPC the config puts it outside', async () => {
    // Prepare: cluster b runs in vpc-0b only, which reuses vpc-0a's ranges
    const named = resolverOf(await reusedAddress(), {
      clusters: [
        { name: 'a', vpcs: ['vpc-0a'] },
        { name: 'b', vpcs: ['vpc-0b'] },
      ],
    });
    // Act
    const inA = await clientAt(named, T0 + 4 * HOUR, 'vpc-0a');
    const inB = await clientAt(named, T0 + 4 * HOUR, 'vpc-0b');
    const earlierInB = await clientAt(named, T0 + 90 * 60_000, 'vpc-0b');
    // Assess: in vpc-0a the address is nobody's after cluster a's pod stopped; in vpc-0b never cluster a's
    expect(inA.clientEntity?.kind).toBe('unknown');
    expect(inB.clientEntity?.id).toBe('workload:b:shop/web');
    expect(earlierInB.clientEntity?.kind).toBe('unknown');
    expect(named.clusters.ofEdge(inA)).toBe('a');
  });

  it('puts an address no audit log reported in the cluster whose configured range holds it', async () => {
    const named = resolverOf(new PodIpMap(new MemoryTable()), {
      clusters: [
        { name: 'a', cidrs: ['10.0.0.0/18'] },
        { name: 'b', cidrs: ['10.0.64.0/18'] },
      ],
    });
    const inB = await clientAt(named, T0, 'vpc-0a', '10.0.70.9');
    const inA = await clientAt(named, T0, 'vpc-0a', '10.0.1.9');
    expect(inB.clientEntity?.id).toBe('ip:10.0.70.9');
    expect(named.clusters.ofEdge(inB)).toBe('b');
    expect(named.clusters.ofEdge(inA)).toBe('a');
  });
});

describe('network.clusters config', () => {
  it('says in one line what is wrong', () => {
    expect(() => parseConfig({ network: { clusters: [{ name: 'a' }, { name: 'a' }] } })).toThrow(
      /network\.clusters.*name each cluster once/,
    );
    expect(() => parseConfig({ network: { clusters: [{ name: 'a', vpcs: ['10.0.0.0/16'] }] } })).toThrow(
      /network\.clusters\[0\]\.vpcs\[0\]: must look like vpc-0abc/,
    );
    expect(() => parseConfig({ network: { clusters: [{ name: 'a', cidrs: ['ten'] }] } })).toThrow(
      /must be an address or a CIDR/,
    );
  });
});
