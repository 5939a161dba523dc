import { decompressed } from './decompress';
import { type ReadStats, reject } from './stats';
import { LineSplitter, MAX_RECORD_CHARS, textChunks, Utf8Health } from './text';
import type { FlowEcsContext, FlowRecord } from './types';

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
export enum FlowField {
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
  SublocationType,
  SublocationId,
  Ecs,
}

/** AWS field name → its code. Fields not listed here are kept as extras. */
const FIELDS: Record<string, FlowField> = {
  version: FlowField.Version,
  'account-id': FlowField.AccountId,
  'interface-id': FlowField.InterfaceId,
  srcaddr: FlowField.SrcAddr,
  dstaddr: FlowField.DstAddr,
  srcport: FlowField.SrcPort,
  dstport: FlowField.DstPort,
  protocol: FlowField.Protocol,
  packets: FlowField.Packets,
  bytes: FlowField.Bytes,
  start: FlowField.Start,
  end: FlowField.End,
  action: FlowField.Action,
  'log-status': FlowField.LogStatus,
  'vpc-id': FlowField.VpcId,
  'subnet-id': FlowField.SubnetId,
  'instance-id': FlowField.InstanceId,
  'tcp-flags': FlowField.TcpFlags,
  type: FlowField.Type,
  'pkt-srcaddr': FlowField.PktSrcAddr,
  'pkt-dstaddr': FlowField.PktDstAddr,
  region: FlowField.Region,
  'az-id': FlowField.AzId,
  'pkt-src-aws-service': FlowField.PktSrcAwsService,
  'pkt-dst-aws-service': FlowField.PktDstAwsService,
  'flow-direction': FlowField.FlowDirection,
  'traffic-path': FlowField.TrafficPath,
  'reject-reason': FlowField.RejectReason,
  'sublocation-type': FlowField.SublocationType,
  'sublocation-id': FlowField.SublocationId,
};

/** The v7 ECS fields, kept together in {@link FlowRecord.ecs}. */
const ECS_FIELDS: Record<string, keyof FlowEcsContext> = {
  'ecs-cluster-arn': 'clusterArn',
  'ecs-cluster-name': 'clusterName',
  'ecs-container-instance-arn': 'containerInstanceArn',
  'ecs-container-instance-id': 'containerInstanceId',
  'ecs-container-id': 'containerId',
  'ecs-second-container-id': 'secondContainerId',
  'ecs-service-name': 'serviceName',
  'ecs-task-definition-arn': 'taskDefinitionArn',
  'ecs-task-arn': 'taskArn',
  'ecs-task-id': 'taskId',
};

/** True for a field name this reader knows (v2 to v8), as opposed to one kept as an extra. */
export function isKnownFlowField(name: string): boolean {
  return Object.hasOwn(FIELDS, name) || Object.hasOwn(ECS_FIELDS, name);
}

interface Layout {
  codes: FlowField[];
  names: readonly string[];
  /** For each ECS field, its key in {@link FlowEcsContext}. */
  ecsKeys: (keyof FlowEcsContext | undefined)[];
  /** Recent values of each field, for {@link recall}. */
  seen: Seen[];
}

/** Values a field has held, by slot. */
type Seen = (string | undefined)[];

/** Remembered values per field: enough for the interfaces, subnets and busy addresses of a log. */
const SEEN_SLOTS = 1024;

/** The code of an AWS field name (`srcaddr`, `ecs-task-id`); {@link FlowField.Extra} for one this reader does not know. */
export function codeOf(name: string): FlowField {
  if (Object.hasOwn(FIELDS, name)) return FIELDS[name] as FlowField;
  return Object.hasOwn(ECS_FIELDS, name) ? FlowField.Ecs : FlowField.Extra;
}

function layoutOf(names: readonly string[]): Layout {
  return {
    names,
    codes: names.map(codeOf),
    ecsKeys: names.map(ecsKeyOf),
    seen: names.map(() => new Array<string | undefined>(SEEN_SLOTS).fill(undefined)),
  };
}

