import { STACK_FLOW_FORMAT } from '../../shared/ingest';
import { ACCOUNT, type Eni, REGION, VPC_ID } from './cluster';

/** One line of a flow-log object and the second its capture window started. */
export interface FlowLine {
  start: number;
  text: string;
  /** NODATA lines are log health, not traffic records. */
  nodata?: boolean;
}

/** How traffic leaves an interface (the `traffic-path` field of egress records). */
export const TRAFFIC_PATH = {
  /** To another resource in the VPC, including a NAT gateway or a load balancer. */
  inVpc: 1,
  /** Through an internet gateway. */
  internetGateway: 2,
  /** Through a gateway VPC endpoint (S3, DynamoDB) from a Nitro instance. */
  gatewayEndpoint: 7,
} as const;

/**
 * A conversation between a client and a server as one interface saw it during one capture
 * window: the client's packets in one record and the server's replies in another.
 */
export interface Conversation {
  /** The interface that logged it. */
  eni: Eni;
  /** Which end of the conversation the interface is on. */
  side: 'client' | 'server';
  /** Packet-level addresses (pkt-srcaddr/pkt-dstaddr). */
  client: string;
  server: string;
  /** Interface-level addresses, when they differ from the packet's (traffic through a NAT gateway). */
  ifClient?: string;
  ifServer?: string;
  clientPort: number;
  serverPort: number;
  protocol: 6 | 17;
  /** Epoch seconds. */
  start: number;
  end: number;
  packetsOut: number;
  bytesOut: number;
  packetsIn: number;
  bytesIn: number;
  /** The connection opened in this window (SYN seen) and closed in it (FIN seen). */
  opened: boolean;
  closed: boolean;
  /** REJECT: the security group dropped the client's packets; there is no reply. */
  rejected?: boolean;
  clientService?: string;
  serverService?: string;
  /** traffic-path of the record that leaves the interface. */
  trafficPath: number;
}

const SYN = 2;
const FIN = 1;
const SYN_ACK = 18;

function record(
  c: Conversation,
  fromClient: boolean,
  fields: { packets: number; bytes: number; flags: number; action: 'ACCEPT' | 'REJECT' },
): string {
  const src = fromClient ? c.client : c.server;
  const dst = fromClient ? c.server : c.client;
  const ifSrc = (fromClient ? c.ifClient : c.ifServer) ?? src;
  const ifDst = (fromClient ? c.ifServer : c.ifClient) ?? dst;
  const leaving = (c.side === 'client') === fromClient;
  const values: (string | number | undefined)[] = [
    5,
    ACCOUNT,
    c.eni.id,
    ifSrc,
    ifDst,
    fromClient ? c.clientPort : c.serverPort,
    fromClient ? c.serverPort : c.clientPort,
    c.protocol,
    fields.packets,
    fields.bytes,
    c.start,
    c.end,
    fields.action,
    'OK',
    VPC_ID,
    c.eni.subnetId,
    c.eni.instanceId,
    c.protocol === 6 ? fields.flags : 0,
    'IPv4',
    src,
    dst,
    REGION,
    c.eni.azId,
    fromClient ? c.clientService : c.serverService,
    fromClient ? c.serverService : c.clientService,
    leaving ? 'egress' : 'ingress',
    leaving ? c.trafficPath : undefined,
  ];
  return values.map((v) => (v === undefined || v === '' ? '-' : String(v))).join(' ');
}

/** The records an interface writes for a conversation: two, or one when it was rejected. */
export function conversationLines(c: Conversation): FlowLine[] {
  if (c.rejected) {
    return [
      {
        start: c.start,
        text: record(c, true, { packets: c.packetsOut, bytes: c.bytesOut, flags: SYN, action: 'REJECT' }),
      },
    ];
  }
  const close = c.closed ? FIN : 0;
  return [
    {
      start: c.start,
      text: record(c, true, {
        packets: c.packetsOut,
        bytes: c.bytesOut,
        flags: (c.opened ? SYN : 0) | close,
        action: 'ACCEPT',
      }),
    },
    {
      start: c.start,
      text: record(c, false, {
        packets: c.packetsIn,
        bytes: c.bytesIn,
        flags: (c.opened ? SYN_ACK : 0) | close,
        action: 'ACCEPT',
      }),
    },
  ];
}

/** A NODATA record: the interface saw no traffic during the capture window. */
export function nodataLine(eni: Eni, start: number, end: number): FlowLine {
  const values = STACK_FLOW_FORMAT.map(() => '-') as string[];
  values[0] = '5';
  values[1] = ACCOUNT;
  values[2] = eni.id;
  values[10] = String(start);
  values[11] = String(end);
  values[13] = 'NODATA';
  return { start, text: values.join(' '), nodata: true };
}

/** Collects flow-log lines in any order; delivery groups them by hour. */
export class FlowLog {
  readonly lines: FlowLine[] = [];

  add(lines: readonly FlowLine[]): void {
    for (const line of lines) this.lines.push(line);
  }

  /** Hands over the lines collected so far and starts afresh. */
  drain(): FlowLine[] {
    return this.lines.splice(0, this.lines.length);
  }

  conversation(c: Conversation): void {
    this.add(conversationLines(c));
  }
}
