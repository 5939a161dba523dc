import { describe, expect, it } from 'vitest';
import { canonicalIpv4 } from '../../shared/intel/cidr-index';
import { AddressClassifier } from '../../shared/network/address';
import { EdgeAggregator } from '../../shared/network/edge-aggregator';
import { type FlowEdge, isProbeLike, recordIsFromClient, relayedDuplicates } from '../../shared/network/flow-edge';
import { ServicePorts } from '../../shared/network/ports';
import { flowRecord } from './support';

describe('recordIsFromClient', () => {
  it('believes TCP flags first: SYN is the client, SYN-ACK the server', () => {
    expect(recordIsFromClient(flowRecord({ srcPort: 443, dstPort: 45000, tcpFlags: 2 }))).toBe(true);
    expect(recordIsFromClient(flowRecord({ srcPort: 45000, dstPort: 443, tcpFlags: 18 }))).toBe(false);
  });

  it('takes the end on a service port as the server when a NAT gateway picked a low source port', () => {
    // Prepare: a NAT gateway's translated port (1024-65535) talking to 8443, without flags.
    const fromNat = flowRecord({ srcAddr: '10.0.0.100', srcPort: 2200, dstAddr: '203.0.113.9', dstPort: 8443 });
    const reply = flowRecord({ srcAddr: '203.0.113.9', srcPort: 8443, dstAddr: '10.0.0.100', dstPort: 2200 });
    // Act + Assess: the old rule (lower non-ephemeral port is the server) would have picked 2200.
    expect(recordIsFromClient(fromNat)).toBe(true);
    expect(recordIsFromClient(reply)).toBe(false);
  });

  it('takes configured sensitive and mining ports as server ports', () => {
    const services = new ServicePorts([14444, 7777]);
    expect(recordIsFromClient(flowRecord({ srcPort: 3100, dstPort: 14444 }), services)).toBe(true);
    expect(recordIsFromClient(flowRecord({ srcPort: 14444, dstPort: 3100 }), services)).toBe(false);
  });

  it('prefers a well-known port when both ends are on listed ports', () => {
    expect(recordIsFromClient(flowRecord({ srcPort: 8080, dstPort: 443 }))).toBe(true);
    expect(recordIsFromClient(flowRecord({ srcPort: 443, dstPort: 8080 }))).toBe(false);
  });

  it('falls back to the ephemeral range, then to the lower port', () => {
    expect(recordIsFromClient(flowRecord({ srcPort: 51234, dstPort: 4567 }))).toBe(true);
    expect(recordIsFromClient(flowRecord({ srcPort: 4567, dstPort: 51234 }))).toBe(false);
    expect(recordIsFromClient(flowRecord({ srcPort: 4567, dstPort: 4568 }))).toBe(false);
    expect(recordIsFromClient(flowRecord({ srcPort: undefined, dstPort: undefined, protocol: 1 }))).toBe(true);
  });
});

describe('EdgeAggregator', () => {
  const classifier = new AddressClassifier(['10.0.0.0/16']);

  it('folds replies into the connection they answer and counts opened connections', () => {
    const edges = new EdgeAggregator(classifier);
    edges.add(flowRecord({ tcpFlags: 2, bytes: 300 }));
    edges.add(
      flowRecord({ srcAddr: '10.0.2.9', dstAddr: '10.0.1.5', srcPort: 443, dstPort: 45000, tcpFlags: 18, bytes: 900 }),
    );
    edges.add(flowRecord({ srcPort: 45001, tcpFlags: 0, bytes: 100 }));
    const [edge] = [...edges.values()];
    expect(edges.size).toBe(1);
    expect(edge).toMatchObject({
      client: '10.0.1.5',
      server: '10.0.2.9',
      serverPort: 443,
      bytesToServer: 400,
      bytesToClient: 900,
      flows: 3,
      opened: 1,
    });
  });

  it('learns the addresses of watched interfaces from the direction of their records', () => {
    const edges = new EdgeAggregator(classifier, { watchInterfaces: new Set(['eni-lb']) });
    edges.add(
      flowRecord({
        interfaceId: 'eni-lb',
        srcAddr: '198.51.100.9',
        dstAddr: '10.0.0.37',
        srcPort: 50000,
        dstPort: 443,
        flowDirection: 'ingress',
      }),
    );
    edges.add(
      flowRecord({
        interfaceId: 'eni-lb',
        srcAddr: '10.0.0.37',
        dstAddr: '10.0.1.57',
        dstPort: 8080,
        flowDirection: 'egress',
      }),
    );
    edges.add(
      flowRecord({ interfaceId: 'eni-node', srcAddr: '10.0.1.57', dstAddr: '10.0.9.9', flowDirection: 'egress' }),
    );
    expect([...edges.interfaceAddresses]).toEqual([['eni-lb', new Set(['10.0.0.37'])]]);
  });
});

