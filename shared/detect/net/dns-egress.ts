import type { FlowEdge } from '../../network';
import { isInternal } from '../../network';
import type { DetectContext, RuleDetector } from '../types';
import { edgeEntities, edgeEvidence, edgeRoles, endText, protocolName, sourceKey } from './lib/describe';
import { exampleEdge, exampleWorkload } from './lib/example-edges';
import { isPublicServer } from './lib/public-server';

/** DNS over TLS. */
const DOT_PORT = 853;

/**
 * Bytes sent to one resolver in one object above which DNS looks like a tunnel, not lookups: a
 * query is about a hundred bytes, so this is some ten thousand queries to a single resolver.
 */
const TUNNEL_BYTES = 1_000_000;

/** DNS (53, UDP or TCP) or DNS over TLS (853, TCP): the protocol is unknown on some records, then the port decides. */
function isDns(edge: FlowEdge): boolean {
  if (edge.serverPort === 53) return edge.protocol === undefined || edge.protocol === 6 || edge.protocol === 17;
  return edge.serverPort === DOT_PORT && (edge.protocol === undefined || edge.protocol === 6);
}

/**
 * Accepted DNS from an internal client to a resolver on the internet that is not approved. Needs
 * no TCP flags: DNS ports are service ports, so the client is known from the ports alone.
 */
function fires(edge: FlowEdge, context: DetectContext): boolean {
  if (!isInternal(edge.clientClass) || edge.accepted === 0 || !isDns(edge) || !isPublicServer(edge)) return false;
  return !context.network.isApprovedResolver(edge.server, edge.serverClass);
}

/** One finding per client, resolver and port a day, and one more once it looks like a tunnel (a second severity). */
function keyOf(edge: FlowEdge): string {
  const key = `${edge.scope}|${sourceKey(edge)}|${edge.server}|${edge.serverPort}`;
  return edge.bytesToServer >= TUNNEL_BYTES ? `${key}|volume` : key;
}

export const dnsEgress: RuleDetector<FlowEdge> = {
  id: 'net.dns-egress',
  kind: 'rule',
  source: 'vpc-flow',
  title: 'DNS sent to a resolver outside the approved list',
  description:
    'A workload sent DNS (port 53) or DNS over TLS (853) straight to a resolver on the internet instead of the ' +
    'VPC resolver. Lookups that skip the VPC resolver skip Route 53 Resolver query logging and DNS Firewall, which ' +
    'is what DNS tunnels and command-and-control need. Low by default: images with 8.8.8.8 hard-wired are common; ' +
    'medium when the volume to one resolver looks like a tunnel rather than lookups.',
  severity: 'low',
  mitre: ['T1071.004', 'T1048'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'Trojan:EC2/DNSDataExfiltration',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    "Find the workload and why it bypasses the cluster's DNS (a hard-coded resolver in its image or dnsConfig, " +
    'dnsPolicy: None). If the volume is high, look at the names it resolves (Route 53 Resolver query logs on the ' +
    'resolver it should use, or a packet capture). Block port 53 and 853 egress except to the VPC resolver; list ' +
    'resolvers you approve under network.dnsResolvers.',

  dedupeKey(edge, context) {
    return fires(edge, context) ? keyOf(edge) : undefined;
  },

  detect(edge, context) {
    if (!fires(edge, context)) return undefined;
    const tunnel = edge.bytesToServer >= TUNNEL_BYTES;
    const what = edge.serverPort === DOT_PORT ? 'DNS over TLS' : `DNS over ${protocolName(edge.protocol)}`;
    return {
      severity: tunnel ? 'medium' : 'low',
      summary:
        `${endText(edge.client, edge.clientEntity)} sent ${what} straight to ${edge.server}, a resolver outside ` +
        `the approved list` +
        (tunnel ? `, ${edge.bytesToServer} bytes: far more than lookups, as a DNS tunnel sends.` : '.'),
      entities: edgeEntities(edge),
      roles: edgeRoles(edge),
      evidence: edgeEvidence(edge),
      dedupeKey: keyOf(edge),
    };
  },

  examples: {
    fires: [
      exampleEdge({
        client: '10.0.3.7',
        server: '8.8.8.8',
        serverPort: 53,
        protocol: 17,
        opened: undefined,
        clientEntity: exampleWorkload('shop', 'cart'),
      }),
      exampleEdge({ client: '10.0.3.7', server: '1.1.1.1', serverPort: 853 }),
      exampleEdge({
        client: '10.0.3.7',
        server: '203.0.113.53',
        serverPort: 53,
        protocol: 17,
        bytesToServer: 4_000_000,
      }),
    ],
    quiet: [
      // CoreDNS, the Amazon resolver's link-local address, an approved public resolver, a rejected attempt,
      // a public server's port 53 seen as a client port of a reply, NTP.
      exampleEdge({ client: '10.0.3.7', server: '10.0.1.53', serverPort: 53, protocol: 17 }),
      exampleEdge({ client: '10.0.3.7', server: '169.254.169.253', serverPort: 53, protocol: 17 }),
      exampleEdge({ client: '10.0.3.7', server: '9.9.9.9', serverPort: 53, protocol: 17 }),
      exampleEdge({ client: '10.0.3.7', server: '8.8.8.8', serverPort: 53, protocol: 17, accepted: 0, rejected: 3 }),
      exampleEdge({ client: '198.51.100.9', server: '10.0.3.7', serverPort: 53, protocol: 17 }),
      exampleEdge({ client: '10.0.3.7', server: '8.8.8.8', serverPort: 123, protocol: 17 }),
    ],
    config: { network: { dnsResolvers: ['9.9.9.9'] } },
  },
};
