import type { FlowEdge, SourceFold } from '../../network';
import { isInternal, trafficBytes } from '../../network';
import type { DetectContext, RuleDetector } from '../types';
import { edgeEntities, endpointOf, endText, protocolName } from './lib/describe';
import { isEntryPoint } from './lib/entry-point';
import { exampleEdge, exampleWorkload } from './lib/example-edges';

/** The distinct sources a folded server port heard from: the estimate, else (too many ports to count) its blocks. */
function sourcesOf(fold: SourceFold): number {
  return fold.sources ?? fold.edges;
}

/** A folded server port, internal and not an entry point, that heard from at least the configured number of sources. */
function fires(edge: FlowEdge, context: DetectContext): boolean {
  const fold = edge.folded;
  if (!fold || !isInternal(edge.serverClass) || isEntryPoint(edge, context)) return false;
  return sourcesOf(fold) >= context.config.network.internetScan.minSources;
}

/** One finding per server address and port: what a fold sums. */
function keyOf(edge: FlowEdge): string {
  return `${edge.scope}|${edge.server}|${edge.serverPort ?? ''}/${protocolName(edge.protocol)}`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** `/16` for IPv4, with IPv6's prefix when it differs in kind. */
function foldText(fold: SourceFold): string {
  return `/${fold.prefix} (IPv6 /${fold.prefix6})`;
}

/** A fold as a detector example sees it: `sources` distinct sources, one record each, folded to /16. */
function exampleFold(sources: number, extra: Partial<SourceFold> = {}): SourceFold {
  return {
    prefix: 16,
    prefix6: 32,
    sources,
    edges: Math.min(sources, 65_536),
    bytesToServer: 44 * sources,
    bytesToClient: 40 * sources,
    packets: 2 * sources,
    flows: sources,
    accepted: sources,
    rejected: 0,
    ...extra,
  };
}

export const internetScan: RuleDetector<FlowEdge> = {
  id: 'net.internet-scan',
  kind: 'rule',
  source: 'vpc-flow',
  title: 'Internet-wide scan of an internal server',
  description:
    'So many public addresses reached one internal server port in one flow-log object that their edges were ' +
    'folded into blocks of addresses to keep the object within memory: an internet-wide scan or a flood, aimed ' +
    'at an address that is not a configured public entry point. A load balancer expects this traffic; a pod, a ' +
    'node or a database does not.',
  severity: 'medium',
  mitre: ['T1595', 'T1046', 'T1498'],
  dedupeMinutes: 6 * 60,
  equivalents: {
    falco: 'none',
    guardduty: 'Recon:EC2/PortProbeUnprotectedPort',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Find why the address is reachable from the internet (a Service of type LoadBalancer or NodePort, a node ' +
    'or ENI with a public IP, a security group open to 0.0.0.0/0) and close it, or list it under ' +
    'network.entryPoints if it is a load balancer. If connections were accepted, check the workload for ' +
    'exploitation. The finding counts records and bytes exactly; the distinct sources are estimated.',

  dedupeKey(edge, context) {
    return fires(edge, context) ? keyOf(edge) : undefined;
  },

  detect(edge, context) {
    const fold = edge.folded;
    if (!fold || !fires(edge, context)) return undefined;
    const target =
      `${endText(edge.server, edge.serverEntity)}` +
      `${edge.serverPort !== undefined ? ` port ${edge.serverPort}` : ''}/${protocolName(edge.protocol)}`;
    return {
      // Accepted connections mean the scan reached a listener.
      severity: fold.accepted > 0 ? 'high' : 'medium',
      summary:
        `About ${count(sourcesOf(fold))} distinct public addresses sent ${count(fold.flows)} flow records ` +
        `(${count(trafficBytes(fold))} bytes) to ${target}, which is not a public entry point; ` +
        `${count(fold.accepted)} were accepted. Their edges were folded into ${count(fold.edges)} ` +
        `${foldText(fold)} blocks.`,
      entities: {
        ...edgeEntities(edge),
        srcAddr: undefined,
        srcEntity: undefined,
        sources: sourcesOf(fold),
        records: fold.flows,
        bytes: trafficBytes(fold),
        foldedTo: `/${fold.prefix}`,
        blocks: fold.edges,
      },
      // The sources are many blocks: the client is the first, named as all of them.
      roles: {
        client: { ...endpointOf(edge.client, edge.clientEntity), name: 'internet' },
        server: endpointOf(edge.server, edge.serverEntity),
        ...(edge.serverPort !== undefined ? { port: edge.serverPort } : {}),
      },
      evidence:
        `to ${target}: about ${count(sourcesOf(fold))} sources in ${count(fold.edges)} ${foldText(fold)} blocks, ` +
        `${count(fold.flows)} flow records, ${count(fold.bytesToServer)} bytes sent, ` +
        `${count(fold.bytesToClient)} bytes received, ${count(fold.accepted)} accepted, ${count(fold.rejected)} rejected`,
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
      exampleEdge({
        client: '198.51.0.0/16',
        clientClass: 'public',
        server: '10.0.3.7',
        folded: exampleFold(4_000_000),
      }),
      exampleEdge({
        client: '203.0.0.0/16',
        clientClass: 'public',
        server: '10.0.3.7',
        serverPort: 8443,
        serverEntity: exampleWorkload('payments', 'api'),
        folded: exampleFold(25_000, { accepted: 0, rejected: 25_000 }),
      }),
    ],
    quiet: [
      // The load balancer's subnet, and its interface: the internet is expected there.
      exampleEdge({
        client: '198.51.0.0/16',
        clientClass: 'public',
        server: '10.0.0.37',
        folded: exampleFold(4_000_000),
      }),
      exampleEdge({
        client: '198.51.0.0/16',
        clientClass: 'public',
        server: '10.0.9.164',
        interfaceId: 'eni-0e4f5a6b7c8d90164',
        folded: exampleFold(4_000_000),
      }),
      // A server port with few sources, folded because others were scanned; and an edge not folded at all.
      exampleEdge({ client: '198.51.100.0/24', clientClass: 'public', server: '10.0.3.7', folded: exampleFold(40) }),
      exampleEdge({ client: '198.51.100.9', server: '10.0.3.7' }),
    ],
  },
};
