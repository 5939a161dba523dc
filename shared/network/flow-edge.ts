import type { FlowRecord, Origin } from '../ingest';
import { NO_COUNT } from '../ingest';
import { type AddressClass, isInternal } from './address';
import type { NetworkEntity } from './entity';
import { DEFAULT_SERVICE_PORTS, EPHEMERAL_FLOOR, type ServicePorts } from './ports';
import { type Traffic, trafficBytes } from './traffic';

/**
 * Flows between a client and a server port, aggregated over one object. Replies are folded into
 * the connection they answer, so an edge is one conversation, not two half-flows.
 */
export interface FlowEdge extends Traffic {
  scope: string;
  client: string;
  server: string;
  serverPort?: number;
  protocol?: number;
  clientClass: AddressClass;
  serverClass: AddressClass;
  clientService?: string;
  serverService?: string;
  /**
   * Client records that opened a TCP connection (SYN without ACK): attempts, for probe detection.
   * For records without `tcp-flags` ({@link flagless}), client records sized like a lone SYN.
   */
  opened?: number;
  /**
   * Set when TCP records of the edge carried no `tcp-flags` (AWS's default, version 2, format):
   * which end is the client then comes from ports alone, and {@link opened} from packet sizes, so
   * a detector must not read `opened` as "the client sent a SYN".
   */
  flagless?: boolean;
  /** First record's time (epoch ms) and location. */
  time: number;
  lastTime: number;
  origin: Origin;
  interfaceId?: string;
  vpcId?: string;
  /** Who the client and the server are, filled in by attribution before detection. */
  clientEntity?: NetworkEntity;
  serverEntity?: NetworkEntity;
  /**
   * For an end the pod IP map names only since a late report (the pod ran unnamed before it), who
   * the end was before: the entity its address alone gives. Baselines learned under that name are
   * the workload's history too, so an attribution never makes old behaviour new.
   */
  clientPrior?: NetworkEntity;
  serverPrior?: NetworkEntity;
  /**
   * Set when the client is a block of public sources, not one address: the scope held too many
   * edges from public sources, and they were folded (`EdgeAggregator`). What every folded edge to
   * this edge's server port adds up to, the same object for each of them.
   */
  folded?: SourceFold;
}

/**
 * A server port's edges from folded public sources, summed: their traffic (every record folded),
 * how many edges (blocks) there are, and how many distinct sources they stand for.
 */
export interface SourceFold extends Traffic {
  /** The prefix length the scope's public IPv4 sources were folded to (24, 16, 8 or 0), and IPv6 ones (48, 32, 16 or 0). */
  prefix: number;
  prefix6: number;
  /**
   * Distinct public sources, estimated (about 3%; nearly exact below a few thousand). Absent when
   * the scope had too many folded server ports to keep a count for each.
   */
  sources?: number;
  /** Edges (blocks of sources) to this server port. */
  edges: number;
}

const SYN = 0x02;
const ACK = 0x10;

/**
 * Decides which end of a record is the client. TCP flags decide when the log has them (a SYN
 * without ACK is the client's, SYN-ACK the server's). Otherwise ports do, in this order: the end
 * on a service port (well-known, or a port databases, caches, brokers and web servers listen on,
 * plus the configured sensitive and mining ports) is the server; then the end outside the
 * ephemeral range (32768 and up) is; then the lower port. Service ports come first because a NAT
 * gateway picks source ports anywhere in 1024-65535, so "the non-ephemeral side is the server"
 * alone swaps client and server whenever the gateway picks a low port.
 */
export function recordIsFromClient(record: FlowRecord, services: ServicePorts = DEFAULT_SERVICE_PORTS): boolean {
  return isFromClient(
    record.protocol ?? NO_COUNT,
    record.tcpFlags ?? NO_COUNT,
    record.srcPort ?? NO_COUNT,
    record.dstPort ?? NO_COUNT,
    services,
  );
}

