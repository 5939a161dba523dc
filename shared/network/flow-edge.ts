import type { FlowRecord, Origin } from '../ingest';
import { ActionCode, DirectionCode, FlowField, type FlowLine, NO_ADDRESS, NO_COUNT, TEXT_ADDRESS } from '../ingest';
import { canonicalIpv4 } from '../intel';
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
  return isFromClient(
    record.protocol ?? NO_COUNT,
    record.tcpFlags ?? NO_COUNT,
    record.srcPort ?? NO_COUNT,
    record.dstPort ?? NO_COUNT,
    services,
  );
}

/** {@link recordIsFromClient} on the fields themselves, {@link NO_COUNT} for a missing one. */
function isFromClient(protocol: number, flags: number, src: number, dst: number, services: ServicePorts): boolean {
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
  return scopeName(record.vpcId, record.accountId);
}

function scopeName(vpcId: string | undefined, accountId: string | undefined): string {
  return vpcId ?? (accountId ? `account-${accountId}` : 'flow');
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
  /** Per slot the address and its id + 1 (0 marks an empty slot), side by side: one cache line a probe. */
  private slots = new Int32Array(2 << 12);
  private mask = (1 << 12) - 1;
  private ipv4Count = 0;
  private readonly others = new Map<string, number>();
  /** Each id's address as text, made when first asked for; its IPv4 number, or -1. */
  private readonly names: (string | undefined)[] = [];
  private readonly numbers: number[] = [];

  get size(): number {
    return this.names.length;
  }

  idOf(address: string): number {
    const ip = canonicalIpv4(address);
    if (ip >= 0) return this.ipv4Id(ip);
    let id = this.others.get(address);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(address);
      this.numbers.push(-1);
      this.others.set(address, id);
    }
    return id;
  }

  /** The id of an IPv4 address given as its unsigned 32-bit number. */
  ipv4Id(ip: number): number {
    const key = ip | 0;
    const { slots, mask } = this;
    let slot = hash1(key) & mask;
    for (;;) {
      const stored = slots[2 * slot + 1] as number;
      if (stored === 0) break;
      if (slots[2 * slot] === key) return stored - 1;
      slot = (slot + 1) & mask;
    }
    const id = this.names.length;
    this.names.push(undefined);
    this.numbers.push(ip);
    slots[2 * slot] = key;
    slots[2 * slot + 1] = id + 1;
    if (++this.ipv4Count * 2 > mask) this.grow();
    return id;
  }

  /** The address of an id, as text (canonical dotted quad for IPv4, which is how it was written). */
  nameOf(id: number): string {
    let name = this.names[id];
    if (name === undefined) {
      const ip = this.numbers[id] as number;
      name = `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
      this.names[id] = name;
    }
    return name;
  }

  private grow(): void {
    const old = this.slots;
    const capacity = old.length;
    this.slots = new Int32Array(capacity * 2);
    this.mask = capacity - 1;
    for (let i = 0; i < old.length; i += 2) {
      const id = old[i + 1] as number;
      if (id === 0) continue;
      const key = old[i] as number;
      let slot = hash1(key) & this.mask;
      while (this.slots[2 * slot + 1] !== 0) slot = (slot + 1) & this.mask;
      this.slots[2 * slot] = key;
      this.slots[2 * slot + 1] = id;
    }
  }
}

/** Int32 values per {@link EdgeTable} slot: 64 bytes, one cache line. */
const SLOT_INTS = 16;
/** Where each value sits in a slot, as an Int32 index (counts and times) or a Float64 index (sums). */
const CLIENT = 0;
const SERVER = 1;
const PORT_PROTOCOL = 2;
/** The edge's index + 1; 0 marks an empty slot. */
const EDGE = 3;
const FLOWS = 4;
const ACCEPTED = 5;
const REJECTED = 6;
const OPENED = 7;
/** First and last record time, epoch seconds (read through the Uint32 view). */
const FIRST = 8;
const LAST = 9;
const TO_SERVER = 5;
const TO_CLIENT = 6;
const PACKETS = 7;
/** Seconds beyond this (the year 2106) do not fit a slot and are stored as this. */
const MAX_SECONDS = 0xffff_ffff;

/**
 * The edges of one scope, by client, server, port and protocol: open addressing over 64-byte
 * slots that hold the key and every count a record adds, so that folding a record into its edge
 * touches one cache line. Edge objects with their counts in properties cost three or four cache
 * misses a record (the object spans several lines, and V8 boxes every property that holds a
 * number beyond 2^30, such as a byte count or an epoch time), which was most of aggregation.
 */
class EdgeTable {
  /** The slots; `words` and `reals` are the same bytes as unsigned integers and doubles. */
  ints = new Int32Array(SLOT_INTS << 10);
  words = new Uint32Array(this.ints.buffer);
  reals = new Float64Array(this.ints.buffer);
  private mask = (1 << 10) - 1;
  private count = 0;

  /** The slot (as an Int32 index) holding the key; for a key not yet stored, -1 - the slot it now has. */
  find(client: number, server: number, portProtocol: number): number {
    const ints = this.ints;
    let slot = hash3(client, server, portProtocol) & this.mask;
    for (;;) {
      const at = slot * SLOT_INTS;
      if (ints[at + EDGE] === 0) break;
      if (ints[at + CLIENT] === client && ints[at + SERVER] === server && ints[at + PORT_PROTOCOL] === portProtocol) {
        return at;
      }
      slot = (slot + 1) & this.mask;
    }
    // Up to three quarters full: a slot is 64 bytes, and a table lives until its object is read.
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) {
      this.grow();
      return this.find(client, server, portProtocol);
    }
    this.count++;
    const at = slot * SLOT_INTS;
    ints[at + CLIENT] = client;
    ints[at + SERVER] = server;
    ints[at + PORT_PROTOCOL] = portProtocol;
    return -1 - at;
  }

  /** Starts the slot of a new edge. */
  open(at: number, edge: number, seconds: number): void {
    this.ints[at + EDGE] = edge + 1;
    this.words[at + FIRST] = seconds;
    this.words[at + LAST] = seconds;
  }

  /** Adds a record to the edge in slot `at`; true when the record is the edge's earliest so far. */
  fold(
    at: number,
    fromClient: boolean,
    bytes: number,
    packets: number,
    protocol: number,
    flags: number,
    action: number,
    seconds: number,
  ): boolean {
    const { ints, words, reals } = this;
    const real = at >> 1;
    if (fromClient) {
      reals[real + TO_SERVER] = (reals[real + TO_SERVER] as number) + bytes;
      if (protocol === 6 && flags > 0 && flags & SYN && !(flags & ACK))
        ints[at + OPENED] = (ints[at + OPENED] as number) + 1;
    } else {
      reals[real + TO_CLIENT] = (reals[real + TO_CLIENT] as number) + bytes;
    }
    reals[real + PACKETS] = (reals[real + PACKETS] as number) + packets;
    ints[at + FLOWS] = (ints[at + FLOWS] as number) + 1;
    if (action === ActionCode.Accept) ints[at + ACCEPTED] = (ints[at + ACCEPTED] as number) + 1;
    else if (action === ActionCode.Reject) ints[at + REJECTED] = (ints[at + REJECTED] as number) + 1;
    if (seconds > (words[at + LAST] as number)) words[at + LAST] = seconds;
    if (seconds < (words[at + FIRST] as number)) {
      words[at + FIRST] = seconds;
      return true;
    }
    return false;
  }

  /** The edge index of slot `at`. */
  edgeAt(at: number): number {
    return (this.ints[at + EDGE] as number) - 1;
  }

  /** Calls `visit` with each used slot and its edge index. */
  forEachSlot(visit: (at: number, index: number) => void): void {
    const ints = this.ints;
    for (let at = 0; at < ints.length; at += SLOT_INTS) {
      const index = ints[at + EDGE] as number;
      if (index !== 0) visit(at, index - 1);
    }
  }

  /** Copies the counts of slot `at` into its edge object. */
  copyTo(at: number, edge: FlowEdge): void {
    const { ints, words, reals } = this;
    const real = at >> 1;
    edge.bytesToServer = reals[real + TO_SERVER] as number;
    edge.bytesToClient = reals[real + TO_CLIENT] as number;
    edge.packets = reals[real + PACKETS] as number;
    edge.flows = ints[at + FLOWS] as number;
    edge.accepted = ints[at + ACCEPTED] as number;
    edge.rejected = ints[at + REJECTED] as number;
    const opened = ints[at + OPENED] as number;
    if (opened > 0) edge.opened = opened;
    edge.time = (words[at + FIRST] as number) * 1000;
    edge.lastTime = (words[at + LAST] as number) * 1000;
  }

  private grow(): void {
    const old = this.ints;
    const capacity = (this.mask + 1) * 2;
    this.ints = new Int32Array(capacity * SLOT_INTS);
    this.words = new Uint32Array(this.ints.buffer);
    this.reals = new Float64Array(this.ints.buffer);
    this.mask = capacity - 1;
    for (let at = 0; at < old.length; at += SLOT_INTS) {
      if (old[at + EDGE] === 0) continue;
      let slot = hash3(old[at] as number, old[at + 1] as number, old[at + 2] as number) & this.mask;
      while (this.ints[slot * SLOT_INTS + EDGE] !== 0) slot = (slot + 1) & this.mask;
      const to = slot * SLOT_INTS;
      for (let k = 0; k < SLOT_INTS; k++) this.ints[to + k] = old[at + k] as number;
    }
  }
}

/** A record's time in whole epoch seconds as a slot keeps it. */
function slotSeconds(seconds: number): number {
  return Math.min(seconds, MAX_SECONDS);
}

/** Size of the table of relay addresses already marked. */
const KNOWN_RELAY_SLOTS = 256;

const NO_PORT = 65_536;
const NO_PROTOCOL = 256;

/** Port 0-65535 or 65536 for none, protocol 0-255 or 256 for none: 26 bits in all. */
function edgePort(port: number, protocol: number): number {
  return (port < 0 ? NO_PORT : port) * 512 + (protocol < 0 ? NO_PROTOCOL : protocol);
}

/** Mixes the high bits into the low ones, which pick the slot. */
function hash1(a: number): number {
  const h = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

function hash3(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x27d4eb2f, 0x9e3779b1);
  h = Math.imul(h ^ b, 0x85ebca6b);
  h = Math.imul(h ^ c, 0xc2b2ae35);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Aggregates records into edges. Memory grows with distinct edges, not with records. */
export class EdgeAggregator {
  /**
   * Edges by scope, then client, server, port and protocol, one table per scope (an object rarely
   * has more than one). Scopes and addresses are numbered as they first appear, so a record costs
   * integer probes instead of building and hashing a joined key.
   */
  private readonly tables: EdgeTable[] = [];
  private readonly addressIds = new AddressIds();
  private readonly scopeIds = new Map<string, number>();
  private readonly scopeNames: string[] = [];
  /** Each address's class by its id, once classified. */
  private readonly classes: AddressClass[] = [];
  /** The last record's VPC and account and the scope they made: consecutive records nearly always share them. */
  private lastVpc: string | undefined;
  private lastAccount: string | undefined;
  private lastScope = -1;
  /** Edges as objects, made by {@link values}, by index. */
  private readonly all: FlowEdge[] = [];
  private count = 0;
  /** What each edge keeps beyond its slot, by index; an origin is a line number of {@link uri} when read from a line. */
  private readonly clientServices: (string | undefined)[] = [];
  private readonly serverServices: (string | undefined)[] = [];
  private readonly origins: (Origin | number)[] = [];
  private readonly interfaceIds: (string | undefined)[] = [];
  private readonly vpcIds: (string | undefined)[] = [];
  private closed = false;
  /** The object lines come from, for their edges' origins. */
  private uri = '';
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
  /** Address ids already in {@link relays}. */
  private readonly relayed: boolean[] = [];
  /** IPv4 relay addresses seen, by their low bits (see {@link noteRelay}). */
  private readonly knownRelays = new Float64Array(KNOWN_RELAY_SLOTS).fill(-1);

  constructor(
    private readonly classifier: AddressClassifier,
    options: EdgeAggregatorOptions = {},
  ) {
    this.services = options.servicePorts ?? DEFAULT_SERVICE_PORTS;
    this.watch = options.watchInterfaces && options.watchInterfaces.size > 0 ? options.watchInterfaces : undefined;
  }

  add(record: FlowRecord): void {
    if (this.watch && record.interfaceId !== undefined && this.watch.has(record.interfaceId)) {
      const own =
        record.flowDirection === 'egress'
          ? (record.ifSrcAddr ?? record.srcAddr)
          : record.flowDirection === 'ingress'
            ? (record.ifDstAddr ?? record.dstAddr)
            : undefined;
      if (own) this.learn(record.interfaceId, own);
    }
    const ifDst = record.ifDstAddr;
    if (ifDst !== undefined && ifDst !== record.dstAddr) this.relays.add(ifDst);
    const ifSrc = record.ifSrcAddr;
    if (ifSrc !== undefined && ifSrc !== record.srcAddr) this.relays.add(ifSrc);
    const protocol = record.protocol ?? NO_COUNT;
    const flags = record.tcpFlags ?? NO_COUNT;
    const srcPort = record.srcPort ?? NO_COUNT;
    const dstPort = record.dstPort ?? NO_COUNT;
    const fromClient = isFromClient(protocol, flags, srcPort, dstPort, this.services);
    const srcId = this.addressIds.idOf(record.srcAddr);
    const dstId = this.addressIds.idOf(record.dstAddr);
    const scopeId = this.scopeOf(record.vpcId, record.vpcId === undefined ? record.accountId : undefined);
    const seconds = slotSeconds(record.start ?? record.end ?? 0);
    const table = this.tables[scopeId] as EdgeTable;
    let at = this.slotOf(table, fromClient, srcId, dstId, srcPort, dstPort, protocol, seconds);
    if (at < 0) {
      at = -1 - at;
      this.noteEdge(
        fromClient ? record.pktSrcAwsService : record.pktDstAwsService,
        fromClient ? record.pktDstAwsService : record.pktSrcAwsService,
        record.origin,
        record.interfaceId,
        record.vpcId,
      );
    }
    const action = record.action === 'ACCEPT' ? ActionCode.Accept : record.action === 'REJECT' ? ActionCode.Reject : 0;
    if (table.fold(at, fromClient, record.bytes ?? 0, record.packets ?? 0, protocol, flags, action, seconds)) {
      this.origins[table.edgeAt(at)] = record.origin;
    }
  }

  /**
   * The same as {@link add}, from a line the reader parsed in place: addresses arrive as numbers
   * and strings are made only for an edge not seen before, so a record costs a few integer probes.
   */
  addLine(line: FlowLine): void {
    const values = line.values;
    if (this.watch) this.watchLine(line);
    const pktSrc = values[FlowField.PktSrcAddr] as number;
    const pktDst = values[FlowField.PktDstAddr] as number;
    const ifSrc = values[FlowField.SrcAddr] as number;
    const ifDst = values[FlowField.DstAddr] as number;
    const srcId =
      pktSrc >= 0
        ? this.addressIds.ipv4Id(pktSrc)
        : pktSrc === NO_ADDRESS
          ? this.lineAddress(line, FlowField.SrcAddr, ifSrc)
          : this.lineAddress(line, FlowField.PktSrcAddr, pktSrc);
    const dstId =
      pktDst >= 0
        ? this.addressIds.ipv4Id(pktDst)
        : pktDst === NO_ADDRESS
          ? this.lineAddress(line, FlowField.DstAddr, ifDst)
          : this.lineAddress(line, FlowField.PktDstAddr, pktDst);
    // A forwarding interface: the packet's addresses are not the interface's own.
    if (pktDst !== NO_ADDRESS && ifDst !== NO_ADDRESS && (ifDst !== pktDst || ifDst === TEXT_ADDRESS)) {
      this.noteRelay(line, FlowField.DstAddr, ifDst, dstId);
    }
    if (pktSrc !== NO_ADDRESS && ifSrc !== NO_ADDRESS && (ifSrc !== pktSrc || ifSrc === TEXT_ADDRESS)) {
      this.noteRelay(line, FlowField.SrcAddr, ifSrc, srcId);
    }
    const protocol = values[FlowField.Protocol] as number;
    const flags = values[FlowField.TcpFlags] as number;
    const srcPort = values[FlowField.SrcPort] as number;
    const dstPort = values[FlowField.DstPort] as number;
    const fromClient = isFromClient(protocol, flags, srcPort, dstPort, this.services);
    const scopeId = this.lineScope(line);
    const start = values[FlowField.Start] as number;
    const end = values[FlowField.End] as number;
    const seconds = slotSeconds(start !== NO_COUNT ? start : end !== NO_COUNT ? end : 0);
    const table = this.tables[scopeId] as EdgeTable;
    let at = this.slotOf(table, fromClient, srcId, dstId, srcPort, dstPort, protocol, seconds);
    if (at < 0) {
      at = -1 - at;
      this.noteEdge(
        line.text(fromClient ? FlowField.PktSrcAwsService : FlowField.PktDstAwsService),
        line.text(fromClient ? FlowField.PktDstAwsService : FlowField.PktSrcAwsService),
        this.originOf(line),
        line.text(FlowField.InterfaceId),
        line.text(FlowField.VpcId),
      );
    }
    const bytes = values[FlowField.Bytes] as number;
    const packets = values[FlowField.Packets] as number;
    const action = values[FlowField.Action] as number;
    if (table.fold(at, fromClient, Math.max(bytes, 0), Math.max(packets, 0), protocol, flags, action, seconds)) {
      this.origins[table.edgeAt(at)] = this.originOf(line);
    }
  }

  /** The slot of a record's edge; for an edge not seen before, -1 - its slot, opened for it. */
  private slotOf(
    table: EdgeTable,
    fromClient: boolean,
    srcId: number,
    dstId: number,
    srcPort: number,
    dstPort: number,
    protocol: number,
    seconds: number,
  ): number {
    const at = fromClient
      ? table.find(srcId, dstId, edgePort(dstPort, protocol))
      : table.find(dstId, srcId, edgePort(srcPort, protocol));
    if (at < 0) table.open(-1 - at, this.count, seconds);
    return at;
  }

  /** The id of a line's address field, whose value (a number) the reader parsed. */
  private lineAddress(line: FlowLine, code: FlowField, value: number): number {
    if (value >= 0) return this.addressIds.ipv4Id(value);
    return this.addressIds.idOf(value === NO_ADDRESS ? '' : (line.text(code) as string));
  }

  /**
   * Marks an interface address as a relay when the packet address beside it (`packetId`) differs.
   * Relays are few and come back on every line they log: a small table of IPv4 ones already
   * marked saves the lookups.
   */
  private noteRelay(line: FlowLine, code: FlowField, value: number, packetId: number): void {
    const slot = value & (KNOWN_RELAY_SLOTS - 1);
    if (value >= 0 && this.knownRelays[slot] === value) return;
    const id = this.lineAddress(line, code, value);
    if (id === packetId) return;
    if (value >= 0) this.knownRelays[slot] = value;
    if (this.relayed[id]) return;
    this.relayed[id] = true;
    this.relays.add(this.addressIds.nameOf(id));
  }

  /** {@link scopeOf} for a line, comparing its VPC and account bytes with the last line's before making strings. */
  private lineScope(line: FlowLine): number {
    const lastVpc = this.lastVpc;
    if (
      this.lastScope >= 0 &&
      line.hasText(FlowField.VpcId, lastVpc) &&
      (lastVpc !== undefined || line.hasText(FlowField.AccountId, this.lastAccount))
    ) {
      return this.lastScope;
    }
    const vpcId = line.text(FlowField.VpcId);
    return this.scopeOf(vpcId, vpcId === undefined ? line.text(FlowField.AccountId) : undefined);
  }

  private watchLine(line: FlowLine): void {
    const interfaceId = line.text(FlowField.InterfaceId);
    if (interfaceId === undefined || !this.watch?.has(interfaceId)) return;
    const direction = line.values[FlowField.FlowDirection];
    const [own, packet] =
      direction === DirectionCode.Egress
        ? [FlowField.SrcAddr, FlowField.PktSrcAddr]
        : direction === DirectionCode.Ingress
          ? [FlowField.DstAddr, FlowField.PktDstAddr]
          : [];
    if (own === undefined || packet === undefined) return;
    const address = line.text(own) ?? line.text(packet);
    if (address) this.learn(interfaceId, address);
  }

  /** Where a line is, as a line number when it is in the object the first line came from. */
  private originOf(line: FlowLine): Origin | number {
    if (this.uri === '') this.uri = line.uri;
    return line.uri === this.uri ? line.lineNumber : { uri: line.uri, line: line.lineNumber };
  }

  /** What a new edge keeps beyond its slot, until {@link values} makes it an object. */
  private noteEdge(
    clientService: string | undefined,
    serverService: string | undefined,
    origin: Origin | number,
    interfaceId: string | undefined,
    vpcId: string | undefined,
  ): void {
    this.count++;
    this.clientServices.push(clientService);
    this.serverServices.push(serverService);
    this.origins.push(origin);
    this.interfaceIds.push(interfaceId);
    this.vpcIds.push(vpcId);
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

  /** The {@link flowScope} of a VPC id (or, without one, an account id) as a number, without building its name again per record. */
  private scopeOf(vpcId: string | undefined, accountId: string | undefined): number {
    if (this.lastScope >= 0 && vpcId === this.lastVpc && accountId === this.lastAccount) return this.lastScope;
    if (this.closed) throw new Error('EdgeAggregator: a record was added after close()');
    const scope = scopeName(vpcId, accountId);
    let id = this.scopeIds.get(scope);
    if (id === undefined) {
      id = this.scopeNames.length;
      this.scopeIds.set(scope, id);
      this.scopeNames.push(scope);
      this.tables.push(new EdgeTable());
    }
    this.lastVpc = vpcId;
    this.lastAccount = accountId;
    this.lastScope = id;
    return id;
  }

  private learn(interfaceId: string, own: string): void {
    let addresses = this.interfaceAddresses.get(interfaceId);
    if (!addresses) {
      addresses = new Set();
      this.interfaceAddresses.set(interfaceId, addresses);
    }
    addresses.add(own);
  }

  get size(): number {
    return this.count;
  }

  /** The edges, as objects: made for edges new since the last call, brought up to date for the others. */
  values(): IterableIterator<FlowEdge> {
    this.tables.forEach((table, scopeId) => {
      table.forEachSlot((at, index) => {
        let origin = this.origins[index] as Origin | number;
        if (typeof origin === 'number') {
          origin = { uri: this.uri, line: origin };
          this.origins[index] = origin;
        }
        const edge = this.all[index];
        if (edge) {
          edge.origin = origin;
          table.copyTo(at, edge);
        } else {
          this.all[index] = this.makeEdge(scopeId, table, at, index, origin);
        }
      });
    });
    return this.all.values();
  }

  /**
   * The edges, as {@link values} gives them, for a caller that adds nothing more: the tables and
   * what each edge kept beside them are let go (for the largest objects, tens of megabytes the
   * rest of the processing can use). Relays and interface addresses stay.
   */
  close(): FlowEdge[] {
    const edges = [...this.values()];
    this.closed = true;
    this.tables.length = 0;
    this.scopeIds.clear();
    this.lastScope = -1;
    for (const kept of [this.clientServices, this.serverServices, this.origins, this.interfaceIds, this.vpcIds]) {
      kept.length = 0;
    }
    return edges;
  }

  private makeEdge(scopeId: number, table: EdgeTable, at: number, index: number, origin: Origin): FlowEdge {
    const clientId = table.ints[at + CLIENT] as number;
    const serverId = table.ints[at + SERVER] as number;
    const portProtocol = table.ints[at + PORT_PROTOCOL] as number;
    const port = Math.floor(portProtocol / 512);
    const protocol = portProtocol % 512;
    const client = this.addressIds.nameOf(clientId);
    const server = this.addressIds.nameOf(serverId);
    const clientService = this.clientServices[index];
    const serverService = this.serverServices[index];
    const real = at >> 1;
    const edge: FlowEdge = {
      scope: this.scopeNames[scopeId] as string,
      client,
      server,
      serverPort: port === NO_PORT ? undefined : port,
      protocol: protocol === NO_PROTOCOL ? undefined : protocol,
      clientClass: this.classOf(clientId, client, clientService),
      serverClass: this.classOf(serverId, server, serverService),
      clientService,
      serverService,
      // The counts go in with the object: made as zeros and set to doubles after, every edge
      // took V8's slow path for object literals (the literal's map kept being generalized).
      bytesToServer: table.reals[real + TO_SERVER] as number,
      bytesToClient: table.reals[real + TO_CLIENT] as number,
      packets: table.reals[real + PACKETS] as number,
      flows: table.ints[at + FLOWS] as number,
      accepted: table.ints[at + ACCEPTED] as number,
      rejected: table.ints[at + REJECTED] as number,
      time: (table.words[at + FIRST] as number) * 1000,
      lastTime: (table.words[at + LAST] as number) * 1000,
      origin,
      interfaceId: this.interfaceIds[index],
      vpcId: this.vpcIds[index],
    };
    const opened = table.ints[at + OPENED] as number;
    if (opened > 0) edge.opened = opened;
    return edge;
  }
}
