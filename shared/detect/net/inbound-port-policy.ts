import type { FlowEdge } from '../../network';
import { EPHEMERAL_FLOOR, isInternal } from '../../network';
import type { DetectContext, RuleDetector } from '../types';
import { edgeEntities, edgeEvidence, edgeRoles, endText, protocolName } from './lib/describe';
import { exampleEdge, exampleWorkload } from './lib/example-edges';

type Breach = 'deny' | 'allow';

/**
 * Whether the public end opened the connection. With TCP flags, an accepted SYN from it says so.
 * Without them (the default format) the internal end must listen on a service port or a port
 * below the ephemeral range: otherwise the record may be the reply to a connection a workload
 * opened, whose ports alone cannot tell the ends apart.
 */
function fromOutside(edge: FlowEdge, context: DetectContext, port: number): boolean {
  if ((edge.opened ?? 0) > 0) return true;
  return context.network.servicePorts.has(port) || port < EPHEMERAL_FLOOR;
}

/** How traffic from a public source to an internal port breaks the configured lists, if it does. */
function breachOf(edge: FlowEdge, context: DetectContext): Breach | undefined {
  const policy = context.config.network.inboundPorts;
  const port = edge.serverPort;
  if (!policy || port === undefined) return undefined;
  if (edge.clientClass !== 'public' || !isInternal(edge.serverClass)) return undefined;
  if (edge.protocol !== undefined && edge.protocol !== 6 && edge.protocol !== 17) return undefined;
  const accepted = edge.accepted > 0;
  if (!accepted && !(policy.rejected && edge.rejected > 0)) return undefined;
  if (context.knownNetworks.contains(edge.client) || !fromOutside(edge, context, port)) return undefined;
  if (policy.deny?.includes(port)) return 'deny';
  if (policy.allow && !policy.allow.includes(port)) return 'allow';
  return undefined;
}

/**
 * One finding per server, port and outcome a day: the internet's clients of one open port are one
 * exposure. Accepted and rejected traffic have different severities, so different keys.
 */
function keyOf(edge: FlowEdge): string {
  const outcome = edge.accepted > 0 ? 'accepted' : 'rejected';
  return `${edge.scope}|${edge.serverEntity?.id ?? edge.server}|${edge.serverPort ?? ''}|${outcome}`;
}

export const inboundPortPolicy: RuleDetector<FlowEdge> = {
  id: 'net.inbound-port-policy',
  kind: 'rule',
  source: 'vpc-flow',
  title: 'Inbound traffic from the internet breaks the port policy',
  description:
    'A public address sent traffic to an internal address on a port the configured policy denies ' +
    '(network.inboundPorts.deny), or on a port outside the allowed list (network.inboundPorts.allow). Accepted ' +
    'traffic means the port is open to the internet against policy; rejected traffic (reported only with ' +
    'network.inboundPorts.rejected) shows who is knocking. Off until a list is configured.',
  severity: 'high',
  mitre: ['T1190', 'T1133'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'Recon:EC2/PortProbeUnprotectedPort',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Find what opens the port to the internet: a security group rule for 0.0.0.0/0, a Service of type ' +
    'LoadBalancer or NodePort, a node with a public IP. Close it, or change network.inboundPorts if the policy is ' +
    'wrong. For accepted traffic, check the server for signs of exploitation.',

  dedupeKey(edge, context) {
    return breachOf(edge, context) ? keyOf(edge) : undefined;
  },

  detect(edge, context) {
    const breach = breachOf(edge, context);
    if (!breach) return undefined;
    const port = edge.serverPort ?? 0;
    const accepted = edge.accepted > 0;
    const rule = breach === 'deny' ? 'a denied port' : 'a port outside the allowed list';
    return {
      severity: !accepted ? 'low' : breach === 'deny' ? 'high' : 'medium',
      summary:
        `${edge.client} sent ${protocolName(edge.protocol)} traffic from the internet to ` +
        `${endText(edge.server, edge.serverEntity)} port ${port}, ${rule}; ` +
        (accepted
          ? `${edge.accepted} flow records were accepted.`
          : `all ${edge.rejected} flow records were rejected.`),
      entities: { ...edgeEntities(edge), portPolicy: breach },
      roles: edgeRoles(edge),
      evidence: edgeEvidence(edge),
      dedupeKey: keyOf(edge),
    };
  },

  examples: {
    config: { network: { inboundPorts: { allow: [80, 443], deny: [22, 3389], rejected: true } } },
    fires: [
      // SSH accepted from the internet (default format, no flags); a workload's odd port; RDP knocking, rejected.
      exampleEdge({ client: '198.51.100.9', server: '10.0.2.47', serverPort: 22, opened: undefined }),
      exampleEdge({
        client: '198.51.100.9',
        server: '10.0.3.7',
        serverPort: 9200,
        serverEntity: exampleWorkload('search', 'elasticsearch'),
      }),
      exampleEdge({ client: '198.51.100.9', server: '10.0.2.47', serverPort: 3389, accepted: 0, rejected: 2 }),
    ],
    quiet: [
      // HTTPS to the load balancer; internal SSH; a reply to a workload's own connection (ephemeral port, no
      // flags); a workload's egress.
      exampleEdge({ client: '198.51.100.9', server: '10.0.0.37', serverPort: 443 }),
      exampleEdge({ client: '10.0.1.5', server: '10.0.2.47', serverPort: 22 }),
      exampleEdge({ client: '198.51.100.9', server: '10.0.3.7', serverPort: 40123, opened: undefined }),
      exampleEdge({ client: '10.0.3.7', server: '198.51.100.9', serverPort: 22 }),
    ],
  },
};
