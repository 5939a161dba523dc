import type { FlowEdge } from '../../network';
import { clientOpened, isInternal } from '../../network';
import type { DetectContext, RuleDetector } from '../types';
import { edgeEntities, edgeEvidence, edgeRoles, endText } from './lib/describe';
import { isEntryPoint } from './lib/entry-point';
import { exampleEdge, exampleWorkload } from './lib/example-edges';

/**
 * Whether the public end really opened the connection: for TCP with flags, an accepted SYN from it
 * (the flags leave no doubt); otherwise (UDP, or a log without `tcp-flags`) the internal end
 * listens on a service or non-ephemeral port ({@link clientOpened}).
 */
function openedFromOutside(edge: FlowEdge, context: DetectContext): boolean {
  return clientOpened(edge, context.network.servicePorts);
}

/** An accepted connection a public address opened to an internal one that is not an entry point. */
function fires(edge: FlowEdge, context: DetectContext): boolean {
  if (edge.clientClass !== 'public' || !isInternal(edge.serverClass) || edge.accepted === 0) return false;
  if (isEntryPoint(edge, context) || context.knownNetworks.contains(edge.client)) return false;
  return openedFromOutside(edge, context);
}

/** One finding per exposed server and port; the server's entity decides the severity, so one key has one. */
function keyOf(edge: FlowEdge): string {
  return `${edge.scope}|${edge.serverEntity?.id ?? edge.server}|${edge.serverPort ?? ''}`;
}

export const publicIngress: RuleDetector<FlowEdge> = {
  id: 'net.public-ingress',
  kind: 'rule',
  source: 'vpc-flow',
  title: 'Public traffic reached a workload directly',
  description:
    'A public address opened an accepted connection straight to an internal address that is not a configured ' +
    'public entry point (a load balancer). A pod or node reachable from the internet bypasses the load balancer, ' +
    'its TLS and its WAF, and is usually a security group or Service left open by mistake.',
  severity: 'high',
  mitre: ['T1190', 'T1133'],
  dedupeMinutes: 24 * 60,
  equivalents: {
    falco: 'Unexpected inbound connection source',
    guardduty: 'Recon:EC2/PortProbeUnprotectedPort',
    elastic: 'none',
    sigma: 'none',
  },
  // Without flags, a reply to a connection the workload opened from a service port looks like one from outside.
  needs: ['tcp-flags'],
  uses: ['flow-direction'],
  runbook:
    'Find what exposes the address: a Service of type LoadBalancer or NodePort, a pod on the host network, a node ' +
    'or ENI with a public IP, a security group open to 0.0.0.0/0. Close it, or list the address under ' +
    'network.entryPoints if it is meant to be public. Check the workload for signs of exploitation.',

  dedupeKey(edge, context) {
    return fires(edge, context) ? keyOf(edge) : undefined;
  },

  detect(edge, context) {
    if (!fires(edge, context)) return undefined;
    const kind = edge.serverEntity?.kind;
    const workload = kind === 'workload' || kind === 'pod';
    return {
      severity: workload || kind === undefined ? 'high' : 'medium',
      summary:
        `${edge.client} connected from the internet to ${endText(edge.server, edge.serverEntity)}` +
        `${edge.serverPort !== undefined ? ` port ${edge.serverPort}` : ''}, which is not a public entry point; ` +
        `${edge.accepted} flow records were accepted.`,
      entities: edgeEntities(edge),
      roles: edgeRoles(edge),
      evidence: edgeEvidence(edge),
      dedupeKey: keyOf(edge),
    };
  },

  examples: {
    config: {
      network: {
        entryPoints: { cidrs: [{ cidr: '10.0.0.0/24', label: 'alb' }], interfaces: ['eni-0e4f5a6b7c8d90164'] },
      },
    },
    fires: [
      exampleEdge({ client: '198.51.100.9', server: '10.0.3.7', serverPort: 9090 }),
      exampleEdge({
        client: '198.51.100.9',
        server: '10.0.3.7',
        serverPort: 8443,
        serverEntity: exampleWorkload('payments', 'api'),
      }),
      exampleEdge({ client: '198.51.100.9', server: '10.0.3.7', serverPort: 53, protocol: 17, opened: 0 }),
    ],
    quiet: [
      // To the load balancer's subnet; rejected by the security group; a reply to a connection the pod opened.
      exampleEdge({ client: '198.51.100.9', server: '10.0.0.37', serverPort: 443 }),
      exampleEdge({
        client: '198.51.100.9',
        server: '10.0.9.164',
        serverPort: 443,
        interfaceId: 'eni-0e4f5a6b7c8d90164',
      }),
      exampleEdge({ client: '198.51.100.9', server: '10.0.3.7', serverPort: 22, accepted: 0, rejected: 3 }),
      exampleEdge({ client: '198.51.100.9', server: '10.0.3.7', serverPort: 8080, opened: 0 }),
      exampleEdge({ client: '10.0.3.7', server: '198.51.100.9', serverPort: 443 }),
    ],
  },
};
