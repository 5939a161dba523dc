import type { FlowEdge } from '../../network';
import { isInternal, trafficBytes } from '../../network';
import type { ThresholdDetector } from '../types';
import { edgeEntities, edgeRoles, endText, protocolName } from './lib/describe';
import { exampleEdge, exampleWorkload } from './lib/example-edges';
import { isPublicServer } from './lib/public-server';

/** What kind of flood an edge's packets count towards, in the key and the description. */
type FloodKind = 'tcp' | 'udp' | 'udp-on-tcp-port' | `protocol-${number}`;

/**
 * TCP services nobody speaks UDP to: UDP aimed at them is a flood (GuardDuty's UdpOnTcpPorts).
 * Not 443 (QUIC), 53 (DNS) or 80 (some floods, but also HTTP/3 experiments behind it).
 */
const TCP_ONLY_PORTS = new Set([21, 22, 23, 25, 110, 143, 445, 993, 995, 1433, 3306, 3389, 5432, 6379, 8080, 8443]);

/**
 * Average bytes a packet of a TCP flood carries at most: SYN, ACK and RST floods are bare
 * headers. A large upload at the same packet rate carries full segments.
 */
const FLOOD_PACKET_BYTES = 120;

/**
 * How many times a packet of a rare kind counts: ICMP, GRE and other protocols, and UDP to a TCP
 * service, have no busy legitimate use, so a tenth of the rate is already a flood.
 */
const RARE_FACTOR = 10;

/** How much a packet of a kind of flood weighs: TCP and UDP as they are, rarer protocols {@link RARE_FACTOR} times. */
function factorOf(kind: string | undefined): number {
  return kind === 'tcp' || kind === 'udp' ? 1 : RARE_FACTOR;
}

/**
 * The kind of flood an edge from a workload to one public host may be part of, or undefined when
 * its traffic looks like use: TCP with full-sized packets (an upload), UDP that gets answers (a
 * call, a VPN). Needs no TCP flags; packets and bytes are in every format.
 */
function floodKind(edge: FlowEdge): FloodKind | undefined {
  if (!isInternal(edge.clientClass) || !isPublicServer(edge) || edge.accepted === 0 || edge.packets === 0) {
    return undefined;
  }
  const oneWay = edge.bytesToClient * 20 <= edge.bytesToServer;
  switch (edge.protocol) {
    case undefined:
      return undefined;
    case 6:
      return trafficBytes(edge) <= FLOOD_PACKET_BYTES * edge.packets ? 'tcp' : undefined;
    case 17:
      if (!oneWay) return undefined;
      return edge.serverPort !== undefined && TCP_ONLY_PORTS.has(edge.serverPort) ? 'udp-on-tcp-port' : 'udp';
    default:
      return `protocol-${edge.protocol}`;
  }
}

function kindText(kind: string): string {
  if (kind === 'tcp') return 'small TCP packets (SYN, ACK or RST flood)';
  if (kind === 'udp') return 'UDP packets that got no answer';
  if (kind === 'udp-on-tcp-port') return 'UDP packets to a port only TCP services use';
  return `${protocolName(Number(kind.slice('protocol-'.length)))} packets`;
}

/** Flood-shaped traffic: `n` edges of `packets` packets each, as a flow log's records aggregate them. */
const flood = (n: number, edge: Partial<FlowEdge> & { server: string }) =>
  Array.from({ length: n }, () =>
    exampleEdge({
      client: '10.0.3.7',
      serverPort: 80,
      packets: 200_000,
      bytesToServer: 200_000 * 60,
      bytesToClient: 0,
      flows: 40,
      accepted: 40,
      opened: undefined,
      ...edge,
    }),
  );

