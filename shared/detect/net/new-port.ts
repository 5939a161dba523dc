import { EPHEMERAL_FLOOR, type FlowEdge, isInternal, openedOnly } from '../../network';
import type { AnomalyDetector, DetectContext } from '../types';
import { edgeEntities, edgeEvidence, edgeRoles, endText, protocolName, sourceKey } from './lib/describe';
import { exampleEdge, exampleProbe, exampleWorkload } from './lib/example-edges';

/** Where new-port keeps the history of unnamed sources address by address, for when a late report names them. */
export const ADDRESS_PORT_BASELINE = 'address-port';

/**
 * The port an unnamed internal source (an address no pod report named) used, keyed by the address
 * itself: new-port keys such sources by subnet, which many workloads share, so a workload named
 * late inherits only what its own addresses did.
 */
export function addressPortObservations(edge: FlowEdge, context: DetectContext): string[] | undefined {
  if (edge.clientEntity && edge.clientEntity.kind !== 'unknown') return undefined;
  const values = newPort.observe(edge, context);
  // The entity's id, not the record's address: for an end renamed since, the address it had before.
  const source = edge.clientEntity?.id ?? `ip:${edge.client}`;
  return values?.map((v) => `${source}${v.slice(v.lastIndexOf('|'))}`);
}

export const newPort: AnomalyDetector<FlowEdge> = {
  id: 'net.new-port',
  kind: 'anomaly',
  source: 'vpc-flow',
  baselineKind: 'server-port',
  expectedNoun: 'source and port pairs seen before',
  title: 'Connection on a port the source never used',
  description:
    'A workload (or node, or labelled range) completed a connection on a destination port it had not used before. ' +
    'A new port from a known workload is how a compromised pod reaches a database, a metadata service or a remote ' +
    'shell; after a release it is expected and quiet after the next rebaseline.',
  severity: 'low',
  mitre: ['T1571', 'T1046'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'Behavior:EC2/NetworkPortUnusual',
    elastic: 'none',
    sigma: 'none',
  },
  uses: ['tcp-flags'],
  runbook:
    'Check whether a recent release of the source workload explains the new dependency. If not, look at what the ' +
    'destination is (the finding names it) and what the workload sent, and at the workload’s recent exec sessions.',

  history: { kind: ADDRESS_PORT_BASELINE, observe: addressPortObservations },

  observe(edge, context) {
    if (!isInternal(edge.clientClass) || edge.accepted === 0 || edge.serverPort === undefined) return undefined;
    // Scans are the port-scan detector's, their open ports too (a SYN answered, nothing sent), with
    // or without tcp-flags; a high port that is not a known service is most likely a reply.
    if (openedOnly(edge)) return undefined;
    if (edge.serverPort >= EPHEMERAL_FLOOR && !context.network.servicePorts.has(edge.serverPort)) return undefined;
    return [`${sourceKey(edge)}|${edge.serverPort}/${protocolName(edge.protocol)}`];
  },

  describe(value, edge) {
    const port = value.slice(value.lastIndexOf('|') + 1);
    return {
      summary:
        `${endText(edge.client, edge.clientEntity)} connected to ${endText(edge.server, edge.serverEntity)} on port ` +
        `${port}, a port it had not used before.`,
      entities: { ...edgeEntities(edge), source: sourceKey(edge), port },
      roles: edgeRoles(edge),
      evidence: edgeEvidence(edge),
      dedupeKey: `${edge.scope}|${value}`,
    };
  },

  examples: {
    baseline: ['workload:shop/web|8080/tcp', 'subnet:10.0.3.0/24|443/tcp', 'subnet:10.0.3.0/24|53/udp'],
    fires: [
      exampleEdge({
        client: '10.0.1.57',
        server: '10.0.200.10',
        serverPort: 5432,
        clientEntity: exampleWorkload('shop', 'web'),
      }),
      exampleEdge({ client: '10.0.3.7', server: '192.0.2.10', serverPort: 22 }),
    ],
    quiet: [
      exampleEdge({
        client: '10.0.1.58',
        server: '10.0.2.31',
        serverPort: 8080,
        clientEntity: exampleWorkload('shop', 'web'),
      }),
      exampleEdge({ client: '10.0.3.9', server: '192.0.2.10', serverPort: 443 }),
      exampleEdge({ client: '10.0.3.7', server: '10.0.2.2', serverPort: 53, protocol: 17, opened: 0 }),
      // A probe answered by a RST, a scan's open port (a SYN-ACK, nothing sent), an ephemeral port,
      // a rejected attempt, a public client.
      exampleProbe('10.0.3.7', '10.0.2.47', 3306),
      exampleProbe('10.0.3.7', '10.0.2.47', 22, { bytesToClient: 44 }),
      exampleEdge({ client: '10.0.3.7', server: '10.0.2.47', serverPort: 45123 }),
      exampleEdge({ client: '10.0.3.7', server: '10.0.2.47', serverPort: 22, accepted: 0, rejected: 2 }),
      exampleEdge({ client: '198.51.100.9', server: '10.0.3.7', serverPort: 22 }),
    ],
  },
};
