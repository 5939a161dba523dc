import { decompressed } from './decompress';
import { type ReadStats, reject } from './stats';
import { LineSplitter, MAX_RECORD_CHARS, textChunks } from './text';
import type { FlowRecord } from './types';

/** The default (version 2) format, used for a headerless object when no format is configured. */
export const DEFAULT_FLOW_FORMAT = [
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
] as const;

export interface FlowReadOptions {
  uri: string;
  stats: ReadStats;
  /** Field names for objects without a header line. @default DEFAULT_FLOW_FORMAT */
  format?: readonly string[];
  /** Bound on one line. @default 1 MiB */
  maxRecordChars?: number;
}

/** How a field is stored; a small integer so the hot loop is one switch, not a closure call. */
enum Code {
  Extra,
  Version,
  AccountId,
  InterfaceId,
  SrcAddr,
  DstAddr,
  SrcPort,
  DstPort,
  Protocol,
  Packets,
  Bytes,
  Start,
  End,
  Action,
  LogStatus,
  VpcId,
  SubnetId,
  InstanceId,
  TcpFlags,
  Type,
  PktSrcAddr,
  PktDstAddr,
  Region,
  AzId,
  PktSrcAwsService,
  PktDstAwsService,
  FlowDirection,
  TrafficPath,
  RejectReason,
}

/** AWS field name → its code. Fields not listed here are kept as extras. */
const FIELDS: Record<string, Code> = {
  version: Code.Version,
  'account-id': Code.AccountId,
  'interface-id': Code.InterfaceId,
  srcaddr: Code.SrcAddr,
  dstaddr: Code.DstAddr,
  srcport: Code.SrcPort,
  dstport: Code.DstPort,
  protocol: Code.Protocol,
  packets: Code.Packets,
  bytes: Code.Bytes,
  start: Code.Start,
  end: Code.End,
  action: Code.Action,
  'log-status': Code.LogStatus,
  'vpc-id': Code.VpcId,
  'subnet-id': Code.SubnetId,
  'instance-id': Code.InstanceId,
  'tcp-flags': Code.TcpFlags,
  type: Code.Type,
  'pkt-srcaddr': Code.PktSrcAddr,
  'pkt-dstaddr': Code.PktDstAddr,
  region: Code.Region,
  'az-id': Code.AzId,
  'pkt-src-aws-service': Code.PktSrcAwsService,
  'pkt-dst-aws-service': Code.PktDstAwsService,
  'flow-direction': Code.FlowDirection,
  'traffic-path': Code.TrafficPath,
  'reject-reason': Code.RejectReason,
};

interface Layout {
  codes: Code[];
  names: readonly string[];
}

function layoutOf(names: readonly string[]): Layout {
  return { names, codes: names.map((name) => (Object.hasOwn(FIELDS, name) ? (FIELDS[name] as Code) : Code.Extra)) };
}

