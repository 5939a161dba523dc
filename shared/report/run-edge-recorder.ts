import type { AddressClass, FlowEdge, NetworkEntity, PodIpEntry, PodIpMap, Traffic } from '../network';
import { addTraffic, emptyTraffic, holderAtSorted, newestFirst, trafficBytes } from '../network';
import type { Recorder, RecorderSession } from '../record';
import { dayOf } from '../util';
import { blockOf } from './blocks';

/** One end of a run edge: the address as logged, and who it is when attribution knew. */
export interface RunEndpoint {
  /** The address, or for a folded tail edge the block (`10.0.1.0/24`) it was folded into. */
  address: string;
  addressClass: AddressClass;
  service?: string;
  entity?: NetworkEntity;
  /** True when `address` is a block that stands for several addresses (tail folding). */
  block?: boolean;
  /** For an entity: other addresses it was seen with, a few at most. */
  otherAddresses?: string[];
}

/**
 * A run edge: flows between a client and a server port, summed over the whole run from every
 * object's flow edges. What the report draws its map from.
 */
export interface RunEdge extends Traffic {
  client: RunEndpoint;
  server: RunEndpoint;
  serverPort?: number;
  protocol?: number;
  /** Epoch ms of the first and last record. */
  firstTime: number;
  lastTime: number;
  /** Per-object edges summed into this one. */
  objects: number;
  /** True for an edge of the tail: edges first seen after the cap, folded by address block. */
  folded: boolean;
}

/** What did not fit even in the folded tail: counted, not kept. */
export interface DroppedEdges {
  objectEdges: number;
  flows: number;
  bytes: number;
}

/** Options of {@link RunEdgeRecorder}. */
export interface RunEdgeRecorderOptions {
  /**
   * Most edges kept one by one, keyed by (client, server, port, protocol). Edges first seen once
   * the cap is reached are folded by address block (or entity) into the tail.
   * @default 20000
   */
  maxEdges?: number;
  /**
   * Most folded edges in the tail. Past it, edges are only counted in {@link RunEdgeRecorder.dropped}.
   * @default 2000
   */
  maxFoldedEdges?: number;
}

const DEFAULTS = { maxEdges: 20_000, maxFoldedEdges: 2_000 } as const;
const MAX_OTHER_ADDRESSES = 8;

function endpointKey(endpoint: RunEndpoint): string {
  return endpoint.entity ? `e:${endpoint.entity.id}` : `a:${endpoint.address}`;
}

/** A run edge's key: its two ends, the server port and the protocol. */
function runEdgeKey(client: RunEndpoint, server: RunEndpoint, port?: number, protocol?: number): string {
  return `${endpointKey(client)}|${endpointKey(server)}|${port ?? ''}|${protocol ?? ''}`;
}

/** The endpoint a tail edge keeps: the entity when there is one, else the address's block. */
function foldEndpoint(endpoint: RunEndpoint): RunEndpoint {
  if (endpoint.entity || endpoint.addressClass === 'aws-service') return endpoint;
  return {
    address: blockOf(endpoint.address, endpoint.addressClass),
    addressClass: endpoint.addressClass,
    block: true,
  };
}

/**
 * Collects the run edges of a whole run for the HTML report: every flow edge of every object,
 * summed by (client, server, port, protocol), where client and server are the attributed
 * entities when edges carry them and the addresses otherwise. Memory is bounded: past
 * `maxEdges` distinct edges, new ones are folded by block into a capped tail, and past that only
 * counted. It writes nothing to the table; a session's edges join the run's when it is flushed, so
 * an object counts once it has been processed, and once only.
 */
export class RunEdgeRecorder implements Recorder<FlowEdge> {
  readonly id = 'report.run-edges';
  private readonly options: Required<RunEdgeRecorderOptions>;
  private readonly kept = new Map<string, RunEdge>();
  private readonly tail = new Map<string, RunEdge>();
  private readonly flushed = new Set<string>();
  private readonly flowsPerDay = new Map<string, number>();
  readonly dropped: DroppedEdges = { objectEdges: 0, flows: 0, bytes: 0 };

