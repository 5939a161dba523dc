import type { Endpoint, Entities, FindingRoles } from '../../../alert';
import type { FlowEdge, NetworkEntity } from '../../../network';
import { subnetBlock } from '../../../network';

const PROTOCOLS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

export function protocolName(protocol: number | undefined): string {
  return protocol === undefined ? '?' : (PROTOCOLS[protocol] ?? String(protocol));
}

/** How an end of an edge reads in a sentence: `shop/web (10.0.1.57)`, `rds-subnets (10.0.200.10)`, or the address alone. */
export function endText(address: string, entity: NetworkEntity | undefined): string {
  if (!entity || entity.kind === 'external' || entity.kind === 'unknown') return address;
  const name = entity.kind === 'cidr' ? entity.group : entity.label;
  return name.includes(address) ? name : `${name} (${address})`;
}

/** `shop/web (10.0.1.5) -> 203.0.113.9:443/tcp`. */
function edgeText(edge: FlowEdge): string {
  return (
    `${endText(edge.client, edge.clientEntity)} -> ${endText(edge.server, edge.serverEntity)}` +
    `${edge.serverPort !== undefined ? `:${edge.serverPort}` : ''}/${protocolName(edge.protocol)}`
  );
}

/** The entities naming one end: `srcWorkload`, `srcNamespace`, `srcPod`, `srcEntity`, `srcLabel`, `srcNode`. */
function sideEntities(prefix: 'src' | 'dst', entity: NetworkEntity | undefined): Entities {
  if (!entity) return {};
  const out: Entities = { [`${prefix}Entity`]: entity.label };
  if (entity.kind === 'workload' || entity.kind === 'pod') {
    out[`${prefix}Workload`] = entity.label;
    out[`${prefix}Namespace`] = entity.namespace;
    if (entity.pod) out[`${prefix}Pod`] = entity.pod;
    if (entity.owner) out[`${prefix}Owner`] = entity.owner;
  } else if (entity.kind === 'node') {
    out[`${prefix}Node`] = entity.id.slice('node:'.length);
  } else if (entity.kind === 'cidr' || entity.kind === 'load-balancer') {
    out[`${prefix}Label`] = entity.group;
  } else if (entity.kind === 'unknown' && entity.cidr) {
    out[`${prefix}Subnet`] = entity.cidr;
  }
  return out;
}

/** The entities every flow finding carries: the addresses verbatim, and who they are when known. */
export function edgeEntities(edge: FlowEdge): Entities {
  return {
    srcAddr: edge.client,
    dstAddr: edge.server,
    dstPort: edge.serverPort,
    protocol: edge.protocol,
    interfaceId: edge.interfaceId,
    vpcId: edge.vpcId,
    dstService: edge.serverService,
    ...sideEntities('src', edge.clientEntity),
    ...sideEntities('dst', edge.serverEntity),
  };
}

/** Byte and flow counts in words, for evidence. */
export function edgeEvidence(edge: FlowEdge): string {
  return (
    `${edgeText(edge)}: ${edge.flows} flow records, ${edge.bytesToServer} bytes sent, ${edge.bytesToClient} bytes received, ` +
    `${edge.accepted} accepted, ${edge.rejected} rejected`
  );
}

/** A name for the client of an edge that baselines can learn: its workload, node, label or /24. */
export function sourceKey(edge: FlowEdge): string {
  const entity = edge.clientEntity;
  if (entity && entity.kind !== 'unknown' && entity.kind !== 'external') return entity.id;
  return `subnet:${entity?.cidr ?? subnetBlock(edge.client)}`;
}

/** An end of an edge: the address as logged, and the entity attribution named. */
export function endpointOf(address: string, entity: NetworkEntity | undefined): Endpoint {
  return entity ? { address, entity: entity.id } : { address };
}

/** The roles of an edge's ends, for readers that place a finding on the network map. */
export function edgeRoles(edge: FlowEdge): FindingRoles {
  return {
    client: endpointOf(edge.client, edge.clientEntity),
    server: endpointOf(edge.server, edge.serverEntity),
    ...(edge.serverPort !== undefined ? { port: edge.serverPort } : {}),
  };
}
