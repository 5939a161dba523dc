import { describe, expect, it } from 'vitest';
import { subnetBlock } from '../../shared/network/address';
import { unknownEntity } from '../../shared/network/entity';
import { placeFindings } from '../../shared/report/highlights';
import { buildNetworkMap } from '../../shared/report/network-map';
import { RunEdgeRecorder } from '../../shared/report/run-edge-recorder';
import { exampleEdge, finding, record, workload } from './fixtures';

/** Internet -> load balancer -> web -> database; a miner; S3; an IPv6 client. */
function shop() {
  return [
    exampleEdge({ client: '203.0.113.7', server: '10.0.0.37', serverPort: 443 }),
    exampleEdge({ client: '2001:db8:1::5', server: '10.0.0.37', serverPort: 443 }),
    exampleEdge({ client: '10.0.0.37', server: '10.0.1.20', serverPort: 8080, bytesToServer: 90_000 }),
    exampleEdge({ client: '10.0.1.20', server: '10.0.200.10', serverPort: 5432 }),
    exampleEdge({ client: '10.0.1.21', server: '198.51.100.77', serverPort: 3333 }),
    exampleEdge({ client: '10.0.1.20', server: '52.218.0.1', serverService: 'S3' }),
  ];
}

async function recorded(edges = shop()) {
  const recorder = new RunEdgeRecorder();
  await record(recorder, 'o1', edges);
  return recorder.edges();
}

