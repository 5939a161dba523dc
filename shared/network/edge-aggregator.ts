import type { FlowRecord, Origin } from '../ingest';
import { ActionCode, DirectionCode, FlowField, type FlowLine, NO_ADDRESS, NO_COUNT, TEXT_ADDRESS } from '../ingest';
import { canonicalIpv4 } from '../intel';
import { type AddressClass, type AddressClassifier, prefixOf } from './address';
import { AddressIds, EdgeTable, targetKey } from './edge-tables';
import {
  type FlowEdge,
  isFromClient,
  isRelayAddress,
  opensConnection,
  ownAddress,
  type SourceFold,
  scopeName,
} from './flow-edge';
import { DEFAULT_SERVICE_PORTS, type ServicePorts } from './ports';
import { SourceSketch, textKey } from './source-sketch';
import { addTraffic, emptyTraffic } from './traffic';

export interface EdgeAggregatorOptions {
  /** Server-side ports for records without TCP flags. @default the built-in list */
  servicePorts?: ServicePorts;
  /**
   * Interfaces whose own addresses should be learned (load balancers configured as entry points
   * by ENI): egress records name the interface's address as source, ingress records as destination.
   */
  watchInterfaces?: ReadonlySet<string>;
  /**
   * Edges from public sources a scope may hold before those sources are folded into blocks
   * (/24, then /16, /8, the whole internet; IPv6 /48, /32, /16): what bounds an object's edges
   * when the internet scans a load balancer. @default {@link FOLD_ABOVE}
   */
  foldAbove?: number;
}

/** Edges from public sources a scope holds before they are folded: above any busy cluster's five minutes. */
export const FOLD_ABOVE = 100_000;

