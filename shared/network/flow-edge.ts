import type { FlowRecord, Origin } from '../ingest/types';
import type { AddressClass, AddressClassifier } from './address';
import type { NetworkEntity } from './entity';
import { DEFAULT_SERVICE_PORTS, EPHEMERAL_FLOOR, type ServicePorts } from './ports';

/**
 * Flows between a client and a server port, aggregated over one object. Replies are folded into
 * the connection they answer, so an edge is one conversation, not two half-flows.
 */
export interface FlowEdge {
  scope: string;
  client: string;
  server: string;
  serverPort?: number;
  protocol?: number;
  clientClass: AddressClass;
  serverClass: AddressClass;
  clientService?: string;
  serverService?: string;
  bytesToServer: number;
  bytesToClient: number;
  packets: number;
  flows: number;
  accepted: number;
  rejected: number;
  /** Client records that opened a TCP connection (SYN without ACK): attempts, for probe detection. */
  opened?: number;
  /** First record's time (epoch ms) and location. */
  time: number;
  lastTime: number;
  origin: Origin;
  interfaceId?: string;
  vpcId?: string;
  /** Who the client and the server are, filled in by attribution before detection. */
  clientEntity?: NetworkEntity;
  serverEntity?: NetworkEntity;
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
  const flags = record.tcpFlags;
  if (record.protocol === 6 && flags !== undefined) {
    if (flags & SYN && !(flags & ACK)) return true;
    if ((flags & (SYN | ACK)) === (SYN | ACK)) return false;
  }
  const src = record.srcPort;
  const dst = record.dstPort;
  if (src === undefined || dst === undefined) return true;
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

/**
 * True when an edge looks like probing rather than a conversation: every record rejected, or
 * connection attempts (SYN seen) that exchanged at most about three small packets per record
 * (a SYN answered by a RST, or a SYN-ACK and a RST). Idle long-lived connections send small
 * keepalives too, but open nothing in the window.
 */
export function isProbeLike(edge: FlowEdge): boolean {
  if (edge.flows === 0) return false;
  if (edge.accepted === 0 && edge.rejected > 0) return true;
  if (edge.protocol !== 6 || !edge.opened) return false;
  const bytes = edge.bytesToServer + edge.bytesToClient;
  return edge.packets <= 3 * edge.flows && bytes <= 180 * edge.flows;
}

/**
 * The edges a forwarding interface logs again for connections its clients' own edges already
 * show. A NAT gateway's interface logs a pod's packets arriving (with the pod and the remote host
 * as `pkt-*` addresses, which make the pod's own edge) and leaving again from the gateway's
 * address: that second edge, gateway to remote host, is the same connection. Without this every
 * finding about a pod's egress came twice, once naming the pod and once the gateway. Only edges
 * to public servers are taken, and only when an edge from another client to the same server,
 * port and protocol is in the same object, so a relay's own traffic (a load balancer's health
 * checks, anything no client edge explains) is still seen.
 */
export function relayedDuplicates(edges: readonly FlowEdge[], relays: ReadonlySet<string>): Set<FlowEdge> {
  const relayed = new Set<FlowEdge>();
  if (relays.size === 0) return relayed;
  const served = new Set<string>();
  const candidates: FlowEdge[] = [];
  for (const edge of edges) {
    if (edge.serverClass !== 'public') continue;
    if (relays.has(edge.client)) candidates.push(edge);
    else served.add(`${edge.scope}|${edge.server}|${edge.serverPort ?? ''}|${edge.protocol ?? ''}`);
  }
  for (const edge of candidates) {
    if (served.has(`${edge.scope}|${edge.server}|${edge.serverPort ?? ''}|${edge.protocol ?? ''}`)) relayed.add(edge);
  }
  return relayed;
}

/** The scope a flow record's baselines belong to: its VPC, else its account. */
export function flowScope(record: FlowRecord): string {
  return record.vpcId ?? (record.accountId ? `account-${record.accountId}` : 'flow');
}

export interface EdgeAggregatorOptions {
  /** Server-side ports for records without TCP flags. @default the built-in list */
  servicePorts?: ServicePorts;
  /**
   * Interfaces whose own addresses should be learned (load balancers configured as entry points
   * by ENI): egress records name the interface's address as source, ingress records as destination.
   */
  watchInterfaces?: ReadonlySet<string>;
}

/** Small codes for the protocols that matter; index 256 stands for "not logged". */
const PROTOCOL_CODES: (number | undefined)[] = [];
PROTOCOL_CODES[6] = 0;
PROTOCOL_CODES[17] = 1;
PROTOCOL_CODES[1] = 2;
PROTOCOL_CODES[58] = 3;
PROTOCOL_CODES[256] = 4;

/** Aggregates records into edges. Memory grows with distinct edges, not with records. */
export class EdgeAggregator {
  /**
   * Edges by scope, then by one number packing client, server, port and protocol. Addresses are
   * numbered as they first appear, so a record costs two lookups of strings the reader already
   * made and one numeric lookup, instead of building and hashing a joined key per record (which
   * was the heaviest part of aggregation). Past 65,536 addresses or an unusual protocol, a string
   * key takes over.
   */
  private readonly scopes = new Map<string, Map<number | string, FlowEdge>>();
  private readonly addressIds = new Map<string, number>();
  private readonly all: FlowEdge[] = [];
  private readonly services: ServicePorts;
  private readonly watch: ReadonlySet<string> | undefined;
  /** Addresses of watched interfaces, learned from their records. */
  readonly interfaceAddresses = new Map<string, Set<string>>();
  /**
   * Interface addresses that forward packets addressed elsewhere (a NAT gateway, a load balancer
   * preserving client addresses): the records they log carry `pkt-*` addresses that differ from
   * the interface's own.
   */
  readonly relays = new Set<string>();

