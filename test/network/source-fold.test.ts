import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../shared/ingest/types';
import { parseCidr } from '../../shared/intel/cidr-index';
import { AddressClassifier, isInternal } from '../../shared/network/address';
import { EdgeAggregator } from '../../shared/network/edge-aggregator';
import type { FlowEdge } from '../../shared/network/flow-edge';
import { SourceSketch } from '../../shared/network/source-sketch';
import { addTraffic, emptyTraffic, type Traffic } from '../../shared/network/traffic';
import { flowRecord } from './support';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const classifier = new AddressClassifier(['10.0.0.0/16']);

/** Sources: public IPv4 in a few /16s (so blocks meet at /24 and /16), public IPv6, internal and private addresses. */
const source = fc.oneof(
  fc
    .tuple(fc.constantFrom(23, 198, 203), fc.constantFrom(0, 51, 113), fc.integer({ min: 0, max: 3 }), fc.nat(255))
    .map((parts) => parts.join('.')),
  fc
    .tuple(fc.constantFrom('2001:db8', '2600:1f18'), fc.nat(15), fc.nat(0xffff))
    .map(([p, a, b]) => `${p}:${a}::${b.toString(16)}`),
  fc.tuple(fc.nat(3), fc.nat(255)).map(([a, b]) => `10.0.${a}.${b}`),
  fc.constantFrom('192.168.1.4', '172.16.0.9', 'fd00::4', 'fd00::9'),
);

/** One connection attempt from a source to one of a few internal servers (SYN: the source is the client). */
const record = fc
  .record({
    src: source,
    dst: fc.constantFrom('10.0.0.37', '10.0.3.7', '10.0.3.8'),
    dstPort: fc.constantFrom(443, 8080),
    bytes: fc.nat(100_000),
    packets: fc.nat(50),
    start: fc.integer({ min: 1_793_527_200, max: 1_793_527_800 }),
    action: fc.constantFrom<FlowRecord['action']>('ACCEPT', 'REJECT'),
    vpc: fc.constantFrom('vpc-0a', 'vpc-0b'),
  })
  .map(({ vpc, src, dst, ...r }) =>
    flowRecord({ ...r, srcAddr: src, dstAddr: dst, srcPort: 40_000, tcpFlags: 2, vpcId: vpc }),
  );

function aggregate(records: readonly FlowRecord[], foldAbove: number): FlowEdge[] {
  const aggregator = new EdgeAggregator(classifier, { foldAbove });
  for (const r of records) aggregator.add(r);
  return aggregator.close();
}

function trafficOf(items: readonly Traffic[]): Traffic {
  const total = emptyTraffic();
  for (const item of items) addTraffic(total, item);
  return total;
}

/** Traffic by scope and server port: what folding must not change. */
function byTarget(edges: readonly FlowEdge[]): Map<string, Traffic> {
  const out = new Map<string, Traffic>();
  for (const e of edges) {
    const key = `${e.scope}|${e.server}|${e.serverPort}`;
    const total = out.get(key) ?? emptyTraffic();
    addTraffic(total, e);
    out.set(key, total);
  }
  return out;
}

function contains(cidr: string, address: string): boolean {
  const block = parseCidr(cidr);
  const one = parseCidr(address);
  return !!block && !!one && block.family === one.family && block.start <= one.start && one.end <= block.end;
}

/** An edge as order cannot change it: everything but where its first record was. */
function comparable(edges: readonly FlowEdge[]) {
  return edges
    .map(({ origin: _origin, ...rest }) => rest)
    .sort((a, b) =>
      `${a.scope}|${a.client}|${a.server}|${a.serverPort}`.localeCompare(
        `${b.scope}|${b.client}|${b.server}|${b.serverPort}`,
      ),
    );
}