/** {@link recordIsFromClient} on the fields themselves, {@link NO_COUNT} for a missing one. */
export function isFromClient(
  protocol: number,
  flags: number,
  src: number,
  dst: number,
  services: ServicePorts,
): boolean {
  if (protocol === 6 && flags >= 0) {
    if (flags & SYN && !(flags & ACK)) return true;
    if ((flags & (SYN | ACK)) === (SYN | ACK)) return false;
  }
  if (src < 0 || dst < 0) return true;
  const srcService = services.has(src);
  const dstService = services.has(dst);
  if (srcService !== dstService) return dstService;
  if (srcService) {
    // Both listed (a client port that happens to be a service port): a well-known port wins.
    const srcWellKnown = src < 1024;
    const dstWellKnown = dst < 1024;
    if (srcWellKnown !== dstWellKnown) return dstWellKnown;
    return dst <= src;
  }
  const srcEphemeral = src >= EPHEMERAL_FLOOR;
  const dstEphemeral = dst >= EPHEMERAL_FLOOR;
  if (srcEphemeral !== dstEphemeral) return srcEphemeral;
  return dst <= src;
}

/** Bytes of a lone SYN: 44 (IPv4 with only the MSS option) to 80 (IPv6 with every usual option). */
const SYN_BYTES_MIN = 44;
const SYN_BYTES_MAX = 80;
/** A RST carries no options: 40 bytes over IPv4, 60 over IPv6. */
const RST_BYTES_V4 = 40;
const RST_BYTES_V6 = 60;

/**
 * True when a client's record opened a TCP connection (SYN without ACK): what {@link FlowEdge.opened}
 * counts. Without `tcp-flags` ({@link NO_COUNT}, the default format), a record of one to three
 * packets each sized like a SYN (a connection attempt and its retries) counts: a conversation's
 * record carries more packets or larger ones. Idle keepalives are sized alike; {@link isProbeLike}
 * tells them apart by the reply.
 */
export function opensConnection(protocol: number, flags: number, packets = 0, bytes = 0): boolean {
  if (protocol !== 6) return false;
  if (flags < 0) {
    return packets >= 1 && packets <= 3 && bytes >= SYN_BYTES_MIN * packets && bytes <= SYN_BYTES_MAX * packets;
  }
  return flags > 0 && (flags & SYN) !== 0 && (flags & ACK) === 0;
}

/**
 * True when the client end of an edge opened its connection: for TCP with flags, a SYN from it
 * ({@link FlowEdge.opened}); otherwise (UDP, or TCP logged without `tcp-flags`) the server end
 * listens on a service port or a port below the ephemeral range, which is also how the records
 * were turned into this edge. A reply to a connection the server end opened from a listed port
 * looks the same without flags: that is what the default format cannot tell.
 */
export function clientOpened(edge: FlowEdge, services: ServicePorts = DEFAULT_SERVICE_PORTS): boolean {
  if (edge.protocol === 6 && !edge.flagless) return (edge.opened ?? 0) > 0;
  const port = edge.serverPort;
  return port !== undefined && (services.has(port) || port < EPHEMERAL_FLOOR);
}

/**
 * True when a record shows that the interface logging it relays: it forwards packets addressed
 * elsewhere (a NAT gateway, a load balancer that keeps client addresses), so the record carries
 * the interface's own address (`srcaddr`/`dstaddr`) and, for the same end, a packet address
 * (`pkt-srcaddr`/`pkt-dstaddr`) that is not it. `address` is the record's address of that end:
 * the packet's when logged, else the interface's. Addresses may be spelled any way in which one
 * address is one value: text for records, address ids for lines parsed in place.
 */
export function isRelayAddress<A>(interfaceAddress: A | undefined, address: A): boolean {
  return interfaceAddress !== undefined && interfaceAddress !== address;
}

/**
 * The address a watched interface (an entry point's, configured by ENI) logs as its own: the
 * source of what it sends, the destination of what it receives; as the interface logged it
 * (`srcaddr`/`dstaddr`), else as the packet's. Undefined without a direction or an address.
 */