export const outboundFlood: ThresholdDetector<FlowEdge> = {
  id: 'net.outbound-flood',
  kind: 'threshold',
  source: 'vpc-flow',
  title: 'Outbound flood to one host on the internet',
  description:
    'A workload sent one public host packets at a flood rate: small TCP packets, UDP that nobody answers, UDP to ' +
    'TCP service ports, or ICMP, GRE and other rare protocols. The cluster is being used in a denial-of-service ' +
    "attack, which costs egress, gets the account reported, and means the workload is under someone else's control.",
  severity: 'high',
  mitre: ['T1498', 'T1498.001'],
  dedupeMinutes: 60,
  equivalents: {
    falco: 'none',
    guardduty:
      'Backdoor:EC2/DenialOfService.Tcp, Backdoor:EC2/DenialOfService.Udp, ' +
      'Backdoor:EC2/DenialOfService.UdpOnTcpPorts, Backdoor:EC2/DenialOfService.UnusualProtocol, ' +
      'Backdoor:EC2/DenialOfService.Dns',
    elastic: 'none',
    sigma: 'none',
  },
  runbook:
    'Find the workload behind the source and isolate it with a NetworkPolicy that denies egress; capture its ' +
    'processes and image before deleting it. Find out how it was created or changed (audit log: who, from where), ' +
    'and rotate credentials it could read.',

  limits(context) {
    const { packetsPerSecond, windowMinutes } = context.config.network.outboundFlood;
    return { threshold: packetsPerSecond * windowMinutes * 60, windowMinutes };
  },

  count(edge) {
    const kind = floodKind(edge);
    return kind ? [`${edge.client}|${edge.server}|${kind}`] : undefined;
  },

  weight(edge) {
    return edge.packets * factorOf(floodKind(edge));
  },

  describe(key, total, edge, context) {
    const kind = key.slice(key.lastIndexOf('|') + 1);
    const packets = Math.round(total / factorOf(kind));
    const { windowMinutes } = context.config.network.outboundFlood;
    const rate = Math.round(packets / (windowMinutes * 60));
    return {
      summary:
        `${endText(edge.client, edge.clientEntity)} sent ${edge.server} about ${packets} ${kindText(kind)} within ` +
        `${windowMinutes} minutes (${rate} per second on average): a denial-of-service flood.`,
      entities: { ...edgeEntities(edge), packets, packetsPerSecond: rate, floodKind: kind },
      roles: edgeRoles(edge),
      evidence:
        `${edge.client} -> ${edge.server}${edge.serverPort !== undefined ? `:${edge.serverPort}` : ''}/` +
        `${protocolName(edge.protocol)}: ${packets} packets in the window; first object ${edge.packets} packets, ` +
        `${edge.bytesToServer} bytes sent, ${edge.bytesToClient} received`,
      dedupeKey: `${edge.scope}|${edge.client}|${edge.server}`,
    };
  },

  examples: {
    fires: [
      // A SYN flood: 600,000 bare packets in five minutes.
      flood(3, { server: '203.0.113.80', clientEntity: exampleWorkload('shop', 'cart') }),
      // UDP to many ports of one host, nothing back.
      [4000, 4001, 4002].map((port) =>
        exampleEdge({
          client: '10.0.3.7',
          server: '203.0.113.81',
          serverPort: port,
          protocol: 17,
          packets: 200_000,
          bytesToServer: 200_000 * 512,
          bytesToClient: 0,
        }),
      ),
      // ICMP at 300 packets a second; UDP to SSH.
      flood(1, {
        server: '203.0.113.82',
        protocol: 1,
        serverPort: undefined,
        packets: 90_000,
        bytesToServer: 90_000 * 84,
      }),
      flood(1, { server: '203.0.113.83', protocol: 17, serverPort: 22, packets: 70_000, bytesToServer: 70_000 * 100 }),
    ],
    quiet: [
      // A big upload (full-sized packets); a video call (answered UDP); pings; a flood inside the VPC; a short burst.
      flood(3, { server: '203.0.113.80', bytesToServer: 200_000 * 1400, bytesToClient: 200_000 * 40 }),
      flood(3, { server: '203.0.113.81', protocol: 17, serverPort: 3478, bytesToClient: 200_000 * 30 }),
      flood(1, { server: '203.0.113.82', protocol: 1, serverPort: undefined, packets: 600, bytesToServer: 600 * 84 }),
      flood(3, { server: '10.0.9.9' }),
      flood(1, { server: '203.0.113.80' }),
    ],
  },
};