describe('EdgeAggregator: folding public sources', () => {
  it('keeps every total, never folds an internal source, and holds each scope to the threshold', () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 30 }),
        (records, foldAbove) => {
          // Act
          const folded = aggregate(records, foldAbove);
          const plain = aggregate(records, Number.POSITIVE_INFINITY);
          // Assess: the traffic of every server port, and in all, is the records' own.
          expect(trafficOf(folded)).toEqual(trafficOf(plain));
          expect(trafficOf(folded).flows).toBe(records.length);
          expect(byTarget(folded)).toEqual(byTarget(plain));
          // Internal sources keep their edges exactly.
          const internal = (edges: FlowEdge[]) => comparable(edges.filter((e) => isInternal(e.clientClass)));
          expect(internal(folded)).toEqual(internal(plain));
          for (const scope of new Set(folded.map((e) => e.scope))) {
            const fromPublic = folded.filter((e) => e.scope === scope && e.clientClass === 'public');
            const prefix = fromPublic.find((e) => e.folded)?.folded?.prefix;
            // At most the threshold, unless folded as far as it goes (the whole internet, one block per server port).
            if (prefix !== 0) expect(fromPublic.length).toBeLessThanOrEqual(foldAbove);
            if (prefix === undefined) continue;
            // Folded, every public source is in its block, and its server port's fold sums its blocks.
            for (const r of records.filter(
              (r) => (r.vpcId ?? '') === scope && classifier.classify(r.srcAddr) === 'public',
            )) {
              const blocks = fromPublic.filter((e) => e.server === r.dstAddr && e.serverPort === r.dstPort);
              expect(blocks.filter((e) => contains(e.client, r.srcAddr))).toHaveLength(1);
            }
            for (const edge of fromPublic) {
              const siblings = fromPublic.filter((e) => e.server === edge.server && e.serverPort === edge.serverPort);
              expect(edge.folded).toMatchObject({ ...trafficOf(siblings), edges: siblings.length, prefix });
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('makes the same edges whatever the order of the records', () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer(),
        (records, foldAbove, seed) => {
          // Prepare: the same records shuffled.
          let state = seed;
          const shuffled = records
            .map((r) => {
              state = (Math.imul(state, 1_103_515_245) + 12_345) | 0;
              return { r, key: state };
            })
            .sort((a, b) => a.key - b.key)
            .map(({ r }) => r);
          // Act, Assess
          expect(comparable(aggregate(shuffled, foldAbove))).toEqual(comparable(aggregate(records, foldAbove)));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('does not fold a scope at or under the threshold', () => {
    // Prepare: 50 public sources in one scope, 50 in another.
    const records = Array.from({ length: 100 }, (_, i) =>
      flowRecord({
        srcAddr: `198.51.100.${i % 50}`,
        dstAddr: '10.0.3.7',
        vpcId: i < 50 ? 'vpc-0a' : 'vpc-0b',
        tcpFlags: 2,
      }),
    );
    // Act
    const edges = aggregate(records, 50);
    // Assess
    expect(edges).toHaveLength(100);
    expect(edges.some((e) => e.folded)).toBe(false);
    // One more source in the first scope folds it, and only it.
    const more = aggregate(
      [...records, flowRecord({ srcAddr: '198.51.100.77', dstAddr: '10.0.3.7', tcpFlags: 2 })],
      50,
    );
    const folded = more.filter((e) => e.scope === 'vpc-0a');
    expect(folded.map((e) => [e.client, e.flows, e.folded?.edges, e.folded?.prefix])).toEqual([
      ['198.51.100.0/24', 51, 1, 24],
    ]);
    expect(Math.abs((folded[0]?.folded?.sources ?? 0) - 51)).toBeLessThanOrEqual(2);
    expect(more.filter((e) => e.scope === 'vpc-0b' && !e.folded)).toHaveLength(50);
  });

  it('folds a scan by /24, then /16 and wider, until the scope is under the threshold, and counts its sources', () => {
    // Prepare: 5,000 distinct public sources scanning one server on 443, one record each, and one internal client.
    const sources = Array.from({ length: 5000 }, (_, i) => {
      const ip = (Math.imul(i + 1, 0x9e3779b1) >>> 0) % 0xdf00_0000;
      return `${ip >>> 24 || 1}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
    });
    const publicSources = sources.filter((s) => classifier.classify(s) === 'public');
    const records = [
      ...sources.map((srcAddr) => flowRecord({ srcAddr, dstAddr: '10.0.0.37', tcpFlags: 2, bytes: 60, packets: 1 })),
      flowRecord({ srcAddr: '10.0.1.5', dstAddr: '10.0.0.37', tcpFlags: 2 }),
    ];
    const aggregator = new EdgeAggregator(classifier, { foldAbove: 1000 });
    // Act
    for (const r of records) aggregator.add(r);
    const edges = aggregator.close();
    // Assess: /24 blocks were nearly as many as sources, /16 fewer than 1,000.
    const fromPublic = edges.filter((e) => e.clientClass === 'public');
    expect(fromPublic.length).toBeLessThanOrEqual(1000);
    expect(aggregator.size).toBe(edges.length);
    const fold = fromPublic[0]?.folded;
    expect(fold?.prefix).toBe(8);
    expect(fromPublic.every((e) => e.client.endsWith('.0.0.0/8') && e.folded === fold)).toBe(true);
    expect(fold).toMatchObject({
      flows: publicSources.length,
      bytesToServer: 60 * publicSources.length,
      edges: fromPublic.length,
    });
    expect(Math.abs((fold?.sources ?? 0) - publicSources.length)).toBeLessThan(0.1 * publicSources.length);
    expect(edges.find((e) => e.client === '10.0.1.5')).toMatchObject({ flows: 1, clientClass: 'vpc' });
    expect(edges.find((e) => e.client === '10.0.1.5')?.folded).toBeUndefined();
  });
});

describe('SourceSketch', () => {
  it('counts distinct sources within a few percent, whatever their order and repeats', () => {
    for (const n of [1, 10, 500, 20_000, 300_000]) {
      const sketch = new SourceSketch();
      const again = new SourceSketch();
      for (let i = 0; i < n; i++) sketch.add(Math.imul(i, 0x01000193) >>> 0);
      for (let i = n - 1; i >= 0; i--) {
        again.add(Math.imul(i, 0x01000193) >>> 0);
        again.add(Math.imul(i, 0x01000193) >>> 0);
      }
      expect(again.estimate()).toBe(sketch.estimate());
      expect(Math.abs(sketch.estimate() - n)).toBeLessThanOrEqual(Math.max(1, 0.08 * n));
    }
  });
});