export function ownAddress(
  direction: FlowRecord['flowDirection'],
  interfaceSource: string | undefined,
  packetSource: string | undefined,
  interfaceDestination: string | undefined,
  packetDestination: string | undefined,
): string | undefined {
  const own =
    direction === 'egress'
      ? (interfaceSource ?? packetSource)
      : direction === 'ingress'
        ? (interfaceDestination ?? packetDestination)
        : undefined;
  return own || undefined;
}

/**
 * True when an edge looks like probing rather than a conversation: every record rejected, or
 * connection attempts (SYN seen) that exchanged at most about three small packets per record
 * (a SYN answered by a RST, or a SYN-ACK and a RST). Idle long-lived connections send small
 * keepalives too, but open nothing in the window. Without `tcp-flags` an attempt is a SYN-sized
 * record ({@link opensConnection}), and a keepalive is one too: there the replies decide, no
 * reply at all (dropped or rejected at the target's interface) or RSTs only, at most a RST's
 * bytes per reply record. A keepalive's answer carries timestamps and is larger; an open port's
 * SYN-ACK too, so a scan is seen by its closed and filtered ports, as most of a scan's are.
 */
export function isProbeLike(edge: FlowEdge): boolean {
  if (edge.flows === 0) return false;
  if (edge.accepted === 0 && edge.rejected > 0) return true;
  if (!openedOnly(edge)) return false;
  if (!edge.flagless) return true;
  const replies = edge.flows - (edge.opened ?? 0);
  const rst = edge.server.includes(':') ? RST_BYTES_V6 : RST_BYTES_V4;
  return edge.bytesToClient <= rst * Math.max(replies, 0);
}

/**
 * True when an edge's TCP connections moved nothing beyond their opening: attempts were seen
 * ({@link FlowEdge.opened}) and no record carried more than about three small packets (a SYN
 * and its answer, a RST). With `tcp-flags` that is a probe ({@link isProbeLike}). Without them a
 * keepalive's records are sized alike, and an open port's SYN-ACK is not told from a keepalive's
 * answer: a detector of first use (new-port) can still skip such an edge, since a keepalive's
 * connection was seen when it opened, and a scan's open ports are no new dependency.
 */
export function openedOnly(edge: FlowEdge): boolean {
  if (edge.protocol !== 6 || !edge.opened || edge.flows === 0) return false;
  return edge.packets <= 3 * edge.flows && trafficBytes(edge) <= 180 * edge.flows;
}

/** The key of a client's edges to one port and protocol in one scope. */
function portKey(scope: string, client: string, port: number | undefined, protocol: number | undefined): string {
  return `${scope}|${client}|${port ?? ''}|${protocol ?? ''}`;
}

/** The public servers each internal client reaches, by {@link portKey}. */
function publicServersByClient(edges: readonly FlowEdge[]): Map<string, Set<string>> {
  const reached = new Map<string, Set<string>>();
  for (const edge of edges) {
    if (edge.serverClass !== 'public' || !isInternal(edge.clientClass)) continue;
    const key = portKey(edge.scope, edge.client, edge.serverPort, edge.protocol);
    let servers = reached.get(key);
    if (!servers) {
      servers = new Set();
      reached.set(key, servers);
    }
    servers.add(edge.server);
  }
  return reached;
}

/** True when the two sets share a member. */
function meet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const member of small) if (large.has(member)) return true;
  return false;
}

/**
 * True when an edge between internal addresses closes a relay's triangle ({@link inferredRelays}):
 * the server end reaches, on the edge's port and protocol, a public server the client's own edges
 * reach too. The edge is then the relay's copy of the client's packets.
 */
function isInboundCopy(edge: FlowEdge, reached: Map<string, Set<string>>): boolean {
  if (!isInternal(edge.serverClass) || !isInternal(edge.clientClass)) return false;
  const relayReaches = reached.get(portKey(edge.scope, edge.server, edge.serverPort, edge.protocol));
  const clientReaches = reached.get(portKey(edge.scope, edge.client, edge.serverPort, edge.protocol));
  return relayReaches !== undefined && clientReaches !== undefined && meet(relayReaches, clientReaches);
}

