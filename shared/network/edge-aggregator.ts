import type { FlowRecord, Origin } from '../ingest';
import { ActionCode, DirectionCode, FlowField, type FlowLine, NO_ADDRESS, NO_COUNT, TEXT_ADDRESS } from '../ingest';
import type { AddressClass, AddressClassifier } from './address';
import { AddressIds, EdgeTable } from './edge-tables';
import { type FlowEdge, isFromClient, isRelayAddress, opensConnection, ownAddress, scopeName } from './flow-edge';
import { DEFAULT_SERVICE_PORTS, type ServicePorts } from './ports';

export interface EdgeAggregatorOptions {
  /** Server-side ports for records without TCP flags. @default the built-in list */
  servicePorts?: ServicePorts;
  /**
   * Interfaces whose own addresses should be learned (load balancers configured as entry points
   * by ENI): egress records name the interface's address as source, ingress records as destination.
   */
  watchInterfaces?: ReadonlySet<string>;
}

/** Size of the table of relay addresses already marked. */
const KNOWN_RELAY_SLOTS = 256;

/**
 * Aggregates records into edges. Memory grows with distinct edges, not with records. Records come
 * as objects ({@link add}) or as lines the reader parsed in place ({@link addLine}); both follow
 * the rules of flow-edge.ts and fold into the tables of edge-tables.ts.
 */
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
  /** Addresses of watched interfaces, learned from their records (see {@link ownAddress}). */
  readonly interfaceAddresses = new Map<string, Set<string>>();
  /** Interface addresses that forward packets addressed elsewhere (see {@link isRelayAddress}). */
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
      this.learn(
        record.interfaceId,
        ownAddress(record.flowDirection, record.ifSrcAddr, record.srcAddr, record.ifDstAddr, record.dstAddr),
      );
    }
    const ifDst = record.ifDstAddr;
    if (isRelayAddress(ifDst, record.dstAddr)) this.markRelay(this.addressIds.idOf(ifDst as string));
    const ifSrc = record.ifSrcAddr;
    if (isRelayAddress(ifSrc, record.srcAddr)) this.markRelay(this.addressIds.idOf(ifSrc as string));
    const protocol = record.protocol ?? NO_COUNT;
    const flags = record.tcpFlags ?? NO_COUNT;
    const srcPort = record.srcPort ?? NO_COUNT;
    const dstPort = record.dstPort ?? NO_COUNT;
    const fromClient = isFromClient(protocol, flags, srcPort, dstPort, this.services);
    const srcId = this.addressIds.idOf(record.srcAddr);
    const dstId = this.addressIds.idOf(record.dstAddr);
    const scopeId = this.scopeOf(record.vpcId, record.vpcId === undefined ? record.accountId : undefined);
    const seconds = record.start ?? record.end ?? 0;
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
    const opens = opensConnection(protocol, flags);
    if (table.fold(at, fromClient, record.bytes ?? 0, record.packets ?? 0, opens, action, seconds)) {
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
    // Most lines carry the same IPv4 address as the interface's and the packet's: no relay, and
    // no call (inlined here, this test keeps aggregation as fast as before the rule was shared).
    if (ifDst !== pktDst || ifDst === TEXT_ADDRESS) this.noteRelay(line, FlowField.DstAddr, ifDst, pktDst, dstId);
    if (ifSrc !== pktSrc || ifSrc === TEXT_ADDRESS) this.noteRelay(line, FlowField.SrcAddr, ifSrc, pktSrc, srcId);
    const protocol = values[FlowField.Protocol] as number;
    const flags = values[FlowField.TcpFlags] as number;
    const srcPort = values[FlowField.SrcPort] as number;
    const dstPort = values[FlowField.DstPort] as number;
    const fromClient = isFromClient(protocol, flags, srcPort, dstPort, this.services);
    const scopeId = this.lineScope(line);
    const start = values[FlowField.Start] as number;
    const end = values[FlowField.End] as number;
    const seconds = start !== NO_COUNT ? start : end !== NO_COUNT ? end : 0;
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
    const opens = opensConnection(protocol, flags);
    if (table.fold(at, fromClient, Math.max(bytes, 0), Math.max(packets, 0), opens, action, seconds)) {
      this.origins[table.edgeAt(at)] = this.originOf(line);
    }
  }

  /**
   * The slot of a record's edge, keyed from the client to the server's port; for an edge not seen
   * before, -1 - its slot, opened for it.
   */
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
    return fromClient
      ? table.slotOf(srcId, dstId, dstPort, protocol, this.count, seconds)
      : table.slotOf(dstId, srcId, srcPort, protocol, this.count, seconds);
  }

  /** The id of a line's address field, whose value (a number) the reader parsed. */
  private lineAddress(line: FlowLine, code: FlowField, value: number): number {
    if (value >= 0) return this.addressIds.ipv4Id(value);
    return this.addressIds.idOf(value === NO_ADDRESS ? '' : (line.text(code) as string));
  }

  /**
   * {@link isRelayAddress} for one end of a line, by address ids: `value` and `packet` are the
   * parsed interface and packet addresses (`code` is the interface address's field), `addressId`
   * the line's address of that end. The checks before the rule only skip work that cannot mark a
   * relay: a missing address, the same IPv4 number twice (every line of an interface that relays
   * nothing; {@link addLine} tests that before calling), a relay already marked (relays are few
   * and come back on every line they log).
   */
  private noteRelay(line: FlowLine, code: FlowField, value: number, packet: number, addressId: number): void {
    if (value === NO_ADDRESS || packet === NO_ADDRESS || (value === packet && value !== TEXT_ADDRESS)) return;
    const slot = value & (KNOWN_RELAY_SLOTS - 1);
    if (value >= 0 && this.knownRelays[slot] === value) return;
    const id = this.lineAddress(line, code, value);
    if (!isRelayAddress(id, addressId)) return;
    if (value >= 0) this.knownRelays[slot] = value;
    this.markRelay(id);
  }

  private markRelay(id: number): void {
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

  /** {@link ownAddress} of a line of a watched interface. */
  private watchLine(line: FlowLine): void {
    const interfaceId = line.text(FlowField.InterfaceId);
    if (interfaceId === undefined || !this.watch?.has(interfaceId)) return;
    const direction = line.values[FlowField.FlowDirection];
    this.learn(
      interfaceId,
      ownAddress(
        direction === DirectionCode.Egress ? 'egress' : direction === DirectionCode.Ingress ? 'ingress' : undefined,
        line.text(FlowField.SrcAddr),
        line.text(FlowField.PktSrcAddr),
        line.text(FlowField.DstAddr),
        line.text(FlowField.PktDstAddr),
      ),
    );
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

  /** The scope ({@link scopeName}) of a VPC id (or, without one, an account id) as a number, without building its name again per record. */
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

  private learn(interfaceId: string, own: string | undefined): void {
    if (!own) return;
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
          copyCounts(table, at, edge);
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
    const clientId = table.client(at);
    const serverId = table.server(at);
    const client = this.addressIds.nameOf(clientId);
    const server = this.addressIds.nameOf(serverId);
    const clientService = this.clientServices[index];
    const serverService = this.serverServices[index];
    const edge: FlowEdge = {
      scope: this.scopeNames[scopeId] as string,
      client,
      server,
      serverPort: table.port(at),
      protocol: table.protocol(at),
      clientClass: this.classOf(clientId, client, clientService),
      serverClass: this.classOf(serverId, server, serverService),
      clientService,
      serverService,
      // The counts go in with the object: made as zeros and set to doubles after, every edge
      // took V8's slow path for object literals (the literal's map kept being generalized).
      bytesToServer: table.bytesToServer(at),
      bytesToClient: table.bytesToClient(at),
      packets: table.packets(at),
      flows: table.flows(at),
      accepted: table.accepted(at),
      rejected: table.rejected(at),
      time: table.firstTime(at),
      lastTime: table.lastTime(at),
      origin,
      interfaceId: this.interfaceIds[index],
      vpcId: this.vpcIds[index],
    };
    const opened = table.opened(at);
    if (opened > 0) edge.opened = opened;
    return edge;
  }
}

/** Brings an edge's counts up to date with its slot. */
function copyCounts(table: EdgeTable, at: number, edge: FlowEdge): void {
  edge.bytesToServer = table.bytesToServer(at);
  edge.bytesToClient = table.bytesToClient(at);
  edge.packets = table.packets(at);
  edge.flows = table.flows(at);
  edge.accepted = table.accepted(at);
  edge.rejected = table.rejected(at);
  const opened = table.opened(at);
  if (opened > 0) edge.opened = opened;
  edge.time = table.firstTime(at);
  edge.lastTime = table.lastTime(at);
}