  constructor(
    private readonly classifier: AddressClassifier,
    options: EdgeAggregatorOptions = {},
  ) {
    this.services = options.servicePorts ?? DEFAULT_SERVICE_PORTS;
    this.watch = options.watchInterfaces && options.watchInterfaces.size > 0 ? options.watchInterfaces : undefined;
  }

  add(record: FlowRecord): void {
    if (this.watch && record.interfaceId !== undefined && this.watch.has(record.interfaceId)) this.learn(record);
    const ifDst = record.ifDstAddr;
    if (ifDst !== undefined && ifDst !== record.dstAddr) this.relays.add(ifDst);
    const ifSrc = record.ifSrcAddr;
    if (ifSrc !== undefined && ifSrc !== record.srcAddr) this.relays.add(ifSrc);
    const fromClient = recordIsFromClient(record, this.services);
    const client = fromClient ? record.srcAddr : record.dstAddr;
    const server = fromClient ? record.dstAddr : record.srcAddr;
    const serverPort = fromClient ? record.dstPort : record.srcPort;
    const scope = flowScope(record);
    let edges = this.scopes.get(scope);
    if (!edges) {
      edges = new Map();
      this.scopes.set(scope, edges);
    }
    const key = this.keyOf(client, server, serverPort, record.protocol);
    const time = (record.start ?? record.end ?? 0) * 1000;
    let edge = edges.get(key);
    if (!edge) {
      const clientService = fromClient ? record.pktSrcAwsService : record.pktDstAwsService;
      const serverService = fromClient ? record.pktDstAwsService : record.pktSrcAwsService;
      edge = {
        scope,
        client,
        server,
        serverPort,
        protocol: record.protocol,
        clientClass: this.classifier.classify(client, clientService),
        serverClass: this.classifier.classify(server, serverService),
        clientService,
        serverService,
        bytesToServer: 0,
        bytesToClient: 0,
        packets: 0,
        flows: 0,
        accepted: 0,
        rejected: 0,
        time,
        lastTime: time,
        origin: record.origin,
        interfaceId: record.interfaceId,
        vpcId: record.vpcId,
      };
      edges.set(key, edge);
      this.all.push(edge);
    }
    const bytes = record.bytes ?? 0;
    if (fromClient) edge.bytesToServer += bytes;
    else edge.bytesToClient += bytes;
    edge.packets += record.packets ?? 0;
    edge.flows++;
    if (fromClient && record.protocol === 6 && record.tcpFlags !== undefined && record.tcpFlags & SYN) {
      if (!(record.tcpFlags & ACK)) edge.opened = (edge.opened ?? 0) + 1;
    }
    if (record.action === 'ACCEPT') edge.accepted++;
    else if (record.action === 'REJECT') edge.rejected++;
    if (time < edge.time) {
      edge.time = time;
      edge.origin = record.origin;
    }
    if (time > edge.lastTime) edge.lastTime = time;
  }

  private keyOf(
    client: string,
    server: string,
    port: number | undefined,
    protocol: number | undefined,
  ): number | string {
    const c = this.addressId(client);
    const s = this.addressId(server);
    const p = PROTOCOL_CODES[protocol ?? 256];
    if (c < 65_536 && s < 65_536 && p !== undefined) {
      // At most 2^16 * 2^16 * 65,537 * 8 < 2^53: exact as a double.
      return ((c * 65_536 + s) * 65_537 + (port ?? 65_536)) * 8 + p;
    }
    return `${client}|${server}|${port ?? ''}|${protocol ?? ''}`;
  }

  private addressId(address: string): number {
    let id = this.addressIds.get(address);
    if (id === undefined) {
      id = this.addressIds.size;
      this.addressIds.set(address, id);
    }
    return id;
  }

  private learn(record: FlowRecord): void {
    const own =
      record.flowDirection === 'egress'
        ? (record.ifSrcAddr ?? record.srcAddr)
        : record.flowDirection === 'ingress'
          ? (record.ifDstAddr ?? record.dstAddr)
          : undefined;
    if (!own) return;
    let addresses = this.interfaceAddresses.get(record.interfaceId as string);
    if (!addresses) {
      addresses = new Set();
      this.interfaceAddresses.set(record.interfaceId as string, addresses);
    }
    addresses.add(own);
  }

  get size(): number {
    return this.all.length;
  }

  values(): IterableIterator<FlowEdge> {
    return this.all.values();
  }
}