/**
 * Relays that records without packet addresses (AWS's default, version 2, format) still show.
 * There a NAT gateway's interface logs a pod's packets as addressed to the gateway itself (pod to
 * gateway, on the remote host's port: the interface's addresses, no `pkt-dstaddr` to say where
 * they go), and its own leg as gateway to remote host, while the pod's interface logs pod to
 * remote host: three edges of one connection, a triangle. An internal address is a relay when an
 * internal client reaches it on a port and protocol, and it and that client both reach one public
 * server on the same port and protocol, in one object and scope. Two interfaces logging one
 * internal connection make no triangle (no public server), nor does a proxy on its own port
 * (3128 in, 443 out). What the triangle cannot tell from a relay: an in-VPC server on a port that
 * calls, on that port, the very public host its own client calls.
 */
export function inferredRelays(edges: readonly FlowEdge[]): Set<string> {
  const relays = new Set<string>();
  const reached = publicServersByClient(edges);
  if (reached.size === 0) return relays;
  for (const edge of edges) if (!relays.has(edge.server) && isInboundCopy(edge, reached)) relays.add(edge.server);
  return relays;
}

/**
 * The edges a forwarding interface logs again for connections its clients' own edges already
 * show. A NAT gateway's interface logs a pod's packets arriving (with the pod and the remote host
 * as `pkt-*` addresses, which make the pod's own edge) and leaving again from the gateway's
 * address: that second edge, gateway to remote host, is the same connection. Without this every
 * finding about a pod's egress came twice, once naming the pod and once the gateway. Only edges
 * to public servers are taken, and only when an edge from another client to the same server,
 * port and protocol is in the same object, so a relay's own traffic (a load balancer's health
 * checks, anything no client edge explains) is still seen. Without packet addresses the gateway's
 * copy of the pod's packets is an edge of its own, pod to gateway ({@link inferredRelays}): it is
 * taken too when it closes the triangle, since the pod's own edge already shows the connection.
 */
export function relayedDuplicates(edges: readonly FlowEdge[], relays: ReadonlySet<string>): Set<FlowEdge> {
  const relayed = new Set<FlowEdge>();
  if (relays.size === 0) return relayed;
  const served = new Set<string>();
  const candidates: FlowEdge[] = [];
  const toRelays: FlowEdge[] = [];
  for (const edge of edges) {
    if (edge.serverClass !== 'public') {
      if (relays.has(edge.server)) toRelays.push(edge);
      continue;
    }
    if (relays.has(edge.client)) candidates.push(edge);
    else served.add(`${edge.scope}|${edge.server}|${edge.serverPort ?? ''}|${edge.protocol ?? ''}`);
  }
  for (const edge of candidates) {
    if (served.has(`${edge.scope}|${edge.server}|${edge.serverPort ?? ''}|${edge.protocol ?? ''}`)) relayed.add(edge);
  }
  if (toRelays.length > 0) {
    const reached = publicServersByClient(edges);
    for (const edge of toRelays) if (isInboundCopy(edge, reached)) relayed.add(edge);
  }
  return relayed;
}

/** The scope a flow record's baselines belong to: its VPC, else its account. */
export function scopeName(vpcId: string | undefined, accountId: string | undefined): string {
  return vpcId ?? (accountId ? `account-${accountId}` : 'flow');
}

/** The edge as its ends were named before a late pod report named them, when one did. */
export function priorEdge(edge: FlowEdge): FlowEdge | undefined {
  if (!edge.clientPrior && !edge.serverPrior) return undefined;
  const { clientPrior, serverPrior, ...rest } = edge;
  return {
    ...rest,
    ...(clientPrior ? { clientEntity: clientPrior } : {}),
    ...(serverPrior ? { serverEntity: serverPrior } : {}),
  };
}
