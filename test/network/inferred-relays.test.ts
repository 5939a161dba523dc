import { describe, expect, it } from 'vitest';
import { DEFAULT_FLOW_FORMAT, readFlowLines } from '../../shared/ingest/flow-reader';
import { newReadStats } from '../../shared/ingest/stats';
import { AddressClassifier } from '../../shared/network/address';
import { EdgeAggregator } from '../../shared/network/edge-aggregator';
import { type FlowEdge, inferredRelays, relayedDuplicates } from '../../shared/network/flow-edge';
import { streamOf } from '../support/formats';

const START = 1_793_527_200;
const POD = '10.0.3.231';
const NAT = '10.0.0.100';
const REMOTE = '198.51.100.77';

/** One line of AWS's default (version 2) format: the interface's addresses only, no pkt-* fields. */
function v2(eni: string, src: string, dst: string, srcPort: number, dstPort: number, packets = 6, bytes = 900): string {
  return `2 123456789012 ${eni} ${src} ${dst} ${srcPort} ${dstPort} 6 ${packets} ${bytes} ${START} ${START + 60} ACCEPT OK`;
}

/** A conversation as one interface logs it: the client's packets, then the server's replies. */
function conversation(eni: string, client: string, clientPort: number, server: string, port: number): string[] {
  return [v2(eni, client, server, clientPort, port), v2(eni, server, client, port, clientPort, 5, 4200)];
}

/** Reads default-format text the engine's way (lines parsed in place) into edges. */
async function edgesOf(lines: readonly string[]) {
  const aggregator = new EdgeAggregator(new AddressClassifier(['10.0.0.0/16']));
  const stats = newReadStats();
  const text = [DEFAULT_FLOW_FORMAT.join(' '), ...lines].join('\n');
  await readFlowLines(streamOf(text), { uri: 's3://logs/v2.log', stats }, (line) => aggregator.addLine(line));
  return { edges: aggregator.close(), relays: aggregator.relays, stats };
}

const named = (edges: Iterable<FlowEdge>) => [...edges].map((e) => `${e.client}>${e.server}:${e.serverPort}`).sort();

describe('inferredRelays', () => {
  it("takes a NAT gateway's copies of a pod's connection for relayed duplicates, without pkt-* addresses", async () => {
    // Prepare: the pod's interface logs pod to remote host; the gateway's logs the pod's packets
    // addressed to the gateway itself, and its own leg from a translated port.
    const lines = [
      ...conversation('eni-pod', POD, 40000, REMOTE, 3333),
      ...conversation('eni-nat', POD, 40000, NAT, 3333),
      ...conversation('eni-nat', NAT, 61000, REMOTE, 3333),
    ];
    // Act
    const { edges, relays, stats } = await edgesOf(lines);
    const inferred = inferredRelays(edges);
    const relayed = relayedDuplicates(edges, inferred);
    // Assess: the format names no relay, the edges do; only the pod's own edge is left to detect on.
    expect(stats.flowFieldsMissing['pkt-dstaddr']).toBe(1);
    expect(relays.size).toBe(0);
    expect([...inferred]).toEqual([NAT]);
    expect(named(relayed)).toEqual([`${NAT}>${REMOTE}:3333`, `${POD}>${NAT}:3333`]);
    expect(named(edges.filter((e) => !relayed.has(e)))).toEqual([`${POD}>${REMOTE}:3333`]);
  });

  it("keeps the gateway's traffic no pod edge explains", async () => {
    // Prepare: the same connection, and the gateway's leg of another pod's connection whose own
    // interface is not logged.
    const lines = [
      ...conversation('eni-pod', POD, 40000, REMOTE, 443),
      ...conversation('eni-nat', POD, 40000, NAT, 443),
      ...conversation('eni-nat', NAT, 61000, REMOTE, 443),
      ...conversation('eni-nat', '10.0.3.9', 41000, NAT, 443),
      ...conversation('eni-nat', NAT, 61001, '203.0.113.9', 443),
    ];
    const { edges } = await edgesOf(lines);
    const relayed = relayedDuplicates(edges, inferredRelays(edges));
    expect(named(edges.filter((e) => !relayed.has(e)))).toEqual([
      `${NAT}>203.0.113.9:443`,
      `${POD}>${REMOTE}:443`,
      `10.0.3.9>${NAT}:443`,
    ]);
  });

  it("takes no relay from two pods' node interfaces logging one internal connection", async () => {
    // Prepare: pod A calls pod B on 443, logged at both node interfaces; each also calls a public
    // host on 443 (A the one B does not), which is all a NAT triangle would lack.
    const lines = [
      ...conversation('eni-node-a', '10.0.1.20', 40000, '10.0.2.30', 443),
      ...conversation('eni-node-b', '10.0.1.20', 40000, '10.0.2.30', 443),
      ...conversation('eni-node-a', '10.0.1.20', 40001, REMOTE, 443),
      ...conversation('eni-node-b', '10.0.2.30', 40002, '203.0.113.9', 443),
    ];
    // Act
    const { edges } = await edgesOf(lines);
    const inferred = inferredRelays(edges);
    // Assess
    expect(edges).toHaveLength(3);
    expect(inferred.size).toBe(0);
    expect(relayedDuplicates(edges, inferred).size).toBe(0);
  });

  it('takes no relay from a forward proxy: its clients reach it on its own port', async () => {
    // Prepare: the pod goes through a proxy on 3128, and also straight to the host the proxy reaches.
    const proxy = '10.0.2.40';
    const lines = [
      ...conversation('eni-pod', POD, 40000, proxy, 3128),
      ...conversation('eni-proxy', proxy, 50000, REMOTE, 443),
      ...conversation('eni-pod', POD, 40001, REMOTE, 443),
    ];
    const { edges } = await edgesOf(lines);
    expect(inferredRelays(edges).size).toBe(0);
  });
});
