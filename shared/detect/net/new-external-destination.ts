import type { FlowEdge } from '../../network';
import { addressBlock, HOSTING_SERVICES, isInternal } from '../../network';
import type { AnomalyDetector } from '../types';
import { edgeEntities, edgeEvidence, edgeRoles, endText } from './lib/describe';
import { exampleEdge } from './lib/example-edges';

export const newExternalDestination: AnomalyDetector<FlowEdge> = {
  id: 'net.new-external-destination',
  kind: 'anomaly',
  source: 'vpc-flow',
  baselineKind: 'external-destination',
  expectedNoun: 'external destinations seen before',
  title: 'Connection to a new external destination',
  description:
    'A workload opened an accepted connection to a public network block (a /24, or /48 for IPv6) or AWS service ' +
    'this VPC never talked to before. New egress is how data leaves and how implants reach their operators.',
  severity: 'low',
  mitre: ['T1041', 'T1071'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'Behavior:EC2/NetworkIPUsageUnusual',
    elastic: 'none',
    sigma: 'none',
  },
  // Without the service name, traffic to S3, DynamoDB and other AWS services is public traffic.
  needs: ['pkt-dst-aws-service'],
  runbook:
    'Find the workload behind the source address and check whether a recent release explains the new destination. ' +
    'If not, look at what it sent (bytes out) and block the destination at the egress layer.',

  observe(edge) {
    if (!isInternal(edge.clientClass) || edge.accepted === 0) return undefined;
    // Managed services are learned by name; EC2 and AMAZON cover anything hosted on AWS,
    // attackers included, so those are learned by block like any public address.
    const service = edge.serverService;
    if (edge.serverClass === 'aws-service' && service && !HOSTING_SERVICES.has(service)) return [`aws:${service}`];
    if (edge.serverClass !== 'public' && !(service && HOSTING_SERVICES.has(service))) return undefined;
    return [addressBlock(edge.server)];
  },

  describe(block, edge) {
    return {
      summary: `${endText(edge.client, edge.clientEntity)} connected to ${edge.server}${edge.serverPort !== undefined ? ` port ${edge.serverPort}` : ''}, in ${block}, a destination this VPC had not used before.`,
      entities: { ...edgeEntities(edge), destinationBlock: block },
      roles: edgeRoles(edge),
      evidence: edgeEvidence(edge),
      dedupeKey: `${edge.scope}|${block}`,
    };
  },

  examples: {
    baseline: ['203.0.113.0/24', 'aws:S3'],
    fires: [
      exampleEdge({ client: '10.0.3.7', server: '192.0.2.77', serverPort: 443 }),
      exampleEdge({ client: '10.0.3.7', server: '2001:db8:abcd:12::1', serverPort: 443 }),
      exampleEdge({ client: '10.0.3.7', server: '3.120.9.9', serverPort: 443, serverService: 'EC2' }),
    ],
    quiet: [
      exampleEdge({ client: '10.0.3.7', server: '203.0.113.99', serverPort: 443 }),
      exampleEdge({ client: '10.0.3.7', server: '52.216.1.1', serverPort: 443, serverService: 'S3' }),
      exampleEdge({ client: '10.0.3.7', server: '10.0.9.9', serverPort: 5432 }),
      exampleEdge({ client: '10.0.3.7', server: '192.0.2.77', serverPort: 443, accepted: 0, rejected: 2 }),
    ],
  },
};