describe('buildNetworkMap', () => {
  it('groups addresses by subnet, the outside world by /24 or /48 in "internet", and AWS services in "aws"', async () => {
    const { map } = buildNetworkMap(await recorded());
    const groupOf = Object.fromEntries(map.nodes.map((n) => [n.id, n.group]));
    expect(groupOf).toEqual({
      'ip:10.0.0.37': 'subnet:10.0.0.0/24',
      'ip:10.0.1.20': 'subnet:10.0.1.0/24',
      'ip:10.0.1.21': 'subnet:10.0.1.0/24',
      'ip:10.0.200.10': 'subnet:10.0.200.0/24',
      'net:203.0.113.0/24': 'internet',
      'net:2001:db8:1::/48': 'internet',
      'net:198.51.100.0/24': 'internet',
      'aws:S3': 'aws',
    });
    expect(map.groups.map((g) => g.id).sort()).toEqual([
      'aws',
      'internet',
      'subnet:10.0.0.0/24',
      'subnet:10.0.1.0/24',
      'subnet:10.0.200.0/24',
    ]);
    expect(map.links).toHaveLength(6);
    expect(map.links.find((l) => l.id === 'ip:10.0.0.37->ip:10.0.1.20')).toMatchObject({
      bytesToServer: 90_000,
      ports: [{ port: 8080, protocol: 6 }],
    });
    expect(map.links.reduce((sum, l) => sum + l.flows, 0)).toBe(12);
  });

  it('draws entities as nodes grouped by NetworkEntity.group when edges carry them', async () => {
    const web = workload('shop', 'web');
    const rds = {
      id: 'cidr:rds-subnets',
      label: 'rds-subnets (10.0.200.0/24)',
      group: 'rds-subnets',
      kind: 'cidr' as const,
    };
    const { map } = buildNetworkMap(
      await recorded([
        exampleEdge({
          client: '10.0.1.20',
          server: '10.0.200.10',
          serverPort: 5432,
          clientEntity: web,
          serverEntity: rds,
        }),
        exampleEdge({
          client: '10.0.1.22',
          server: '10.0.200.10',
          serverPort: 5432,
          clientEntity: web,
          serverEntity: rds,
        }),
      ]),
    );
    expect(map.nodes.map((n) => [n.id, n.label, n.group, n.addresses])).toEqual([
      ['cidr:rds-subnets', 'rds-subnets (10.0.200.0/24)', 'group:rds-subnets', 1],
      ['workload:shop/web', 'shop/web', 'group:shop', 2],
    ]);
    expect(map.links).toHaveLength(1);
  });

  it('keeps the node count readable: quiet external blocks and internal addresses collapse, named ones stay', async () => {
    // Prepare: six internet clients of the load balancer, two destinations, and ten quiet pods.
    const edges = [
      ...[1, 2, 3, 4, 5, 6].map((i) =>
        exampleEdge({ client: `198.51.${i}.9`, server: '10.0.0.37', serverPort: 443, bytesToServer: 1000 * i }),
      ),
      exampleEdge({ client: '10.0.1.20', server: '192.0.2.44', serverPort: 443 }),
      exampleEdge({ client: '10.0.1.20', server: '203.0.113.10', serverPort: 443, bytesToServer: 1 }),
      ...[30, 31, 32, 33, 34, 35, 36, 37, 38, 39].map((i) =>
        exampleEdge({ client: `10.0.2.${i}`, server: '10.0.1.20', serverPort: 8080, bytesToServer: i }),
      ),
    ];
    // Act
    const { map } = buildNetworkMap(await recorded(edges), {
      maxExternalNodes: 5,
      maxNodes: 12,
      pinned: ['198.51.1.9', '10.0.2.30'],
    });
    // Assess: destinations first, then the pinned quiet client, then the busiest client.
    const external = map.nodes.filter((n) => n.group === 'internet').map((n) => n.id);
    expect(external.sort()).toEqual(
      ['net:192.0.2.0/24', 'net:203.0.113.0/24', 'net:198.51.1.0/24', 'net:198.51.6.0/24', 'net:other-clients'].sort(),
    );
    expect(map.nodes.find((n) => n.id === 'net:other-clients')?.addresses).toBe(4);
    expect(map.nodes.length).toBeLessThanOrEqual(12);
    expect(map.nodes.some((n) => n.id === 'ip:10.0.2.30')).toBe(true);
    expect(map.nodes.some((n) => n.id === 'subnet:10.0.2.0/24')).toBe(true);
    expect(map.totals).toMatchObject({ collapsedExternal: 4, recordedEdges: 18 });
    expect(map.links.reduce((sum, l) => sum + l.flows, 0)).toBe(36);
  });

  it('draws one IPv6 /64 as one subnet node, whether its addresses are written short, long or by attribution', async () => {
    // Prepare: three quiet clients of one /64, in shortened and long form and as an unknown entity
    // (whose CIDR attribution gives).
    const edges = [
      exampleEdge({ client: 'fd00::5', server: '10.0.1.20', serverPort: 8080 }),
      exampleEdge({ client: 'fd00:0000:0000:0000:0000:0000:0000:0009', server: '10.0.1.20', serverPort: 8080 }),
      exampleEdge({
        client: 'fd00::7',
        server: '10.0.1.20',
        serverPort: 8080,
        clientEntity: unknownEntity('fd00::7', subnetBlock('fd00::7'), 'private'),
      }),
    ];
    // Act: too many nodes, so the quiet clients collapse into their subnet.
    const { map, index } = buildNetworkMap(await recorded(edges), { maxNodes: 2 });
    const [place] = placeFindings(map, index, [
      finding({ ruleId: 'net.port-scan', roles: { client: { address: 'fd00:0:0:0::77' } } }),
    ]);
    // Assess
    expect(map.nodes.map((n) => [n.id, n.addresses])).toEqual([
      ['subnet:fd00::/64', 3],
      ['ip:10.0.1.20', 1],
    ]);
    expect(place?.nodes).toEqual(['subnet:fd00::/64']);
  });
});

