import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FlowField,
  type FlowLine,
  readFlowLines,
  readFlowObject,
  STACK_FLOW_HEADER,
} from '../../shared/ingest/flow-reader';
import { newReadStats } from '../../shared/ingest/stats';
import { AddressClassifier } from '../../shared/network/address';
import { EdgeAggregator } from '../../shared/network/edge-aggregator';
import { streamOf } from '../support/formats';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const classifier = new AddressClassifier(['10.0.0.0/16', 'fd00::/8']);
const options = { watchInterfaces: new Set(['eni-lb']) };

/** Addresses of every shape a log holds: canonical IPv4, IPv6, written-out zeros, missing. */
const address = fc.constantFrom(
  '10.0.1.5',
  '10.0.2.9',
  '10.0.3.7',
  '203.0.113.9',
  '198.51.100.20',
  '0.0.0.0',
  '255.255.255.255',
  'fd00::1',
  'fd00:0:0:0::1',
  '2001:db8::7',
  '010.0.1.5',
  '-',
);
const port = fc.oneof(
  fc.constantFrom('443', '5432', '53', '0', '-'),
  fc.integer({ min: 1024, max: 65535 }).map(String),
);

const line = fc
  .record({
    account: fc.constantFrom('123456789012', '210987654321', '-'),
    eni: fc.constantFrom('eni-0a', 'eni-lb', 'eni-nat', '-'),
    src: address,
    dst: address,
    pktSrc: fc.oneof(address, fc.constant('same')),
    pktDst: fc.oneof(address, fc.constant('same')),
    srcPort: port,
    dstPort: port,
    protocol: fc.constantFrom('6', '17', '1', '-'),
    packets: fc.oneof(fc.integer({ min: 0, max: 5000 }).map(String), fc.constant('-')),
    bytes: fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }).map(String), fc.constant('-')),
    start: fc.oneof(fc.integer({ min: 1793520000, max: 1793530000 }).map(String), fc.constant('-')),
    action: fc.constantFrom('ACCEPT', 'REJECT', '-'),
    vpc: fc.constantFrom('vpc-0a', 'vpc-0b', '-'),
    flags: fc.constantFrom('2', '18', '16', '0', '4', '-'),
    service: fc.constantFrom('-', 'S3', 'AMAZON'),
    direction: fc.constantFrom('ingress', 'egress', '-'),
  })
  .map(
    (f) =>
      `5 ${f.account} ${f.eni} ${f.src} ${f.dst} ${f.srcPort} ${f.dstPort} ${f.protocol} ${f.packets} ${f.bytes} ${f.start} ${f.start === '-' ? '-' : Number(f.start) + 60} ${f.action} OK ${f.vpc} subnet-0a i-0a ${f.flags} IPv4 ${f.pktSrc === 'same' ? f.src : f.pktSrc} ${f.pktDst === 'same' ? f.dst : f.pktDst} eu-west-1 euw1-az1 ${f.service} - ${f.direction} 1`,
  );

async function aggregate(text: string, chunk: number, byLine: boolean, foldAbove?: number) {
  const edges = new EdgeAggregator(classifier, { ...options, ...(foldAbove ? { foldAbove } : {}) });
  const stats = newReadStats();
  const source = streamOf(text, chunk);
  if (byLine) await readFlowLines(source, { uri: 'f.log', stats }, (l) => edges.addLine(l));
  else await readFlowObject(source, { uri: 'f.log', stats }, (r) => edges.add(r));
  return {
    edges: [...edges.values()],
    relays: [...edges.relays].sort(),
    interfaces: [...edges.interfaceAddresses].map(([eni, set]) => [eni, [...set].sort()]),
    stats,
  };
}

