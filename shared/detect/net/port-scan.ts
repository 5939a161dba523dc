import type { FlowEdge } from '../../network';
import type { DistinctDetector } from '../types';
import { edgeEntities, edgeRoles, endText, protocolName } from './lib/describe';
import { exampleEdge, exampleProbe } from './lib/example-edges';
import { isScanProbe, listed, sortValues } from './lib/scan-source';

const ports = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

export const portScan: DistinctDetector<FlowEdge> = {
  id: 'net.port-scan',
  kind: 'distinct',
  source: 'vpc-flow',
  title: 'Port scan from an internal address',
  description:
    'One internal source probed many ports of one host within a few minutes: connection attempts that were ' +
    'rejected or answered with a reset. Workloads do not do this; an attacker in a compromised pod looking for ' +
    'services to move to does.',
  severity: 'high',
  mitre: ['T1046'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'Recon:EC2/Portscan',
    elastic: 'Potential Network Scan Detected',
    sigma: 'Network Scans Count By Destination Port',
  },
  uses: ['tcp-flags'],
  runbook:
    'Identify the source workload (the finding names it when the audit log reported its pod IP). Look for recent ' +
    'exec sessions into it and unexpected processes; isolate it with a NetworkPolicy. List vulnerability scanners ' +
    'that do this on purpose under network.scanners.',

  limits(context) {
    const { ports, windowMinutes } = context.config.network.portScan;
    return { threshold: ports, windowMinutes };
  },

  distinct(edge, context) {
    if (!isScanProbe(edge, context)) return undefined;
    return [{ key: `${edge.client}|${edge.server}`, value: `${edge.serverPort}/${protocolName(edge.protocol)}` }];
  },

  describe(_key, values, edge, context) {
    const sorted = sortValues(values);
    return {
      summary:
        `${endText(edge.client, edge.clientEntity)} probed ${values.length} ports of ` +
        `${endText(edge.server, edge.serverEntity)} within ${context.config.network.portScan.windowMinutes} minutes.`,
      entities: { ...edgeEntities(edge), ports: sorted.slice(0, 50), portCount: values.length },
      roles: edgeRoles(edge),
      evidence: `ports probed: ${listed(sorted)}`,
      dedupeKey: `${edge.scope}|${edge.client}|${edge.server}`,
    };
  },

  examples: {
    fires: [ports(1, 25).map((port) => exampleProbe('10.0.3.7', '10.0.2.47', port))],
    quiet: [
      // Too few ports; many ports but real conversations (a client of several services); probes from an allowed scanner.
      ports(20, 10).map((port) => exampleProbe('10.0.3.7', '10.0.2.47', port)),
      ports(8000, 25).map((port) => exampleEdge({ client: '10.0.3.7', server: '10.0.2.47', serverPort: port })),
      ports(1, 25).map((port) => exampleProbe('10.0.9.9', '10.0.2.47', port)),
      ports(1, 25).map((port) => exampleProbe('198.51.100.9', '10.0.0.37', port)),
    ],
    config: { network: { scanners: ['10.0.9.0/24'] } },
  },
};