describe("a NAT gateway logging its clients' connections again", () => {
  const POD = '10.0.3.231';
  const NAT = '10.0.0.100';
  const REMOTE = '198.51.100.77';
  /** One connection, pod to remote:3333, as the pod's interface and the NAT gateway's log it. */
  function connection(aggregator: EdgeAggregator, natPort = 2200): void {
    // At the pod's interface: its packets out and the replies in.
    aggregator.add(flowRecord({ srcAddr: POD, dstAddr: REMOTE, srcPort: 40000, dstPort: 3333, tcpFlags: 2 }));
    aggregator.add(flowRecord({ srcAddr: REMOTE, dstAddr: POD, srcPort: 3333, dstPort: 40000, tcpFlags: 18 }));
    // At the gateway's interface: the pod's packets arrive addressed to the gateway (pkt-dstaddr is the remote host)...
    aggregator.add(
      flowRecord({
        interfaceId: 'eni-nat',
        srcAddr: POD,
        ifSrcAddr: POD,
        dstAddr: REMOTE,
        ifDstAddr: NAT,
        srcPort: 40000,
        dstPort: 3333,
        tcpFlags: 2,
      }),
    );
    // ...and leave from the gateway's own address and a translated port.
    aggregator.add(
      flowRecord({
        interfaceId: 'eni-nat',
        srcAddr: NAT,
        ifSrcAddr: NAT,
        dstAddr: REMOTE,
        ifDstAddr: REMOTE,
        srcPort: natPort,
        dstPort: 3333,
        tcpFlags: 2,
      }),
    );
  }

  it("learns the gateway as a relay and takes its own leg for a duplicate of the pod's edge", () => {
    const aggregator = new EdgeAggregator(new AddressClassifier(['10.0.0.0/16']));
    connection(aggregator);
    const edges = [...aggregator.values()];
    expect([...aggregator.relays]).toEqual([NAT]);
    const relayed = relayedDuplicates(edges, aggregator.relays);
    expect([...relayed].map((e) => `${e.client}>${e.server}:${e.serverPort}`)).toEqual([`${NAT}>${REMOTE}:3333`]);
    // The pod's edge stays, and it is the only one left to detect on.
    expect(edges.filter((e) => !relayed.has(e)).map((e) => e.client)).toEqual([POD]);
  });

  it("keeps the gateway's traffic that no client edge explains, and edges to internal servers", () => {
    const aggregator = new EdgeAggregator(new AddressClassifier(['10.0.0.0/16']));
    connection(aggregator);
    // The gateway also talks to a public host on another port, and to an internal one.
    aggregator.add(flowRecord({ srcAddr: NAT, dstAddr: REMOTE, srcPort: 3000, dstPort: 443, tcpFlags: 2 }));
    aggregator.add(flowRecord({ srcAddr: NAT, dstAddr: '10.0.2.9', srcPort: 3001, dstPort: 443, tcpFlags: 2 }));
    const relayed = relayedDuplicates([...aggregator.values()], aggregator.relays);
    expect([...relayed].map((e) => `${e.server}:${e.serverPort}`)).toEqual([`${REMOTE}:3333`]);
  });

  it('takes nothing when no interface forwards', () => {
    const aggregator = new EdgeAggregator(new AddressClassifier(['10.0.0.0/16']));
    aggregator.add(flowRecord({ srcAddr: POD, ifSrcAddr: POD, dstAddr: REMOTE, ifDstAddr: REMOTE, dstPort: 443 }));
    aggregator.add(flowRecord({ srcAddr: NAT, ifSrcAddr: NAT, dstAddr: REMOTE, ifDstAddr: REMOTE, dstPort: 443 }));
    expect(aggregator.relays.size).toBe(0);
    expect(relayedDuplicates([...aggregator.values()], aggregator.relays).size).toBe(0);
  });
});