/** Prefix lengths public sources are folded to, level by level (level 0 keeps addresses), IPv4 and IPv6. */
const FOLD_V4 = [32, 24, 16, 8, 0];
const FOLD_V6 = [128, 48, 32, 16, 0];
/** Address classes as the aggregator keeps them, by id: the index + 1 (0 is not yet classified). */
const CLASS_CODES: readonly AddressClass[] = ['vpc', 'private', 'aws-service', 'public'];
const PUBLIC_CODE = CLASS_CODES.indexOf('public') + 1;
/** Server ports per scope whose distinct sources are sketched (a kilobyte each) once its sources are folded. */
const MAX_SKETCHES = 4096;

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
  private classes = new Uint8Array(1024);
  /** The last record's VPC and account and the scope they made: consecutive records nearly always share them. */
  private lastVpc: string | undefined;
  private lastAccount: string | undefined;
  private lastScope = -1;
  /** Edges as objects, made by {@link values}, by index; an edge folded into another leaves a hole. */
  private readonly all: (FlowEdge | undefined)[] = [];
  /** Edges numbered so far, and those still standing (folding merges edges). */
  private count = 0;
  private live = 0;
  /** Per scope: its fold level (an index of {@link FOLD_V4}), its edges from public sources, and the sketches of its folded server ports. */
  private readonly levels: number[] = [];
  private readonly publicEdges: number[] = [];
  private readonly sketches: Map<number, SourceSketch>[] = [];
  private readonly foldAbove: number;
  /** What each edge keeps beyond its slot, by index; an origin is a line number of {@link uri} when read from a line. */
  private readonly clientServices: (string | undefined)[] = [];
  private readonly serverServices: (string | undefined)[] = [];
  private readonly origins: (Origin | number)[] = [];
  private readonly interfaceIds: (string | undefined)[] = [];
  private readonly vpcIds: (string | undefined)[] = [];
  /** Edges, by index, that a TCP record without `tcp-flags` folded into (see {@link FlowEdge.flagless}). */
  private readonly flagless: boolean[] = [];
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
    this.foldAbove = options.foldAbove ?? FOLD_ABOVE;
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
    const scopeId = this.scopeOf(record.vpcId, record.vpcId === undefined ? record.accountId : undefined);
    const level = this.levels[scopeId] as number;
    let srcId: number;
    let dstId: number;
    if (level === 0) {
      srcId = this.addressIds.idOf(record.srcAddr);
      dstId = this.addressIds.idOf(record.dstAddr);
    } else if (fromClient) {
      dstId = this.addressIds.idOf(record.dstAddr);
      srcId = this.foldedClient(
        scopeId,
        level,
        canonicalIpv4(record.srcAddr),
        record.srcAddr,
        dstId,
        dstPort,
        protocol,
      );
    } else {
      srcId = this.addressIds.idOf(record.srcAddr);
      dstId = this.foldedClient(
        scopeId,
        level,
        canonicalIpv4(record.dstAddr),
        record.dstAddr,
        srcId,
        srcPort,
        protocol,
      );
    }
    const seconds = record.start ?? record.end ?? 0;
    const table = this.tables[scopeId] as EdgeTable;
    let at = this.slotOf(table, fromClient, srcId, dstId, srcPort, dstPort, protocol, seconds);
    const fresh = at < 0;
    if (fresh) {
      at = -1 - at;
      const clientId = fromClient ? srcId : dstId;
      this.noteEdge(
        this.addressIds.blockPrefix(clientId) === undefined
          ? fromClient
            ? record.pktSrcAwsService
            : record.pktDstAwsService
          : undefined,
        fromClient ? record.pktDstAwsService : record.pktSrcAwsService,
        record.origin,
        record.interfaceId,
        record.vpcId,
      );
    }
    const action = record.action === 'ACCEPT' ? ActionCode.Accept : record.action === 'REJECT' ? ActionCode.Reject : 0;
    const opens = opensConnection(protocol, flags, record.packets ?? 0, record.bytes ?? 0);
    if (table.fold(at, fromClient, record.bytes ?? 0, record.packets ?? 0, opens, action, seconds)) {
      this.origins[table.edgeAt(at)] = record.origin;
    }
    if (protocol === 6 && flags < 0) this.flagless[table.edgeAt(at)] = true;
    if (fresh) this.countEdge(scopeId, fromClient ? srcId : dstId);
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
    // Most lines carry the same IPv4 address as the interface's and the packet's: no relay, and
    // no call (inlined here, this test keeps aggregation as fast as before the rule was shared).
    if (ifDst !== pktDst || ifDst === TEXT_ADDRESS) this.noteRelay(line, FlowField.DstAddr, ifDst, pktDst);
    if (ifSrc !== pktSrc || ifSrc === TEXT_ADDRESS) this.noteRelay(line, FlowField.SrcAddr, ifSrc, pktSrc);
    const protocol = values[FlowField.Protocol] as number;
    const flags = values[FlowField.TcpFlags] as number;
    const srcPort = values[FlowField.SrcPort] as number;
    const dstPort = values[FlowField.DstPort] as number;
    const fromClient = isFromClient(protocol, flags, srcPort, dstPort, this.services);
    const scopeId = this.lineScope(line);
    const level = this.levels[scopeId] as number;
    let srcId: number;
    let dstId: number;
    if (level === 0) {
      srcId =
        pktSrc >= 0
          ? this.addressIds.ipv4Id(pktSrc)
          : pktSrc === NO_ADDRESS
            ? this.lineAddress(line, FlowField.SrcAddr, ifSrc)
            : this.lineAddress(line, FlowField.PktSrcAddr, pktSrc);
      dstId =
        pktDst >= 0
          ? this.addressIds.ipv4Id(pktDst)
          : pktDst === NO_ADDRESS
            ? this.lineAddress(line, FlowField.DstAddr, ifDst)
            : this.lineAddress(line, FlowField.PktDstAddr, pktDst);
    } else if (fromClient) {
      dstId = this.lineEnd(line, FlowField.DstAddr, FlowField.PktDstAddr, -1, 0, 0);
      srcId = this.lineEnd(line, FlowField.SrcAddr, FlowField.PktSrcAddr, scopeId, dstId, dstPort);
    } else {
      srcId = this.lineEnd(line, FlowField.SrcAddr, FlowField.PktSrcAddr, -1, 0, 0);
      dstId = this.lineEnd(line, FlowField.DstAddr, FlowField.PktDstAddr, scopeId, srcId, srcPort);
    }
    const start = values[FlowField.Start] as number;
    const end = values[FlowField.End] as number;
    const seconds = start !== NO_COUNT ? start : end !== NO_COUNT ? end : 0;
    const table = this.tables[scopeId] as EdgeTable;
    let at = this.slotOf(table, fromClient, srcId, dstId, srcPort, dstPort, protocol, seconds);
    const fresh = at < 0;
    if (fresh) {
      at = -1 - at;
      const folded = level > 0 && this.addressIds.blockPrefix(fromClient ? srcId : dstId) !== undefined;
      this.noteEdge(
        folded ? undefined : line.text(fromClient ? FlowField.PktSrcAwsService : FlowField.PktDstAwsService),
        line.text(fromClient ? FlowField.PktDstAwsService : FlowField.PktSrcAwsService),
        this.originOf(line),
        line.text(FlowField.InterfaceId),
        line.text(FlowField.VpcId),
      );
    }
    const bytes = values[FlowField.Bytes] as number;
    const packets = values[FlowField.Packets] as number;
    const action = values[FlowField.Action] as number;
    const opens = opensConnection(protocol, flags, packets, bytes);
    if (table.fold(at, fromClient, Math.max(bytes, 0), Math.max(packets, 0), opens, action, seconds)) {
      this.origins[table.edgeAt(at)] = this.originOf(line);
    }
    if (protocol === 6 && flags < 0) this.flagless[table.edgeAt(at)] = true;
    if (fresh) this.countEdge(scopeId, fromClient ? srcId : dstId);
  }

  /**
   * The id of one end of a line once its scope's sources are folded: the packet's address, else
   * the interface's, as {@link addLine} reads it. For the client end (`scopeId` not -1), a public
   * address is folded into its block (and counted towards the server port's sources).
   */
  private lineEnd(
    line: FlowLine,
    code: FlowField,
    packetCode: FlowField,
    scopeId: number,
    serverId: number,
    serverPort: number,
  ): number {
    const packet = line.values[packetCode] as number;
    const [field, value] = packet === NO_ADDRESS ? [code, line.values[code] as number] : [packetCode, packet];
    if (scopeId < 0 || value === NO_ADDRESS) return this.lineAddress(line, field, value);
    const text = value >= 0 ? '' : (line.text(field) as string);
    const protocol = line.values[FlowField.Protocol] as number;
    return this.foldedClient(scopeId, this.levels[scopeId] as number, value, text, serverId, serverPort, protocol);
  }

  /**
   * The id of a client in a folded scope: a public address's block at the scope's level (IPv4 by
   * its number `ip`, else by its `text`), anything else as it is. A public source is added to its
   * server port's sketch, which counts the distinct sources the blocks stand for.
   */
  private foldedClient(
    scopeId: number,
    level: number,
    ip: number,
    text: string,
    serverId: number,
    port: number,
    protocol: number,
  ): number {
    if (ip >= 0) {
      if (this.classifier.classifyIpv4(ip) !== 'public') return this.addressIds.ipv4Id(ip);
      this.sketchOf(scopeId, targetKey(serverId, port, protocol))?.add(ip);
      return this.addressIds.blockId(FOLD_V4[level] as number, ip);
    }
    const block = text === '' ? text : prefixOf(text, FOLD_V4[level] as number, FOLD_V6[level] as number);
    if (block === text || this.classifier.classify(text) !== 'public') return this.addressIds.idOf(text);
    this.sketchOf(scopeId, targetKey(serverId, port, protocol))?.add(textKey(text));
    return this.publicBlock(FOLD_V4[level] as number, block);
  }

  /** The id of a block written as text (not IPv4), classified public. */
  private publicBlock(bits: number, cidr: string): number {
    const id = this.addressIds.blockId(bits, -1, cidr);
    this.setClass(id, 'public');
    return id;
  }

  /** The sketch of a folded server port, made on first use while the scope has fewer than {@link MAX_SKETCHES}. */
  private sketchOf(scopeId: number, target: number): SourceSketch | undefined {
    const sketches = this.sketches[scopeId] as Map<number, SourceSketch>;
    let sketch = sketches.get(target);
    if (!sketch && sketches.size < MAX_SKETCHES) {
      sketch = new SourceSketch();
      sketches.set(target, sketch);
    }
    return sketch;
  }

  /** Counts a new edge of a scope; past {@link foldAbove} edges from public sources, folds them a level further. */
  private countEdge(scopeId: number, clientId: number): void {
    this.live++;
    if (!this.isPublic(clientId)) return;
    const edges = (this.publicEdges[scopeId] as number) + 1;
    this.publicEdges[scopeId] = edges;
    while (
      (this.publicEdges[scopeId] as number) > this.foldAbove &&
      (this.levels[scopeId] as number) < FOLD_V4.length - 1
    ) {
      this.foldScope(scopeId);
    }
  }

  /** Whether an address (or block) id is public, without a service name: what folding folds. */
  private isPublic(id: number): boolean {
    const code = id < this.classes.length ? (this.classes[id] as number) : 0;
    if (code !== 0) return code === PUBLIC_CODE;
    const ip = this.addressIds.numberOf(id);
    const known =
      this.addressIds.blockPrefix(id) !== undefined
        ? 'public'
        : ip >= 0
          ? this.classifier.classifyIpv4(ip)
          : this.classifier.classify(this.addressIds.nameOf(id));
    this.setClass(id, known);
    return known === 'public';
  }

  /** Keeps an address's class (without a service name) by its id. */
  private setClass(id: number, known: AddressClass): void {
    if (id >= this.classes.length) {
      const grown = new Uint8Array(Math.max(this.classes.length * 2, id + 1));
      grown.set(this.classes);
      this.classes = grown;
    }
    this.classes[id] = CLASS_CODES.indexOf(known) + 1;
  }

  /**
   * Folds a scope's public sources one level further: its table is rebuilt with each public client
   * replaced by its block, and edges that meet in one block become one, their counts summed. At the
   * first level, each source folded is added to its server port's sketch.
   */
  private foldScope(scopeId: number): void {
    const level = (this.levels[scopeId] as number) + 1;
    this.levels[scopeId] = level;
    const old = this.tables[scopeId] as EdgeTable;
    const table = new EdgeTable();
    let publicEdges = 0;
    old.forEachSlot((at, index) => {
      const client = old.client(at);
      let moved = client;
      if (this.isPublic(client)) {
        moved = this.blockOf(client, level);
        if (this.addressIds.blockPrefix(client) === undefined) {
          const ip = this.addressIds.numberOf(client);
          this.sketchOf(scopeId, old.targetAt(at))?.add(ip >= 0 ? ip : textKey(this.addressIds.nameOf(client)));
        }
      }
      const to = table.moveFrom(old, at, moved);
      if (to < 0) {
        if (moved !== client) {
          publicEdges++;
          this.clientServices[index] = undefined;
          // Made again by values(), with its block as client.
          this.all[index] = undefined;
        }
        return;
      }
      // Two edges meet: the one moved first stays, with the origin of the earlier record.
      const kept = table.edgeAt(to);
      if (old.firstTime(at) < table.firstTime(to)) this.origins[kept] = this.origins[index] as Origin | number;
      if (this.flagless[index]) this.flagless[kept] = true;
      table.merge(to, old, at);
      this.dropEdge(index);
    });
    this.tables[scopeId] = table;
    this.publicEdges[scopeId] = publicEdges;
  }

  /** The block at `level` of a public address or of a block of an earlier level. */
  private blockOf(id: number, level: number): number {
    const bits = FOLD_V4[level] as number;
    const ip = this.addressIds.numberOf(id);
    if (ip >= 0) return this.addressIds.blockId(bits, ip);
    const name = this.addressIds.nameOf(id);
    const slash = name.indexOf('/');
    const address = slash < 0 ? name : name.slice(0, slash);
    const block = prefixOf(address, bits, FOLD_V6[level] as number);
    return block === address ? id : this.publicBlock(bits, block);
  }

  /** Lets go of an edge folded into another. */
  private dropEdge(index: number): void {
    this.live--;
    this.all[index] = undefined;
    this.clientServices[index] = undefined;
    this.serverServices[index] = undefined;
    this.origins[index] = 0;
    this.interfaceIds[index] = undefined;
    this.vpcIds[index] = undefined;
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
   * {@link isRelayAddress} for one end of a line: `value` and `packet` are the parsed interface
   * and packet addresses (`code` is the interface address's field, the packet's follows at
   * `PktSrcAddr`/`PktDstAddr`). Two IPv4 numbers are one address when equal, text and a number
   * never, two texts when they are the same text: what comparing their ids would say, without
   * numbering the packet's address (a source a folded scope keeps only as its block). The checks
   * before the rule only skip work that cannot mark a relay: a missing address, the same IPv4
   * number twice (every line of an interface that relays nothing; {@link addLine} tests that before
   * calling), a relay already marked (relays are few and come back on every line they log).
   */
  private noteRelay(line: FlowLine, code: FlowField, value: number, packet: number): void {
    if (value === NO_ADDRESS || packet === NO_ADDRESS || (value === packet && value !== TEXT_ADDRESS)) return;
    const slot = value & (KNOWN_RELAY_SLOTS - 1);
    if (value >= 0 && this.knownRelays[slot] === value) return;
    if (value === TEXT_ADDRESS && packet === TEXT_ADDRESS) {
      const packetCode = code === FlowField.SrcAddr ? FlowField.PktSrcAddr : FlowField.PktDstAddr;
      if (!isRelayAddress(line.text(code), line.text(packetCode))) return;
    }
    const id = this.lineAddress(line, code, value);
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
    const code = id < this.classes.length ? (this.classes[id] as number) : 0;
    if (code !== 0) return CLASS_CODES[code - 1] as AddressClass;
    const known = this.addressIds.blockPrefix(id) !== undefined ? 'public' : this.classifier.classify(address);
    this.setClass(id, known);
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
      this.levels.push(0);
      this.publicEdges.push(0);
      this.sketches.push(new Map());
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

  /** The edges standing: each a conversation, or, in a folded scope, the conversations of a block of sources. */
  get size(): number {
    return this.live;
  }

  /** The edges, as objects: made for edges new since the last call, brought up to date for the others. */
  values(): IterableIterator<FlowEdge> {
    const folds = new Map<number, SourceFold>();
    this.tables.forEach((table, scopeId) => {
      const level = this.levels[scopeId] as number;
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
        if (this.flagless[index]) (this.all[index] as FlowEdge).flagless = true;
        if (level > 0) this.noteFold(folds, scopeId, table, at, this.all[index] as FlowEdge);
      });
      folds.clear();
    });
    if (this.live === this.count) return this.all.values() as IterableIterator<FlowEdge>;
    return this.all.filter((edge) => edge !== undefined).values();
  }

  /**
   * Gives an edge from a block of sources what its server port's folded edges add up to: one
   * {@link SourceFold} per server port of a scope, shared by its edges.
   */
  private noteFold(
    folds: Map<number, SourceFold>,
    scopeId: number,
    table: EdgeTable,
    at: number,
    edge: FlowEdge,
  ): void {
    const prefix = this.addressIds.blockPrefix(table.client(at));
    if (prefix === undefined) {
      delete edge.folded;
      return;
    }
    const target = table.targetAt(at);
    let fold = folds.get(target);
    if (!fold) {
      const level = this.levels[scopeId] as number;
      const sketch = this.sketches[scopeId]?.get(target);
      fold = {
        prefix: FOLD_V4[level] as number,
        prefix6: FOLD_V6[level] as number,
        ...(sketch ? { sources: sketch.estimate() } : {}),
        edges: 0,
        ...emptyTraffic(),
      };
      folds.set(target, fold);
    }
    fold.edges++;
    addTraffic(fold, edge);
    edge.folded = fold;
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
    this.sketches.length = 0;
    this.scopeIds.clear();
    this.lastScope = -1;
    this.flagless.length = 0;
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