describe('EdgeAggregator.addLine', () => {
  it('makes the same edges from parsed lines as from record objects, whatever the lines hold', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 7, max: 400 }),
        async (lines, chunk) => {
          const text = `${STACK_FLOW_HEADER}\n${lines.join('\n')}\n`;
          const byLine = await aggregate(text, chunk, true);
          const byRecord = await aggregate(text, 64 * 1024, false);
          expect(byLine.edges).toEqual(byRecord.edges);
          expect(JSON.stringify(byLine.edges)).toBe(JSON.stringify(byRecord.edges));
          expect(byLine.relays).toEqual(byRecord.relays);
          expect(byLine.interfaces).toEqual(byRecord.interfaces);
          expect(byLine.stats).toEqual(byRecord.stats);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('folds public sources into the same blocks from lines as from records', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 7, max: 400 }),
        fc.integer({ min: 1, max: 3 }),
        async (lines, chunk, foldAbove) => {
          const text = `${STACK_FLOW_HEADER}\n${lines.join('\n')}\n`;
          const byLine = await aggregate(text, chunk, true, foldAbove);
          const byRecord = await aggregate(text, 64 * 1024, false, foldAbove);
          expect(JSON.stringify(byLine.edges)).toBe(JSON.stringify(byRecord.edges));
          expect(byLine.relays).toEqual(byRecord.relays);
          expect(byLine.interfaces).toEqual(byRecord.interfaces);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('learns the same relays and watched-interface addresses from lines as from records', async () => {
    // Prepare: a NAT gateway (IPv4 and IPv6 relays), an interface that relays nothing, a line
    // without packet addresses, and the watched load balancer sending and receiving.
    const text = [
      STACK_FLOW_HEADER,
      '5 1 eni-nat 10.0.9.9 203.0.113.9 43512 443 6 4 300 1793527260 1793527320 ACCEPT OK vpc-0a s i 2 IPv4 10.0.1.5 203.0.113.9 r az - - egress 1',
      '5 1 eni-nat 203.0.113.9 10.0.9.9 443 43512 6 4 300 1793527260 1793527320 ACCEPT OK vpc-0a s i 18 IPv4 203.0.113.9 10.0.1.5 r az - - ingress 1',
      '5 1 eni-nat fd00::9 2001:db8::7 43512 443 6 4 300 1793527260 1793527320 ACCEPT OK vpc-0a s i 2 IPv6 fd00:0:0:0::9 2001:db8::7 r az - - egress 1',
      '5 1 eni-0a 10.0.2.9 10.0.3.7 43512 5432 6 4 300 1793527260 1793527320 ACCEPT OK vpc-0a s i 2 IPv4 10.0.2.9 10.0.3.7 r az - - egress 1',
      '5 1 eni-0a 10.0.2.8 10.0.3.7 43512 5432 6 4 300 1793527260 1793527320 ACCEPT OK vpc-0a s i 2 IPv4 - - r az - - egress 1',
      '5 1 eni-lb 10.0.4.4 10.0.5.5 43512 8080 6 4 300 1793527260 1793527320 ACCEPT OK vpc-0a s i 2 IPv4 198.51.100.20 10.0.5.5 r az - - egress 1',
      '5 1 eni-lb 198.51.100.20 10.0.4.5 43512 443 6 4 300 1793527260 1793527320 ACCEPT OK vpc-0a s i 2 IPv4 - - r az - - ingress 1',
      '5 1 eni-lb 198.51.100.21 - 43512 443 6 4 300 1793527260 1793527320 ACCEPT OK vpc-0a s i 2 IPv4 - 10.0.4.6 r az - - ingress 1',
    ].join('\n');
    // Act
    const byLine = await aggregate(text, 64, true);
    const byRecord = await aggregate(text, 64 * 1024, false);
    // Assess
    for (const learned of [byLine, byRecord]) {
      expect(learned.relays).toEqual(['10.0.4.4', '10.0.9.9', 'fd00::9']);
      expect(learned.interfaces).toEqual([['eni-lb', ['10.0.4.4', '10.0.4.5', '10.0.4.6']]]);
    }
    expect(byLine.edges).toEqual(byRecord.edges);
  });

  it('folds replies into the conversation and keeps the earliest line as its origin', async () => {
    const text = [
      STACK_FLOW_HEADER,
      '5 1 eni-0a 10.0.1.5 10.0.2.9 43512 5432 6 4 300 1793527260 1793527320 ACCEPT OK vpc-0a s i 2 IPv4 10.0.1.5 10.0.2.9 r az - - egress 1',
      '5 1 eni-0a 10.0.2.9 10.0.1.5 5432 43512 6 6 900 1793527200 1793527260 ACCEPT OK vpc-0a s i 18 IPv4 10.0.2.9 10.0.1.5 r az - - ingress 1',
      '5 1 eni-0a 10.0.1.5 10.0.2.9 43513 5432 6 1 60 1793527400 1793527460 REJECT OK vpc-0a s i 2 IPv4 10.0.1.5 10.0.2.9 r az - - egress 1',
    ].join('\n');
    const { edges } = await aggregate(text, 50, true);
    expect(edges).toHaveLength(1);
    expect(edges[0]).toMatchObject({
      scope: 'vpc-0a',
      client: '10.0.1.5',
      server: '10.0.2.9',
      serverPort: 5432,
      protocol: 6,
      bytesToServer: 360,
      bytesToClient: 900,
      packets: 11,
      flows: 3,
      accepted: 2,
      rejected: 1,
      opened: 2,
      time: 1793527200_000,
      lastTime: 1793527400_000,
      origin: { uri: 'f.log', line: 3 },
    });
  });

  it('brings counts up to date on every call to values() and keeps what callers added to an edge', async () => {
    const edges = new EdgeAggregator(classifier);
    const row =
      '5 1 eni-0a 10.0.1.5 10.0.2.9 43512 443 6 1 100 1793527200 1793527260 ACCEPT OK vpc-0a s i 2 IPv4 - - r az - - egress 1';
    const read = (text: string) =>
      readFlowLines(streamOf(text), { uri: 'f.log', stats: newReadStats() }, (l) => edges.addLine(l));
    await read(`${STACK_FLOW_HEADER}\n${row}\n`);
    const [first] = [...edges.values()];
    if (!first) throw new Error('no edge');
    first.clientEntity = { kind: 'external', id: 'x', name: 'x' } as never;
    await read(`${STACK_FLOW_HEADER}\n${row}\n`);
    const [again] = [...edges.values()];
    expect(again).toBe(first);
    expect(again).toMatchObject({ flows: 2, bytesToServer: 200, clientEntity: { id: 'x' } });
  });
});

