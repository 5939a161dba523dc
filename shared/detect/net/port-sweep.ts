import type { FlowEdge } from '../../network';
import type { DistinctDetector } from '../types';
import { edgeEntities, endpointOf, endText, protocolName } from './lib/describe';
import { exampleEdge, exampleProbe } from './lib/example-edges';
import { isScanProbe, listed } from './lib/scan-source';

const hosts = (count: number) => Array.from({ length: count }, (_, i) => `10.0.2.${10 + i}`);

export const portSweep: DistinctDetector<FlowEdge> = {
  id: 'net.port-sweep',
  kind: 'distinct',
  source: 'vpc-flow',
  title: 'Port sweep from an internal address',
  description:
    'One internal source probed the same port on many hosts within a few minutes: connection attempts that were ' +
    'rejected or answered with a reset. That is how an attacker (or a worm) looks for the next database, SSH ' +
    'server or Redis to reach.',
  severity: 'high',
  mitre: ['T1046', 'T1018'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty: 'Impact:EC2/PortSweep',
    elastic: 'Potential Network Sweep Detected',
    sigma: 'Network Scans Count By Destination IP',
  },
  uses: ['tcp-flags'],
  runbook:
    'Identify the source workload and what listens on the swept port. Look for recent exec sessions into the ' +
    'source and unexpected processes; isolate it with a NetworkPolicy. List scanners that do this on purpose under ' +
    'network.scanners.',

  limits(context) {
    const { hosts, windowMinutes } = context.config.network.portSweep;
    return { threshold: hosts, windowMinutes };
  },

  distinct(edge, context) {
    if (!isScanProbe(edge, context)) return undefined;
    return [{ key: `${edge.client}|${edge.serverPort}/${protocolName(edge.protocol)}`, value: edge.server }];
  },

  describe(key, values, edge, context) {
    const port = key.slice(key.indexOf('|') + 1);
    return {
      summary:
        `${endText(edge.client, edge.clientEntity)} probed port ${port} on ${values.length} hosts within ` +
        `${context.config.network.portSweep.windowMinutes} minutes.`,
      entities: {
        ...edgeEntities(edge),
        dstAddr: undefined,
        hosts: [...values].slice(0, 50),
        hostCount: values.length,
      },
      // A sweep has one client and many servers: the hosts are listed, none is the server.
      roles: {
        client: endpointOf(edge.client, edge.clientEntity),
        ...(edge.serverPort !== undefined ? { port: edge.serverPort } : {}),
      },
      evidence: `hosts probed on ${port}: ${listed([...values].sort())}`,
      dedupeKey: `${edge.scope}|${edge.client}|${port}`,
    };
  },

  examples: {
    fires: [hosts(30).map((host) => exampleProbe('10.0.3.7', host, 6379))],
    quiet: [
      hosts(10).map((host) => exampleProbe('10.0.3.7', host, 6379)),
      // A monitoring agent scraping many hosts on one port holds real conversations.
      hosts(30).map((host) => exampleEdge({ client: '10.0.3.7', server: host, serverPort: 9100 })),
      hosts(30).map((host, i) => exampleProbe('10.0.3.7', host, 6379 + i)),
    ],
  },
};
