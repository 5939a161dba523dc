import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config/load';
import { buildDetectContext } from '../../shared/detect/context';
import { portScan } from '../../shared/detect/net/port-scan';
import { publicIngress } from '../../shared/detect/net/public-ingress';
import type { FlowDetector } from '../../shared/detect/registry';
import { DEFAULT_FLOW_FORMAT, readFlowLines } from '../../shared/ingest/flow-reader';
import { newReadStats } from '../../shared/ingest/stats';
import { ThreatIntel } from '../../shared/intel/threat-intel';
import { EdgeAggregator, type FlowEdge } from '../../shared/network';
import { streamOf } from '../support/formats';
import { ExampleRunner } from './run-examples';

const START = 1_793_527_200;
const HEADER = DEFAULT_FLOW_FORMAT.join(' ');

/** One line of AWS's default (version 2) format: no tcp-flags, vpc-id, pkt-* or flow-direction. */
function v2(
  eni: string,
  src: string,
  dst: string,
  srcPort: number,
  dstPort: number,
  packets: number,
  bytes: number,
  action: 'ACCEPT' | 'REJECT' = 'ACCEPT',
): string {
  return `2 123456789012 ${eni} ${src} ${dst} ${srcPort} ${dstPort} 6 ${packets} ${bytes} ${START} ${START + 60} ${action} OK`;
}

/** Reads default-format text the engine's way (lines parsed in place) and runs one detector on its edges. */
async function detect(detector: FlowDetector, lines: readonly string[], config: Record<string, unknown> = {}) {
  const context = buildDetectContext(defaultConfig(config), new ThreatIntel());
  const aggregator = new EdgeAggregator(context.network.classifier, { servicePorts: context.network.servicePorts });
  const text = [HEADER, ...lines].join('\n');
  await readFlowLines(streamOf(text), { uri: 's3://logs/v2.log', stats: newReadStats() }, (line) =>
    aggregator.addLine(line),
  );
  const edges: FlowEdge[] = aggregator.close();
  return { edges, drafts: await new ExampleRunner<FlowEdge>(detector, context, 'flow').object(edges) };
}

const ports = Array.from({ length: 25 }, (_, i) => i + 1);

describe('detectors on default-format (version 2) flow logs, without tcp-flags', () => {
  it('net.public-ingress fires on an accepted inbound SSH connection from a public address', async () => {
    // Prepare: a session's two directions, as the pod's interface logs them.
    const lines = [
      v2('eni-pod', '198.51.100.9', '10.0.3.7', 51514, 22, 24, 4100),
      v2('eni-pod', '10.0.3.7', '198.51.100.9', 22, 51514, 20, 6200),
    ];
    // Act
    const { edges, drafts } = await detect(publicIngress, lines);
    // Assess: one conversation, the public end as client, found.
    expect(edges).toHaveLength(1);
    expect(edges[0]).toMatchObject({ client: '198.51.100.9', server: '10.0.3.7', serverPort: 22, flagless: true });
    expect(drafts.map((d) => d.detector.id)).toEqual(['net.public-ingress']);
  });

  it('net.public-ingress stays quiet when the security group rejected the SSH attempts', async () => {
    const lines = [v2('eni-pod', '198.51.100.9', '10.0.3.7', 51514, 22, 3, 180, 'REJECT')];
    expect((await detect(publicIngress, lines)).drafts).toEqual([]);
  });

  it('net.port-scan fires on a 25-port internal scan: the source interface accepts, the target rejects', async () => {
    // Prepare: each SYN is logged leaving the source's interface (ACCEPT) and refused at the target's (REJECT).
    const lines = ports.flatMap((port) => [
      v2('eni-src', '10.0.3.7', '10.0.2.47', 40100 + port, port, 1, 60),
      v2('eni-dst', '10.0.3.7', '10.0.2.47', 40100 + port, port, 1, 60, 'REJECT'),
    ]);
    const { drafts } = await detect(portScan, lines);
    expect(drafts.map((d) => d.detector.id)).toEqual(['net.port-scan']);
    expect(drafts[0]?.detection.entities?.portCount).toBe(25);
  });

  it('net.port-scan fires on an outbound SYN/RST scan: one SYN each way, a 40-byte RST back', async () => {
    const lines = ports.flatMap((port) => [
      v2('eni-src', '10.0.3.7', '203.0.113.50', 40100 + port, port, 1, 60),
      v2('eni-src', '203.0.113.50', '10.0.3.7', port, 40100 + port, 1, 40),
    ]);
    const { drafts } = await detect(portScan, lines);
    expect(drafts.map((d) => d.detector.id)).toEqual(['net.port-scan']);
  });

  it('net.port-scan stays quiet on idle keepalives to many ports: the replies are larger than a RST', async () => {
    // Prepare: 52-byte keepalives (with TCP timestamps) both ways on 25 long-lived connections.
    const lines = ports.flatMap((port) => [
      v2('eni-src', '10.0.3.7', '10.0.2.47', 40100 + port, 8000 + port, 1, 52),
      v2('eni-src', '10.0.2.47', '10.0.3.7', 8000 + port, 40100 + port, 1, 52),
    ]);
    expect((await detect(portScan, lines)).drafts).toEqual([]);
  });
});