describe('EdgeAggregator.close', () => {
  it('gives the edges once more and refuses records after', async () => {
    const edges = new EdgeAggregator(classifier);
    const row =
      '5 1 eni-0a 10.0.1.5 10.0.2.9 43512 443 6 1 100 1793527200 1793527260 ACCEPT OK vpc-0a s i 2 IPv4 - - r az - - egress 1';
    const read = () =>
      readFlowLines(streamOf(`${STACK_FLOW_HEADER}\n${row}\n`), { uri: 'f.log', stats: newReadStats() }, (l) =>
        edges.addLine(l),
      );
    await read();
    const closed = edges.close();
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ flows: 1, bytesToServer: 100, origin: { uri: 'f.log', line: 2 } });
    await expect(read()).rejects.toThrow(/after close/);
  });
});

describe('FlowLine', () => {
  it('gives text only when asked, reusing strings, and compares bytes without making one', async () => {
    const seen: { vpc?: string; same: boolean; other: boolean; missing: boolean; port: number }[] = [];
    const text = `${STACK_FLOW_HEADER}\n${[1, 2].map(() => '5 1 eni-0a 10.0.1.5 10.0.2.9 43512 443 6 1 100 1793527200 1793527260 ACCEPT OK vpc-0a s i 2 IPv4 - - r az - - egress 1').join('\n')}\n`;
    await readFlowLines(streamOf(text, 13), { uri: 'f', stats: newReadStats() }, (l: FlowLine) =>
      seen.push({
        vpc: l.text(FlowField.VpcId),
        same: l.hasText(FlowField.VpcId, 'vpc-0a'),
        other: l.hasText(FlowField.VpcId, 'vpc-0b'),
        missing: l.hasText(FlowField.PktSrcAddr, undefined),
        port: l.values[FlowField.DstPort] as number,
      }),
    );
    expect(seen).toEqual([
      { vpc: 'vpc-0a', same: true, other: false, missing: true, port: 443 },
      { vpc: 'vpc-0a', same: true, other: false, missing: true, port: 443 },
    ]);
  });

  it('reads a line with UTF-8 text in an extra field, and rejects one with bytes that are not UTF-8', async () => {
    const stats = newReadStats();
    const records: { extras?: Record<string, string> }[] = [];
    const good = Buffer.from('srcaddr dstaddr note\n10.0.0.1 10.0.0.2 café\n');
    const bad = Buffer.concat([Buffer.from('10.0.0.1 10.0.0.2 caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    await readFlowObject(
      streamOf(Buffer.concat([good, bad, Buffer.from('10.0.0.1 10.0.0.2 tea\r\n')]), 5),
      { uri: 'f', stats },
      (r) => records.push(r),
    );
    expect(records.map((r) => r.extras?.note)).toEqual(['café', 'tea']);
    expect(stats.rejected['invalid-utf8']).toBe(1);
  });
});