export function ecsKeyOf(name: string): keyof FlowEcsContext | undefined {
  return Object.hasOwn(ECS_FIELDS, name) ? ECS_FIELDS[name] : undefined;
}

/** A record with every field present, so that all records share one object shape. */
export function blankRecord(): FlowRecord {
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
    sublocationType: undefined,
    sublocationId: undefined,
    ecs: undefined,
    extras: undefined,
    origin: { uri: '' },
  };
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

/** A copy of a string that shares no storage with the text it was sliced from. */
function flatten(value: string): string {
  return ` ${value}`.slice(1);
}

/** `text[start, end)` as a string of its own (see {@link recall}). */
function detached(text: string, start: number, end: number): string {
  const value = text.slice(start, end);
  return end - start < 13 ? value : flatten(value);
}

/**
 * `text[start, end)` as a string of its own, reusing one seen before in this field when the line
 * repeats it. Values come back line after line, but rarely twice in a row (a log interleaves its
 * interfaces), so each field remembers many values, by a hash of the length and the last four
 * characters (where ids and addresses differ most). A reused string costs no copy and no garbage.
 * A new one is detached: V8 makes a slice of 13 characters or more a view of the whole chunk
 * (64 KiB of text), and an edge that kept one address would keep its chunk alive.
 */
function recall(seen: Seen, text: string, start: number, end: number): string {
  const length = end - start;
  let hash = length;
  for (let i = end - 1, stop = Math.max(start, end - 4); i >= stop; i--) hash = hash * 31 + text.charCodeAt(i);
  const slot = (hash ^ (hash >>> 10)) & (SEEN_SLOTS - 1);
  const known = seen[slot];
  if (known !== undefined && known.length === length && text.startsWith(known, start)) return known;
  const value = length < 13 ? text.slice(start, end) : flatten(text.slice(start, end));
  seen[slot] = value;
  return value;
}

function equalsAt(text: string, start: number, end: number, word: string): boolean {
  return end - start === word.length && text.startsWith(word, start);
}

/** What {@link fillRange} returns for a line whose fields are not single-space separated as expected. */
const MISSHAPEN = -2;

/**
 * Fills `record` from the line `text[start, end)` in place, without splitting it. Returns -1 on
 * success, the index of the first invalid field, or {@link MISSHAPEN} for a wrong field count or
 * odd spacing; the caller then splits the line the slow way and reports the exact problem.
 */
