import type { FlowRecord, Origin } from '../ingest/types';
import { canonicalIpv4 } from '../intel/cidr-index';
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

/**
 * Numbers addresses as they first appear. IPv4 (nearly every address in a flow log) goes through an
 * open-addressed table of plain integers: parsing ten characters is cheaper than hashing a fresh
 * string for a `Map`, and the table allocates nothing per lookup. Other addresses use a `Map`.
 */
class AddressIds {
  private keys = new Int32Array(1 << 12);
  /** Id + 1 per slot; 0 marks an empty slot. */
  private ids = new Int32Array(1 << 12);
  private mask = (1 << 12) - 1;
  private ipv4Count = 0;
  private readonly others = new Map<string, number>();
  size = 0;

  idOf(address: string): number {
    const ip = canonicalIpv4(address);
    if (ip < 0) {
      let id = this.others.get(address);
      if (id === undefined) {
        id = this.size++;
        this.others.set(address, id);
      }
      return id;
    }
    const key = ip | 0;
    const { keys, ids, mask } = this;
    let slot = hash1(key) & mask;
    for (;;) {
      const stored = ids[slot] as number;
      if (stored === 0) break;
      if (keys[slot] === key) return stored - 1;
      slot = (slot + 1) & mask;
    }
    const id = this.size++;
    keys[slot] = key;
    ids[slot] = id + 1;
    if (++this.ipv4Count * 2 > mask) this.grow();
    return id;
  }

  private grow(): void {
    const { keys, ids } = this;
    const capacity = keys.length * 2;
    this.keys = new Int32Array(capacity);
    this.ids = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < keys.length; i++) {
      const id = ids[i] as number;
      if (id === 0) continue;
      const key = keys[i] as number;
      let slot = hash1(key) & this.mask;
      while (this.ids[slot] !== 0) slot = (slot + 1) & this.mask;
      this.keys[slot] = key;
      this.ids[slot] = id;
    }
  }
}

/** Integers per {@link EdgeIndex} slot: four of key, one of value, padded to 32 bytes. */
const SLOT_INTS = 8;

/**
 * Edge indexes by (scope, client, server, port and protocol): per slot the four integers and the
 * edge index + 1 (0 marks an empty slot), side by side in one typed array so that a probe reads
 * one cache line. A `Map` keyed by a number packing the four needed a heap number per record and
 * a hash lookup that, with the address lookups, was most of aggregation.
 */
class EdgeIndex {
  private slots = new Int32Array(SLOT_INTS << 12);
  private mask = (1 << 12) - 1;
  private count = 0;

  /** The edge index stored under the key, or -1 after storing `next` under it. */
  find(scope: number, client: number, server: number, portProtocol: number, next: number): number {
    const { slots, mask } = this;
    let slot = hash4(scope, client, server, portProtocol) & mask;
    for (;;) {
      const at = slot * SLOT_INTS;
      const stored = slots[at + 4] as number;
      if (stored === 0) break;
      if (
        slots[at + 1] === client &&
        slots[at + 2] === server &&
        slots[at + 3] === portProtocol &&
        slots[at] === scope
      ) {
        return stored - 1;
      }
      slot = (slot + 1) & mask;
    }
    const at = slot * SLOT_INTS;
    slots[at] = scope;
    slots[at + 1] = client;
    slots[at + 2] = server;
    slots[at + 3] = portProtocol;
    slots[at + 4] = next + 1;
    if (++this.count * 2 > mask) this.grow();
    return -1;
  }

  private grow(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    this.slots = new Int32Array(capacity * SLOT_INTS);
    this.mask = capacity - 1;
    for (let at = 0; at < old.length; at += SLOT_INTS) {
      if (old[at + 4] === 0) continue;
      let slot =
        hash4(old[at] as number, old[at + 1] as number, old[at + 2] as number, old[at + 3] as number) & this.mask;
      while (this.slots[slot * SLOT_INTS + 4] !== 0) slot = (slot + 1) & this.mask;
      this.slots.set(old.subarray(at, at + SLOT_INTS), slot * SLOT_INTS);
    }
  }
}

/** Mixes the high bits into the low ones, which pick the slot. */
function hash1(a: number): number {
  const h = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

function hash4(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x27d4eb2f, 0x9e3779b1);
  h = Math.imul(h ^ b, 0x85ebca6b);
  h = Math.imul(h ^ c, 0xc2b2ae35);
  h = Math.imul(h ^ d, 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Aggregates records into edges. Memory grows with distinct edges, not with records. */
export class EdgeAggregator {
  /**
   * Edges by scope, client, server, port and protocol. Scopes and addresses are numbered as they
   * first appear, so a record costs integer probes instead of building and hashing a joined key
   * (which was the heaviest part of aggregation).
   */
  private readonly index = new EdgeIndex();
  private readonly addressIds = new AddressIds();
  private readonly scopeIds = new Map<string, number>();
  private readonly scopeNames: string[] = [];
  /** Each address's class by its id, once classified. */
  private readonly classes: AddressClass[] = [];
  /** The last record's VPC and account and the scope they made: consecutive records nearly always share them. */
  private lastVpc: string | undefined;
  private lastAccount: string | undefined;
  private lastScope = -1;
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
    const scopeId = this.scopeOf(record);
    // Port 0-65535 or 65536 for none, protocol 0-255 or 256 for none: 26 bits in all.
    const portProtocol = (serverPort ?? 65_536) * 512 + (record.protocol ?? 256);
    const clientId = this.addressIds.idOf(client);
    const serverId = this.addressIds.idOf(server);
    const found = this.index.find(scopeId, clientId, serverId, portProtocol, this.all.length);
    const time = (record.start ?? record.end ?? 0) * 1000;
    let edge: FlowEdge;
    if (found < 0) {
      const clientService = fromClient ? record.pktSrcAwsService : record.pktDstAwsService;
      const serverService = fromClient ? record.pktDstAwsService : record.pktSrcAwsService;
      edge = {
        scope: this.scopeNames[scopeId] as string,
        client,
        server,
        serverPort,
        protocol: record.protocol,
        clientClass: this.classOf(clientId, client, clientService),
        serverClass: this.classOf(serverId, server, serverService),
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
      this.all.push(edge);
    } else {
      edge = this.all[found] as FlowEdge;
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

  /**
   * The address's class, classified once per address: an address shows up in many edges, and
   * classifying parses it. A service name decides on its own, so it is not cached.
   */
  private classOf(id: number, address: string, service: string | undefined): AddressClass {
    if (service) return this.classifier.classify(address, service);
    let known = this.classes[id];
    if (known === undefined) {
      known = this.classifier.classify(address);
      this.classes[id] = known;
    }
    return known;
  }

  /** The record's {@link flowScope} as a number, without building the scope string again per record. */
  private scopeOf(record: FlowRecord): number {
    if (this.lastScope >= 0 && record.vpcId === this.lastVpc && record.accountId === this.lastAccount) {
      return this.lastScope;
    }
    const scope = flowScope(record);
    let id = this.scopeIds.get(scope);
    if (id === undefined) {
      id = this.scopeNames.length;
      this.scopeIds.set(scope, id);
      this.scopeNames.push(scope);
    }
    this.lastVpc = record.vpcId;
    this.lastAccount = record.accountId;
    this.lastScope = id;
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