/** A non-negative decimal integer, or -1. Faster than Number() and stricter (no "1e3", no " 7"). */
function parseCount(value: string): number {
  const length = value.length;
  if (length === 0 || length > 15) return -1;
  let n = 0;
  for (let i = 0; i < length; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/** A record with every field present, so that all records share one object shape. */
function blankRecord(): FlowRecord {
  return {
    version: undefined,
    accountId: undefined,
    interfaceId: undefined,
    srcAddr: '',
    dstAddr: '',
    ifSrcAddr: undefined,
    ifDstAddr: undefined,
    srcPort: undefined,
    dstPort: undefined,
    protocol: undefined,
    packets: undefined,
    bytes: undefined,
    start: undefined,
    end: undefined,
    action: undefined,
    logStatus: 'OK',
    vpcId: undefined,
    subnetId: undefined,
    instanceId: undefined,
    tcpFlags: undefined,
    type: undefined,
    region: undefined,
    azId: undefined,
    pktSrcAwsService: undefined,
    pktDstAwsService: undefined,
    flowDirection: undefined,
    trafficPath: undefined,
    rejectReason: undefined,
    extras: undefined,
    origin: { uri: '' },
  };
}

/**
 * Fills `record` from the fields of one line. Returns the index of the first invalid field, or
 * -1 when all are valid. Packet-level addresses go to srcAddr/dstAddr; interface-level ones too
 * unless the packet-level ones are present.
 */
function fill(record: FlowRecord, fields: readonly string[], layout: Layout): number {
  const { codes, names } = layout;
  let pktSrc: string | undefined;
  let pktDst: string | undefined;
  for (let i = 0; i < fields.length; i++) {
    const value = fields[i] as string;
    if (value === '-') continue;
    let n: number;
    switch (codes[i]) {
      case Code.Version:
        n = parseCount(value);
        if (n < 0) return i;
        record.version = n;
        break;
      case Code.AccountId:
        record.accountId = value;
        break;
      case Code.InterfaceId:
        record.interfaceId = value;
        break;
      case Code.SrcAddr:
        record.ifSrcAddr = value;
        break;
      case Code.DstAddr:
        record.ifDstAddr = value;
        break;
      case Code.SrcPort:
        n = parseCount(value);
        if (n < 0 || n > 65535) return i;
        record.srcPort = n;
        break;
      case Code.DstPort:
        n = parseCount(value);
        if (n < 0 || n > 65535) return i;
        record.dstPort = n;
        break;
      case Code.Protocol:
        n = parseCount(value);
        if (n < 0 || n > 255) return i;
        record.protocol = n;
        break;
      case Code.Packets:
        n = parseCount(value);
        if (n < 0) return i;
        record.packets = n;
        break;
      case Code.Bytes:
        n = parseCount(value);
        if (n < 0) return i;
        record.bytes = n;
        break;
      case Code.Start:
        n = parseCount(value);
        if (n < 0) return i;
        record.start = n;
        break;
      case Code.End:
        n = parseCount(value);
        if (n < 0) return i;
        record.end = n;
        break;
      case Code.Action:
        if (value === 'ACCEPT') record.action = 'ACCEPT';
        else if (value === 'REJECT') record.action = 'REJECT';
        else return i;
        break;
      case Code.LogStatus:
        if (value === 'OK') record.logStatus = 'OK';
        else if (value === 'NODATA') record.logStatus = 'NODATA';
        else if (value === 'SKIPDATA') record.logStatus = 'SKIPDATA';
        else return i;
        break;
      case Code.VpcId:
        record.vpcId = value;
        break;
      case Code.SubnetId:
        record.subnetId = value;
        break;
      case Code.InstanceId:
        record.instanceId = value;
        break;
      case Code.TcpFlags:
        n = parseCount(value);
        if (n < 0) return i;
        record.tcpFlags = n;
        break;
      case Code.Type:
        record.type = value;
        break;
      case Code.PktSrcAddr:
        pktSrc = value;
        break;
      case Code.PktDstAddr:
        pktDst = value;
        break;
      case Code.Region:
        record.region = value;
        break;
      case Code.AzId:
        record.azId = value;
        break;
      case Code.PktSrcAwsService:
        record.pktSrcAwsService = value;
        break;
      case Code.PktDstAwsService:
        record.pktDstAwsService = value;
        break;
      case Code.FlowDirection:
        if (value === 'ingress') record.flowDirection = 'ingress';
        else if (value === 'egress') record.flowDirection = 'egress';
        else return i;
        break;
      case Code.TrafficPath:
        n = parseCount(value);
        if (n < 0) return i;
        record.trafficPath = n;
        break;
      case Code.RejectReason:
        record.rejectReason = value;
        break;
      default:
        record.extras ??= {};
        record.extras[names[i] as string] = value;
    }
  }
  record.srcAddr = pktSrc ?? record.ifSrcAddr ?? '';
  record.dstAddr = pktDst ?? record.ifDstAddr ?? '';
  return -1;
}

/** A non-negative decimal integer in `text[start, end)`, or -1. */
function countIn(text: string, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

function equalsAt(text: string, start: number, end: number, word: string): boolean {
  return end - start === word.length && text.startsWith(word, start);
}

/**
 * Fills `record` from the line `text[start, end)` in place, without splitting it. Returns -1 on
 * success and 0 on anything unusual (a bad value, a wrong field count, odd spacing); the caller
 * then takes the slow path, which finds and reports the exact problem.
 */
function fillRange(record: FlowRecord, text: string, start: number, end: number, layout: Layout): number {
  const { codes } = layout;
  const count = codes.length;
  let pktSrc: string | undefined;
  let pktDst: string | undefined;
  let pos = start;
  for (let i = 0; i < count; i++) {
    if (pos > end) return 0;
    let stop = text.indexOf(' ', pos);
    if (stop === -1 || stop > end) stop = end;
    if (stop === pos) return 0;
    if (stop - pos === 1 && text.charCodeAt(pos) === 45) {
      pos = stop + 1;
      continue;
    }
    let n: number;
    switch (codes[i]) {
      case Code.Version:
        n = countIn(text, pos, stop);
        if (n < 0) return 0;
        record.version = n;
        break;
      case Code.AccountId:
        record.accountId = text.slice(pos, stop);
        break;
      case Code.InterfaceId:
        record.interfaceId = text.slice(pos, stop);
        break;
      case Code.SrcAddr:
        record.ifSrcAddr = text.slice(pos, stop);
        break;
      case Code.DstAddr:
        record.ifDstAddr = text.slice(pos, stop);
        break;
      case Code.SrcPort:
        n = countIn(text, pos, stop);
        if (n < 0 || n > 65535) return 0;
        record.srcPort = n;
        break;
      case Code.DstPort:
        n = countIn(text, pos, stop);
        if (n < 0 || n > 65535) return 0;
        record.dstPort = n;
        break;
      case Code.Protocol:
        n = countIn(text, pos, stop);
        if (n < 0 || n > 255) return 0;
        record.protocol = n;
        break;
      case Code.Packets:
        n = countIn(text, pos, stop);
        if (n < 0) return 0;
        record.packets = n;
        break;
      case Code.Bytes:
        n = countIn(text, pos, stop);
        if (n < 0) return 0;
        record.bytes = n;
        break;
      case Code.Start:
        n = countIn(text, pos, stop);
        if (n < 0) return 0;
        record.start = n;
        break;
      case Code.End:
        n = countIn(text, pos, stop);
        if (n < 0) return 0;
        record.end = n;
        break;
      case Code.Action:
        if (equalsAt(text, pos, stop, 'ACCEPT')) record.action = 'ACCEPT';
        else if (equalsAt(text, pos, stop, 'REJECT')) record.action = 'REJECT';
        else return 0;
        break;
      case Code.LogStatus:
        if (equalsAt(text, pos, stop, 'OK')) record.logStatus = 'OK';
        else if (equalsAt(text, pos, stop, 'NODATA')) record.logStatus = 'NODATA';
        else if (equalsAt(text, pos, stop, 'SKIPDATA')) record.logStatus = 'SKIPDATA';
        else return 0;
        break;
      case Code.VpcId:
        record.vpcId = text.slice(pos, stop);
        break;
      case Code.SubnetId:
        record.subnetId = text.slice(pos, stop);
        break;
      case Code.InstanceId:
        record.instanceId = text.slice(pos, stop);
        break;
      case Code.TcpFlags:
        n = countIn(text, pos, stop);
        if (n < 0) return 0;
        record.tcpFlags = n;
        break;
      case Code.Type:
        record.type = text.slice(pos, stop);
        break;
      case Code.PktSrcAddr:
        pktSrc = text.slice(pos, stop);
        break;
      case Code.PktDstAddr:
        pktDst = text.slice(pos, stop);
        break;
      case Code.Region:
        record.region = text.slice(pos, stop);
        break;
      case Code.AzId:
        record.azId = text.slice(pos, stop);
        break;
      case Code.PktSrcAwsService:
        record.pktSrcAwsService = text.slice(pos, stop);
        break;
      case Code.PktDstAwsService:
        record.pktDstAwsService = text.slice(pos, stop);
        break;
      case Code.FlowDirection:
        if (equalsAt(text, pos, stop, 'ingress')) record.flowDirection = 'ingress';
        else if (equalsAt(text, pos, stop, 'egress')) record.flowDirection = 'egress';
        else return 0;
        break;
      case Code.TrafficPath:
        n = countIn(text, pos, stop);
        if (n < 0) return 0;
        record.trafficPath = n;
        break;
      case Code.RejectReason:
        record.rejectReason = text.slice(pos, stop);
        break;
      default:
        record.extras ??= {};
        record.extras[layout.names[i] as string] = text.slice(pos, stop);
    }
    pos = stop + 1;
  }
  if (pos <= end) return 0;
  record.srcAddr = pktSrc ?? record.ifSrcAddr ?? '';
  record.dstAddr = pktDst ?? record.ifDstAddr ?? '';
  return -1;
}

const FIELD_NAME = /^[a-z][a-z0-9-]*$/;
const AWS_ID = /^(eni|vpc|subnet|i|tgw|vpce)-[0-9a-f]+$/;

/** A header line is all field names (lowercase, hyphenated); data lines hold numbers, addresses and ids. */
function isHeader(fields: readonly string[]): boolean {
  return fields.every((f) => FIELD_NAME.test(f) && !AWS_ID.test(f));
}

/**
 * Reads VPC flow-log records from a text object (gzipped or not): a header line naming the
 * fields in any order, `-` for missing values, NODATA/SKIPDATA counted as log health, headers
 * repeated mid-file, and runs of spaces. Never throws for bad content.
 */
export async function readFlowObject(
  source: AsyncIterable<Uint8Array>,
  options: FlowReadOptions,
  onRecord: (record: FlowRecord) => void,
): Promise<void> {
  const { uri, stats } = options;
  stats.objects++;
  let layout: Layout | undefined;
  const fallback = layoutOf(options.format ?? DEFAULT_FLOW_FORMAT);

  const splitter = new LineSplitter(
    {
      line: (text, start, end, lineNumber) => {
        if (start === end) return;
        const active = layout ?? fallback;
        // Fast path: parse the fields in place, without splitting the line into strings.
        const c = text.charCodeAt(start);
        let record: FlowRecord | undefined;
        if (c < 97 || c > 122) {
          record = blankRecord();
          if (fillRange(record, text, start, end, active) !== -1) record = undefined;
        }
        if (!record) {
          // Slow path: headers, odd spacing, and every kind of bad line, with a precise reason.
          const line = text.slice(start, end);
          const fields = line.trim().split(/[ \t]+/);
          if (fields.length === 1 && fields[0] === '') return;
          const first = (fields[0] as string).charCodeAt(0);
          if (first >= 97 && first <= 122 && isHeader(fields)) {
            const known = fields.filter((f) => Object.hasOwn(FIELDS, f)).length;
            if (known === 0) {
              // Keep reading with the layout we had: one junk line must not cost the records after it.
              reject(stats, 'unknown-header', { uri, line: lineNumber }, `no known field in ${line.slice(0, 80)}`);
              return;
            }
            layout = layoutOf(fields);
            return;
          }
          if (fields.length !== active.codes.length) {
            reject(
              stats,
              'field-count',
              { uri, line: lineNumber },
              `${fields.length} fields where the header has ${active.codes.length}`,
            );
            return;
          }
          record = blankRecord();
          const bad = fill(record, fields, active);
          if (bad !== -1) {
            reject(
              stats,
              'invalid-field',
              { uri, line: lineNumber },
              `${active.names[bad]}=${(fields[bad] as string).slice(0, 60)}`,
            );
            return;
          }
        }
        if (record.logStatus === 'NODATA') {
          stats.logHealth.nodata++;
          return;
        }
        if (record.logStatus === 'SKIPDATA') {
          stats.logHealth.skipdata++;
          return;
        }
        if (record.srcAddr === '' || record.dstAddr === '') {
          reject(stats, 'invalid-field', { uri, line: lineNumber }, 'record without addresses');
          return;
        }
        record.origin = { uri, line: lineNumber };
        stats.events++;
        onRecord(record);
      },
      oversized: (lineNumber, length) =>
        reject(stats, 'oversized-record', { uri, line: lineNumber }, `line of ${length} characters`),
    },
    options.maxRecordChars ?? MAX_RECORD_CHARS,
  );
  for await (const chunk of textChunks(decompressed(source, stats, uri))) splitter.push(chunk);
  splitter.end();
}
