import type { FlowEdge } from '../../network';
import { isInternal, trafficBytes } from '../../network';
import type { RuleDetector } from '../types';
import { edgeEntities, edgeEvidence, edgeRoles, endText, sourceKey } from './lib/describe';
import { exampleEdge, exampleWorkload } from './lib/example-edges';
import { isPublicServer } from './lib/public-server';

export const miningPoolPort: RuleDetector<FlowEdge> = {
  id: 'net.mining-pool-port',
  kind: 'rule',
  source: 'vpc-flow',
  title: 'Connection to a public address on a mining pool port',
  description:
    'A workload opened an accepted connection to a public address on a port cryptocurrency mining pools serve ' +
    'stratum on (3333, 4444, 5555, 7777, 14444, ...). Cryptojacking is the most common payload of a compromised ' +
    'cluster, and pools move faster than threat lists.',
  severity: 'medium',
  mitre: ['T1496'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'Detect outbound connections to common miner pool ports',
    guardduty: 'CryptoCurrency:EC2/BitcoinTool.B',
    elastic: 'none',
    sigma: 'none',
  },
  uses: ['pkt-dst-aws-service'],
  runbook:
    'Find the workload behind the source (the finding names it when the audit log reported its pod IP) and look at ' +
    'its image, command line and CPU usage. If it is mining, isolate it, delete it, and find out how it was created ' +
    '(audit log: who created the workload, from where).',

  detect(edge, context) {
    if (!isInternal(edge.clientClass) || !isPublicServer(edge) || edge.accepted === 0) return undefined;
    if (edge.serverPort === undefined || !context.network.miningPorts.has(edge.serverPort)) return undefined;
    if (edge.protocol !== undefined && edge.protocol !== 6) return undefined;
    // A named workload is the alert to act on; the same flow seen at a NAT gateway is context.
    const named = edge.clientEntity?.kind === 'workload' || edge.clientEntity?.kind === 'pod';
    return {
      severity: named ? 'high' : 'medium',
      summary:
        `${endText(edge.client, edge.clientEntity)} connected to ${edge.server} on port ${edge.serverPort}, ` +
        `a port mining pools use, and exchanged ${trafficBytes(edge)} bytes.`,
      entities: { ...edgeEntities(edge), miningPort: edge.serverPort },
      roles: edgeRoles(edge),
      evidence: edgeEvidence(edge),
      dedupeKey: `${edge.scope}|${sourceKey(edge)}|${edge.server}|${edge.serverPort}`,
    };
  },

  examples: {
    fires: [
      exampleEdge({ client: '10.0.3.7', server: '192.0.2.10', serverPort: 3333 }),
      exampleEdge({
        client: '10.0.3.7',
        server: '192.0.2.10',
        serverPort: 14444,
        clientEntity: exampleWorkload('payments', 'api'),
      }),
      exampleEdge({ client: '10.0.0.100', server: '3.120.9.9', serverPort: 4444, serverService: 'EC2' }),
    ],
    quiet: [
      // HTTPS to the same host, a rejected attempt, an internal service on 3333, UDP.
      exampleEdge({ client: '10.0.3.7', server: '192.0.2.10', serverPort: 443 }),
      exampleEdge({ client: '10.0.3.7', server: '192.0.2.10', serverPort: 3333, accepted: 0, rejected: 2 }),
      exampleEdge({ client: '10.0.3.7', server: '10.0.9.9', serverPort: 3333 }),
      exampleEdge({ client: '10.0.3.7', server: '192.0.2.10', serverPort: 3333, protocol: 17 }),
    ],
  },
};