  constructor(options: RunEdgeRecorderOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  begin(object: { id: string; uri: string }): RecorderSession<FlowEdge> {
    const seen: FlowEdge[] = [];
    return {
      see: (edge) => {
        seen.push(edge);
      },
      flush: async () => {
        if (this.flushed.has(object.id)) return;
        this.flushed.add(object.id);
        for (const edge of seen) this.add(edge);
        seen.length = 0;
      },
    };
  }

  /** The run edges: those kept one by one, then the folded tail. */
  edges(): RunEdge[] {
    return [...this.kept.values(), ...this.tail.values()];
  }

  /**
   * Names the ends the run drew as bare addresses that the pod IP map names now, for the whole
   * run: a pod the audit log reported late (it ran before the logs) is one workload on the map,
   * not an address until its report and a workload after. An end is renamed only when one holder
   * held the address from the edge's first record to its last. Returns the ends renamed.
   */
  async nameLate(podIps: Pick<PodIpMap, 'lookup'>, nameOf: (holder: PodIpEntry) => NetworkEntity): Promise<number> {
    const unnamed = (end: RunEndpoint) => !end.block && end.entity?.kind === 'unknown';
    const addresses = new Set<string>();
    for (const edge of this.kept.values()) {
      if (unnamed(edge.client)) addresses.add(edge.client.address);
      if (unnamed(edge.server)) addresses.add(edge.server.address);
    }
    if (addresses.size === 0) return 0;
    const holders = new Map<string, PodIpEntry[]>();
    for (const [address, entries] of await podIps.lookup(addresses)) holders.set(address, newestFirst(entries));
    if (holders.size === 0) return 0;
    const entities = new Map<PodIpEntry, NetworkEntity>();
    const rename = (end: RunEndpoint, edge: RunEdge): RunEndpoint => {
      if (!unnamed(end)) return end;
      const entries = holders.get(end.address);
      const holder = holderAtSorted(entries, edge.firstTime);
      if (!holder || holder !== holderAtSorted(entries, edge.lastTime)) return end;
      let entity = entities.get(holder);
      if (!entity) {
        entity = nameOf(holder);
        entities.set(holder, entity);
      }
      return { ...end, entity };
    };
    let renamed = 0;
    const edges = [...this.kept.values()];
    this.kept.clear();
    for (const edge of edges) {
      const client = rename(edge.client, edge);
      const server = rename(edge.server, edge);
      if (client !== edge.client) renamed++;
      if (server !== edge.server) renamed++;
      const key = runEdgeKey(client, server, edge.serverPort, edge.protocol);
      const known = this.kept.get(key);
      if (!known) {
        this.kept.set(key, { ...edge, client, server });
        continue;
      }
      sum(known, { ...edge, client: client.address, server: server.address, time: edge.firstTime }, edge.objects);
    }
    return renamed;
  }

  /** Flow records per UTC day of their edge's first record. */
  flowsByDay(): Record<string, number> {
    return Object.fromEntries([...this.flowsPerDay].sort(([a], [b]) => a.localeCompare(b)));
  }

  private add(edge: FlowEdge): void {
    this.flowsPerDay.set(dayOf(edge.time), (this.flowsPerDay.get(dayOf(edge.time)) ?? 0) + edge.flows);
    const client: RunEndpoint = {
      address: edge.client,
      addressClass: edge.clientClass,
      ...(edge.clientService ? { service: edge.clientService } : {}),
      ...(edge.clientEntity ? { entity: edge.clientEntity } : {}),
    };
    const server: RunEndpoint = {
      address: edge.server,
      addressClass: edge.serverClass,
      ...(edge.serverService ? { service: edge.serverService } : {}),
      ...(edge.serverEntity ? { entity: edge.serverEntity } : {}),
    };
    const key = runEdgeKey(client, server, edge.serverPort, edge.protocol);
    const known = this.kept.get(key);
    if (known || this.kept.size < this.options.maxEdges) {
      sum(known ?? this.keep(this.kept, key, start(client, server, edge, false)), edge);
      return;
    }
    const foldedClient = foldEndpoint(client);
    const foldedServer = foldEndpoint(server);
    const tailKey = runEdgeKey(foldedClient, foldedServer, edge.serverPort, edge.protocol);
    const folded = this.tail.get(tailKey);
    if (folded || this.tail.size < this.options.maxFoldedEdges) {
      sum(folded ?? this.keep(this.tail, tailKey, start(foldedClient, foldedServer, edge, true)), edge);
      return;
    }
    this.dropped.objectEdges++;
    this.dropped.flows += edge.flows;
    this.dropped.bytes += trafficBytes(edge);
  }

  private keep(map: Map<string, RunEdge>, key: string, edge: RunEdge): RunEdge {
    map.set(key, edge);
    return edge;
  }
}

function start(client: RunEndpoint, server: RunEndpoint, edge: FlowEdge, folded: boolean): RunEdge {
  return {
    client,
    server,
    ...(edge.serverPort !== undefined ? { serverPort: edge.serverPort } : {}),
    ...(edge.protocol !== undefined ? { protocol: edge.protocol } : {}),
    ...emptyTraffic(),
    firstTime: edge.time,
    lastTime: edge.lastTime,
    objects: 0,
    folded,
  };
}

/** Notes another address of an entity endpoint. */
function noteAddress(endpoint: RunEndpoint, address: string): void {
  if (!endpoint.entity || endpoint.block || endpoint.address === address) return;
  endpoint.otherAddresses ??= [];
  const others = endpoint.otherAddresses;
  if (others.length < MAX_OTHER_ADDRESSES && !others.includes(address)) others.push(address);
}

/** Adds an edge's traffic (a flow edge, or a run edge of `objects` objects) into a run edge. */
function sum(
  into: RunEdge,
  edge: Traffic & { client: string; server: string; time: number; lastTime: number },
  objects = 1,
): void {
  noteAddress(into.client, edge.client);
  noteAddress(into.server, edge.server);
  addTraffic(into, edge);
  into.objects += objects;
  if (edge.time < into.firstTime) into.firstTime = edge.time;
  if (edge.lastTime > into.lastTime) into.lastTime = edge.lastTime;
}