function fillRange(record: FlowRecord, text: string, start: number, end: number, layout: Layout): number {
  const { codes, seen } = layout;
  const count = codes.length;
  let pktSrc: string | undefined;
  let pktDst: string | undefined;
  let pos = start;
  for (let i = 0; i < count; i++) {
    if (pos > end) return MISSHAPEN;
    let stop = text.indexOf(' ', pos);
    if (stop === -1 || stop > end) stop = end;
    if (stop === pos) return MISSHAPEN;
    if (stop - pos === 1 && text.charCodeAt(pos) === 45) {
      pos = stop + 1;
      continue;
    }
    let n: number;
    switch (codes[i]) {
      case FlowField.Version:
        n = countIn(text, pos, stop);
        if (n < 0) return i;
        record.version = n;
        break;
      case FlowField.AccountId:
        record.accountId = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.InterfaceId:
        record.interfaceId = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.SrcAddr:
        record.ifSrcAddr = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.DstAddr:
        record.ifDstAddr = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.SrcPort:
        n = countIn(text, pos, stop);
        if (n < 0 || n > 65535) return i;
        record.srcPort = n;
        break;
      case FlowField.DstPort:
        n = countIn(text, pos, stop);
        if (n < 0 || n > 65535) return i;
        record.dstPort = n;
        break;
      case FlowField.Protocol:
        n = countIn(text, pos, stop);
        if (n < 0 || n > 255) return i;
        record.protocol = n;
        break;
      case FlowField.Packets:
        n = countIn(text, pos, stop);
        if (n < 0) return i;
        record.packets = n;
        break;
      case FlowField.Bytes:
        n = countIn(text, pos, stop);
        if (n < 0) return i;
        record.bytes = n;
        break;
      case FlowField.Start:
        n = countIn(text, pos, stop);
        if (n < 0) return i;
        record.start = n;
        break;
      case FlowField.End:
        n = countIn(text, pos, stop);
        if (n < 0) return i;
        record.end = n;
        break;
      case FlowField.Action:
        if (equalsAt(text, pos, stop, 'ACCEPT')) record.action = 'ACCEPT';
        else if (equalsAt(text, pos, stop, 'REJECT')) record.action = 'REJECT';
        else return i;
        break;
      case FlowField.LogStatus:
        if (equalsAt(text, pos, stop, 'OK')) record.logStatus = 'OK';
        else if (equalsAt(text, pos, stop, 'NODATA')) record.logStatus = 'NODATA';
        else if (equalsAt(text, pos, stop, 'SKIPDATA')) record.logStatus = 'SKIPDATA';
        else return i;
        break;
      case FlowField.VpcId:
        record.vpcId = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.SubnetId:
        record.subnetId = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.InstanceId:
        record.instanceId = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.TcpFlags:
        n = countIn(text, pos, stop);
        if (n < 0) return i;
        record.tcpFlags = n;
        break;
      case FlowField.Type:
        record.type = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.PktSrcAddr:
        pktSrc = detached(text, pos, stop);
        break;
      case FlowField.PktDstAddr:
        pktDst = detached(text, pos, stop);
        break;
      case FlowField.Region:
        record.region = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.AzId:
        record.azId = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.PktSrcAwsService:
        record.pktSrcAwsService = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.PktDstAwsService:
        record.pktDstAwsService = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.FlowDirection:
        if (equalsAt(text, pos, stop, 'ingress')) record.flowDirection = 'ingress';
        else if (equalsAt(text, pos, stop, 'egress')) record.flowDirection = 'egress';
        else return i;
        break;
      case FlowField.TrafficPath:
        n = countIn(text, pos, stop);
        if (n < 0) return i;
        record.trafficPath = n;
        break;
      case FlowField.RejectReason:
        record.rejectReason = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.SublocationType:
        record.sublocationType = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.SublocationId:
        record.sublocationId = recall(seen[i] as Seen, text, pos, stop);
        break;
      case FlowField.Ecs:
        record.ecs ??= {};
        record.ecs[layout.ecsKeys[i] as keyof FlowEcsContext] = recall(seen[i] as Seen, text, pos, stop);
        break;
      default:
        record.extras ??= {};
        record.extras[layout.names[i] as string] = recall(seen[i] as Seen, text, pos, stop);
    }
    pos = stop + 1;
  }
  if (pos <= end) return MISSHAPEN;
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
  const utf8 = new Utf8Health();

  const splitter = new LineSplitter(
    {
      line: (text, start, end, lineNumber) => {
        if (start === end) return;
        if (utf8.damages(text, start, end)) {
          reject(stats, 'invalid-utf8', { uri, line: lineNumber }, 'bytes that are not UTF-8');
          return;
        }
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
            const known = fields.filter(isKnownFlowField).length;
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
          // Single-spaced again, the line takes the fast parser, which now names the bad field.
          const normalized = fields.join(' ');
          record = blankRecord();
          const bad = fillRange(record, normalized, 0, normalized.length, active);
          if (bad !== -1) {
            reject(
              stats,
              'invalid-field',
              { uri, line: lineNumber },
              bad === MISSHAPEN
                ? 'fields out of shape'
                : `${active.names[bad]}=${(fields[bad] as string).slice(0, 60)}`,
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
  for await (const chunk of textChunks(decompressed(source, stats, uri), utf8)) splitter.push(chunk);
  splitter.end();
}
