import type { FlowRecord, Origin } from '../ingest/types';
import type { AddressClass, AddressClassifier } from './address';
import type { NetworkEntity } from './entity';

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
const EPHEMERAL_FLOOR = 32768;

/**
 * Decides which end of a record is the client. TCP flags decide when the log has them (a SYN
 * without ACK is the client's, SYN-ACK the server's); otherwise the side with the lower,
 * non-ephemeral port is the server.
 */
export function recordIsFromClient(record: FlowRecord): boolean {
  const flags = record.tcpFlags;
  if (record.protocol === 6 && flags !== undefined) {
    if (flags & SYN && !(flags & ACK)) return true;
    if ((flags & (SYN | ACK)) === (SYN | ACK)) return false;
  }
  const src = record.srcPort;
  const dst = record.dstPort;
  if (src === undefined || dst === undefined) return true;
  const srcEphemeral = src >= EPHEMERAL_FLOOR;
  const dstEphemeral = dst >= EPHEMERAL_FLOOR;
  if (srcEphemeral !== dstEphemeral) return srcEphemeral;
  return dst <= src;
}

/** The scope a flow record's baselines belong to: its VPC, else its account. */
export function flowScope(record: FlowRecord): string {
  return record.vpcId ?? (record.accountId ? `account-${record.accountId}` : 'flow');
}

/** Aggregates records into edges. Memory grows with distinct edges, not with records. */
export class EdgeAggregator {
  /** Edges by scope, then by client|server|port|protocol: scope rarely changes within an object. */
  private readonly scopes = new Map<string, Map<string, FlowEdge>>();
  private count = 0;

  constructor(private readonly classifier: AddressClassifier) {}

  add(record: FlowRecord): void {
    const fromClient = recordIsFromClient(record);
    const client = fromClient ? record.srcAddr : record.dstAddr;
    const server = fromClient ? record.dstAddr : record.srcAddr;
    const serverPort = fromClient ? record.dstPort : record.srcPort;
    const scope = flowScope(record);
    let edges = this.scopes.get(scope);
    if (!edges) {
      edges = new Map();
      this.scopes.set(scope, edges);
    }
    const key = `${client}|${server}|${serverPort ?? ''}|${record.protocol ?? ''}`;
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
      this.count++;
    }
    const bytes = record.bytes ?? 0;
    if (fromClient) edge.bytesToServer += bytes;
    else edge.bytesToClient += bytes;
    edge.packets += record.packets ?? 0;
    edge.flows++;
    if (record.action === 'ACCEPT') edge.accepted++;
    else if (record.action === 'REJECT') edge.rejected++;
    if (time < edge.time) {
      edge.time = time;
      edge.origin = record.origin;
    }
    if (time > edge.lastTime) edge.lastTime = time;
  }

  get size(): number {
    return this.count;
  }

  *values(): IterableIterator<FlowEdge> {
    for (const edges of this.scopes.values()) yield* edges.values();
  }
}