describe('placeFindings', () => {
  it('points a flow finding at the link between its client and server, on its port', async () => {
    const { map, index } = buildNetworkMap(await recorded());
    const [threat, scan, audit] = placeFindings(map, index, [
      finding({
        ruleId: 'net.threat-intel-match',
        // Entity names play no part: only the typed roles do.
        entities: { srcAddr: '10.0.1.99', dstAddr: '10.0.1.98', sourceWorkload: 'shop/web' },
        roles: { client: { address: '10.0.1.21' }, server: { address: '198.51.100.77' }, port: 3333 },
      }),
      finding({ ruleId: 'net.port-scan', roles: { client: { address: '10.0.1.21' } } }),
      finding({
        ruleId: 'audit.exec-into-pod',
        source: 'eks-audit',
        entities: { user: '10.0.1.21', srcAddr: '10.0.1.21' },
      }),
    ]);
    expect(threat).toEqual({
      links: ['ip:10.0.1.21->net:198.51.100.0/24'],
      nodes: ['ip:10.0.1.21', 'net:198.51.100.0/24'],
      exposure: false,
    });
    expect(scan).toEqual({ links: [], nodes: ['ip:10.0.1.21'], exposure: false });
    expect(audit).toEqual({ links: [], nodes: [], exposure: false });
  });

  it('draws a path by its hops, through the load balancer when there is no direct link', async () => {
    const { map, index } = buildNetworkMap(await recorded());
    const [place] = placeFindings(map, index, [
      finding({
        ruleId: 'net.any-rule-with-a-path',
        roles: {
          path: [{ address: '203.0.113.7' }, { address: '10.0.1.20' }, { address: '10.0.200.10' }],
          port: 5432,
        },
      }),
    ]);
    expect(place?.exposure).toBe(true);
    expect(place?.links.sort()).toEqual([
      'ip:10.0.0.37->ip:10.0.1.20',
      'ip:10.0.1.20->ip:10.0.200.10',
      'net:203.0.113.0/24->ip:10.0.0.37',
    ]);
  });

  it('draws an exposure path by entity ids, else by names', async () => {
    const web = workload('shop', 'web');
    const lb = { id: 'load-balancer:shop/web', label: 'shop/web (ALB)', group: 'shop', kind: 'load-balancer' as const };
    const rds = {
      id: 'cidr:rds-subnets',
      label: 'rds-subnets (10.0.200.0/24)',
      group: 'rds-subnets',
      kind: 'cidr' as const,
    };
    const internet = {
      id: 'external:203.0.113.0/24',
      label: '203.0.113.0/24',
      group: 'internet',
      kind: 'external' as const,
    };
    const { map, index } = buildNetworkMap(
      await recorded([
        exampleEdge({ client: '203.0.113.7', server: '10.0.0.37', clientEntity: internet, serverEntity: lb }),
        exampleEdge({
          client: '10.0.0.37',
          server: '10.0.1.20',
          serverPort: 8080,
          clientEntity: lb,
          serverEntity: web,
        }),
        exampleEdge({
          client: '10.0.1.20',
          server: '10.0.200.10',
          serverPort: 5432,
          clientEntity: web,
          serverEntity: rds,
        }),
        exampleEdge({
          client: '10.0.1.20',
          server: '10.0.200.11',
          serverPort: 443,
          clientEntity: web,
          serverEntity: rds,
        }),
      ]),
    );
    const [byIds, byLabels] = placeFindings(map, index, [
      finding({
        ruleId: 'net.exposure-path',
        roles: {
          path: [
            { entity: 'external:203.0.113.0/24' },
            { entity: 'workload:shop/web', name: 'not a label' },
            { entity: 'cidr:rds-subnets' },
          ],
          port: 5432,
        },
      }),
      finding({
        ruleId: 'net.exposure-path',
        roles: {
          path: [
            { name: 'internet' },
            { entity: 'workload:shop/gone', name: 'shop/web' },
            { name: 'rds-subnets (10.0.200.0/24)' },
          ],
        },
      }),
    ]);
    const expected = [
      'external:203.0.113.0/24->load-balancer:shop/web',
      'load-balancer:shop/web->workload:shop/web',
      'workload:shop/web->cidr:rds-subnets',
    ];
    expect(byIds?.links.sort()).toEqual(expected.sort());
    expect(byLabels?.links.sort()).toEqual(expected.sort());
    expect(byIds?.nodes).toContain('workload:shop/web');
  });
});