describe('canonicalIpv4', () => {
  it('numbers canonical dotted quads and nothing else', () => {
    expect(canonicalIpv4('10.0.1.5')).toBe(0x0a000105);
    expect(canonicalIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(canonicalIpv4('0.0.0.0')).toBe(0);
    for (const text of [
      '010.0.1.5',
      '10.0.1',
      '10.0.1.5.6',
      '10.0.1.256',
      '10..1.5',
      '10.0.1.',
      '::1',
      '1.2.3.4 ',
      '',
    ]) {
      expect(canonicalIpv4(text)).toBe(-1);
    }
  });
});

describe('EdgeAggregator keys', () => {
  const classifier = new AddressClassifier(['10.0.0.0/16']);

  it('keeps addresses that differ only in spelling, IPv6 ends and scopes apart', () => {
    // Prepare: the same flow, with a zero-padded address, an IPv6 client, and another VPC.
    const edges = new EdgeAggregator(classifier);
    edges.add(flowRecord());
    edges.add(flowRecord({ srcAddr: '010.0.1.5' }));
    edges.add(flowRecord({ srcAddr: 'fd00::5' }));
    edges.add(flowRecord({ vpcId: 'vpc-0b' }));
    edges.add(flowRecord({ vpcId: undefined }));
    edges.add(flowRecord({ protocol: undefined, dstPort: undefined, srcPort: undefined }));
    edges.add(flowRecord());
    // Act
    const all = [...edges.values()];
    // Assess: six edges in order of first appearance; the repeat folded into the first.
    expect(all.map((e) => [e.scope, e.client, e.serverPort, e.flows])).toEqual([
      ['vpc-0a', '10.0.1.5', 443, 2],
      ['vpc-0a', '010.0.1.5', 443, 1],
      ['vpc-0a', 'fd00::5', 443, 1],
      ['vpc-0b', '10.0.1.5', 443, 1],
      ['account-123456789012', '10.0.1.5', 443, 1],
      ['vpc-0a', '10.0.1.5', undefined, 1],
    ]);
    expect(all[2]?.clientClass).toBe('private');
  });

  it('finds every edge again after its tables grow', () => {
    const edges = new EdgeAggregator(classifier);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 5_000; i++) {
        edges.add(flowRecord({ srcAddr: `10.${i >> 8}.${i & 255}.1`, dstPort: 1000 + (i % 7), tcpFlags: 2 }));
      }
    }
    expect(edges.size).toBe(5_000);
    expect([...edges.values()].every((e) => e.flows === 2 && e.opened === 2)).toBe(true);
    expect([...edges.values()][300]?.client).toBe('10.1.44.1');
  });
});

describe('isProbeLike', () => {
  const classifier = new AddressClassifier(['10.0.0.0/16']);
  const edgeOf = (...records: Parameters<typeof flowRecord>[0][]) => {
    const edges = new EdgeAggregator(classifier);
    for (const r of records) edges.add(flowRecord(r));
    return [...edges.values()][0] as FlowEdge;
  };

  it('calls a rejected attempt, and a SYN answered by a small reply, a probe', () => {
    expect(isProbeLike(edgeOf({ action: 'REJECT', packets: 1, bytes: 44, tcpFlags: 2 }))).toBe(true);
    expect(
      isProbeLike(
        edgeOf(
          { packets: 1, bytes: 44, tcpFlags: 2 },
          {
            srcAddr: '10.0.2.9',
            dstAddr: '10.0.1.5',
            srcPort: 443,
            dstPort: 45000,
            packets: 1,
            bytes: 40,
            tcpFlags: 4,
          },
        ),
      ),
    ).toBe(true);
  });

  it('does not call a conversation, or an idle keepalive, a probe', () => {
    expect(isProbeLike(edgeOf({ packets: 12, bytes: 4800, tcpFlags: 3 }))).toBe(false);
    expect(isProbeLike(edgeOf({ packets: 1, bytes: 52, tcpFlags: 0 }))).toBe(false);
    expect(isProbeLike(edgeOf({ protocol: 17, packets: 1, bytes: 60, tcpFlags: undefined }))).toBe(false);
  });
});
