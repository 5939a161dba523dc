import type { DetectContext } from '../../shared/detect';
import type { FlowRecord } from '../../shared/ingest';
import { AddressClassifier, EdgeAggregator, type FlowEdge } from '../../shared/network';

/**
 * Flow-log formats a detector's examples are rendered in: the stack's custom format (every field,
 * `tcp-flags` among them) and AWS's default, version 2, which has no `tcp-flags`, `vpc-id`,
 * `flow-direction`, `pkt-*` addresses or AWS service names.
 */
export type ExampleFormat = 'stack' | 'v2';

const SYN = 2;
const ACK = 16;
const SYN_ACK = 18;
/** Client ports of rendered records: ephemeral and above every example's server port. */
const CLIENT_PORT = 60_000;

/**
 * The records an edge stands for, as a flow log in `format` would hold them: the client's records
 * (the first `opened` of them a SYN with its retries, the rest carrying data), then the server's
 * replies, the packets and bytes of each side spread over its records, the first `accepted`
 * records accepted and the next `rejected` rejected. Fields the format lacks are left out.
 */
export function edgeRecords(edge: FlowEdge, format: ExampleFormat, client = 0): FlowRecord[] {
  const total = Math.max(edge.flows, edge.accepted + edge.rejected, 1);
  const replies = edge.bytesToClient > 0 ? Math.max(1, Math.floor(total / 2)) : 0;
  const requests = Math.max(total - replies, 1);
  const bytes = edge.bytesToServer + edge.bytesToClient;
  const replyPackets = bytes > 0 ? Math.round((edge.packets * edge.bytesToClient) / bytes) : 0;
  const packets = [Math.max(edge.packets - replyPackets, requests), Math.max(replyPackets, replies)];
  const clientPort = CLIENT_PORT + client;
  const records: FlowRecord[] = [];
  const opened = edge.opened ?? 0;
  const at = (fromClient: boolean, i: number, count: number): FlowRecord => {
    const index = fromClient ? i : requests + i;
    const side = fromClient ? 0 : 1;
    const share = (value: number) => Math.floor(value / count) + (i < value % count ? 1 : 0);
    const record: FlowRecord = {
      version: format === 'v2' ? 2 : 5,
      accountId: '123456789012',
      interfaceId: edge.interfaceId,
      srcAddr: fromClient ? edge.client : edge.server,
      dstAddr: fromClient ? edge.server : edge.client,
      ifSrcAddr: fromClient ? edge.client : edge.server,
      ifDstAddr: fromClient ? edge.server : edge.client,
      protocol: edge.protocol,
      packets: share(packets[side] as number),
      bytes: share(fromClient ? edge.bytesToServer : edge.bytesToClient),
      start: Math.floor(edge.time / 1000),
      end: Math.floor(edge.lastTime / 1000),
      action: index < edge.accepted ? 'ACCEPT' : index < edge.accepted + edge.rejected ? 'REJECT' : 'ACCEPT',
      logStatus: 'OK',
      origin: edge.origin,
    };
    if (edge.serverPort !== undefined) {
      record.srcPort = fromClient ? clientPort : edge.serverPort;
      record.dstPort = fromClient ? edge.serverPort : clientPort;
    }
    if (format === 'stack') {
      record.vpcId = edge.vpcId;
      if (edge.protocol === 6) record.tcpFlags = fromClient ? (i < opened ? SYN : ACK) : i < opened ? SYN_ACK : ACK;
      const [src, dst] = fromClient
        ? [edge.clientService, edge.serverService]
        : [edge.serverService, edge.clientService];
      if (src) record.pktSrcAwsService = src;
      if (dst) record.pktDstAwsService = dst;
    }
    return record;
  };
  for (let i = 0; i < requests; i++) records.push(at(true, i, requests));
  for (let i = 0; i < replies; i++) records.push(at(false, i, replies));
  return records;
}

/**
 * An example edge as the engine makes it from a flow log in `format`: its records rendered and
 * aggregated again by the engine's aggregator (the examples' VPC is 10.0.0.0/16), with who each
 * end is copied from the example (attribution names them in the engine). A folded edge stands for
 * more records than an example can hold: it keeps its counts and loses what the format lacks, as
 * the aggregator's fold would.
 */
export function inFormat(edge: FlowEdge, format: ExampleFormat, context: DetectContext, client = 0): FlowEdge[] {
  if (edge.folded) return [format === 'v2' ? withoutV3Fields(edge) : edge];
  const classifier = new AddressClassifier(['10.0.0.0/16', ...context.config.network.vpcCidrs]);
  const aggregator = new EdgeAggregator(classifier, { servicePorts: context.network.servicePorts });
  for (const record of edgeRecords(edge, format, client)) aggregator.add(record);
  return aggregator.close().map((made) => {
    const same = made.client === edge.client;
    const ends = same
      ? { clientEntity: edge.clientEntity, serverEntity: edge.serverEntity }
      : { clientEntity: edge.serverEntity, serverEntity: edge.clientEntity };
    const prior = same
      ? { clientPrior: edge.clientPrior, serverPrior: edge.serverPrior }
      : { clientPrior: edge.serverPrior, serverPrior: edge.clientPrior };
    const result: FlowEdge = { ...made };
    for (const [key, value] of Object.entries({ ...ends, ...prior })) {
      if (value !== undefined) (result as unknown as Record<string, unknown>)[key] = value;
    }
    return result;
  });
}

/** A folded edge as version 2 records would make it: the account's scope, no VPC, services or SYNs. */
function withoutV3Fields(edge: FlowEdge): FlowEdge {
  const { vpcId: _vpc, clientService: _c, serverService: _s, opened: _o, ...rest } = edge;
  return { ...rest, scope: 'account-123456789012', flagless: edge.protocol === 6 };
}

/** A group of example edges in `format`, each from its own client port. */
export function groupInFormat(edges: readonly FlowEdge[], format: ExampleFormat, context: DetectContext): FlowEdge[] {
  return edges.flatMap((edge, i) => inFormat(edge, format, context, i));
}
