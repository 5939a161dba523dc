import type { Entities } from '../../alert/finding';
import type { FlowEdge } from '../../network/flow-edge';

const PROTOCOLS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

export function protocolName(protocol: number | undefined): string {
  return protocol === undefined ? '?' : (PROTOCOLS[protocol] ?? String(protocol));
}

/** `10.0.1.5 -> 203.0.113.9:443/tcp`. */
export function edgeText(edge: FlowEdge): string {
  return `${edge.client} -> ${edge.server}${edge.serverPort !== undefined ? `:${edge.serverPort}` : ''}/${protocolName(edge.protocol)}`;
}

/** The entities every flow finding carries. */
export function edgeEntities(edge: FlowEdge): Entities {
  return {
    srcAddr: edge.client,
    dstAddr: edge.server,
    dstPort: edge.serverPort,
    protocol: edge.protocol,
    interfaceId: edge.interfaceId,
    vpcId: edge.vpcId,
    dstService: edge.serverService,
  };
}

/** Byte and flow counts in words, for evidence. */
export function edgeEvidence(edge: FlowEdge): string {
  return (
    `${edgeText(edge)}: ${edge.flows} flow records, ${edge.bytesToServer} bytes sent, ${edge.bytesToClient} bytes received, ` +
    `${edge.accepted} accepted, ${edge.rejected} rejected`
  );
}
