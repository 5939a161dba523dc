import { isAscii, isUtf8 } from 'node:buffer';
import { decompressed } from './decompress';
import { noteMissingFields, type ReadStats, reject } from './stats';
import { MAX_RECORD_CHARS } from './text';
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

/**
 * The custom format of the flow logs Driftwatch's stack creates (infra/vpc-flow-logs.ts), in
 * order: the version 2 defaults, then the version 3 to 5 fields that map traffic to workloads
 * (`pkt-srcaddr`/`pkt-dstaddr` carry pod IPs), to places and to AWS services. The sample scenario,
 * the benchmarks and the tests write their logs in it. Every field is one this reader knows.
 */
export const STACK_FLOW_FORMAT = [
  ...DEFAULT_FLOW_FORMAT,
  'vpc-id',
  'subnet-id',
  'instance-id',
  'tcp-flags',
  'type',
  'pkt-srcaddr',
  'pkt-dstaddr',
  'region',
  'az-id',
  'pkt-src-aws-service',
  'pkt-dst-aws-service',
  'flow-direction',
  'traffic-path',
] as const;

/** A field of the stack's flow-log format. */
export type StackFlowField = (typeof STACK_FLOW_FORMAT)[number];

/** The fields of the stack's format that AWS's default format lacks: what a reader counts missing per object. */
export const FIELDS_BEYOND_DEFAULT: readonly StackFlowField[] = STACK_FLOW_FORMAT.slice(DEFAULT_FLOW_FORMAT.length);

/** The header line of a plain-text object in {@link STACK_FLOW_FORMAT}. */
export const STACK_FLOW_HEADER = STACK_FLOW_FORMAT.join(' ');

export interface FlowReadOptions {
  uri: string;
  stats: ReadStats;
  /** Field names for objects without a header line. @default DEFAULT_FLOW_FORMAT */
  format?: readonly string[];
  /** Bound on one line. @default 1 MiB */
  maxRecordChars?: number;
  /** Stops reading: the next chunk throws a ReaderError. */
  signal?: AbortSignal;
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

/** The code of an AWS field name (`srcaddr`, `ecs-task-id`); {@link FlowField.Extra} for one this reader does not know. */
export function codeOf(name: string): FlowField {
  if (Object.hasOwn(FIELDS, name)) return FIELDS[name] as FlowField;
  return Object.hasOwn(ECS_FIELDS, name) ? FlowField.Ecs : FlowField.Extra;
}

/** True for a field name this reader knows (v2 to v8), as opposed to one kept as an extra. */
export function isKnownFlowField(name: string): boolean {
  return codeOf(name) !== FlowField.Extra;
}

export function ecsKeyOf(name: string): keyof FlowEcsContext | undefined {
  return Object.hasOwn(ECS_FIELDS, name) ? ECS_FIELDS[name] : undefined;
}

/** How many field codes there are: the length of {@link FlowLine.values}. */
const CODES = FlowField.Ecs + 1;

/** In {@link FlowLine.values}: an address that is not canonical IPv4 (IPv6, say); read its text. */
export const TEXT_ADDRESS = -1;
/** In {@link FlowLine.values}: an address field that is `-` or not in the log. */
export const NO_ADDRESS = -2;
/** In {@link FlowLine.values}: a count field that is `-` or not in the log. */
export const NO_COUNT = -1;

/** `action`, `log-status` and `flow-direction` in {@link FlowLine.values}; 0 when missing. */
export enum ActionCode {
  None,
  Accept,
  Reject,
}
export enum StatusCode {
  Ok,
  NoData,
  SkipData,
}
export enum DirectionCode {
  None,
  Ingress,
  Egress,
}

/** How the parser reads a field: a small integer so the hot loop is one switch. */
const TEXT = 0;
const COUNT = 1;
const ADDRESS = 2;
const ACTION = 3;
const STATUS = 4;
const DIRECTION = 5;

/** Record properties of the count fields. */
type CountKey =
  | 'version'
  | 'srcPort'
  | 'dstPort'
  | 'protocol'
  | 'packets'
  | 'bytes'
  | 'start'
  | 'end'
  | 'tcpFlags'
  | 'trafficPath';
const COUNT_KEYS: Partial<Record<FlowField, CountKey>> = {
  [FlowField.Version]: 'version',
  [FlowField.SrcPort]: 'srcPort',
  [FlowField.DstPort]: 'dstPort',
  [FlowField.Protocol]: 'protocol',
  [FlowField.Packets]: 'packets',
  [FlowField.Bytes]: 'bytes',
  [FlowField.Start]: 'start',
  [FlowField.End]: 'end',
  [FlowField.TcpFlags]: 'tcpFlags',
  [FlowField.TrafficPath]: 'trafficPath',
};

/** Record properties of the text fields. */
type TextKey =
  | 'accountId'
  | 'interfaceId'
  | 'ifSrcAddr'
  | 'ifDstAddr'
  | 'vpcId'
  | 'subnetId'
  | 'instanceId'
  | 'type'
  | 'region'
  | 'azId'
  | 'pktSrcAwsService'
  | 'pktDstAwsService'
  | 'rejectReason'
  | 'sublocationType'
  | 'sublocationId';
const TEXT_KEYS: Partial<Record<FlowField, TextKey>> = {
  [FlowField.AccountId]: 'accountId',
  [FlowField.InterfaceId]: 'interfaceId',
  [FlowField.SrcAddr]: 'ifSrcAddr',
  [FlowField.DstAddr]: 'ifDstAddr',
  [FlowField.VpcId]: 'vpcId',
  [FlowField.SubnetId]: 'subnetId',
  [FlowField.InstanceId]: 'instanceId',
  [FlowField.Type]: 'type',
  [FlowField.Region]: 'region',
  [FlowField.AzId]: 'azId',
  [FlowField.PktSrcAwsService]: 'pktSrcAwsService',
  [FlowField.PktDstAwsService]: 'pktDstAwsService',
  [FlowField.RejectReason]: 'rejectReason',
  [FlowField.SublocationType]: 'sublocationType',
  [FlowField.SublocationId]: 'sublocationId',
};

/** Largest value of each bounded count. */
const LIMITS: Partial<Record<FlowField, number>> = {
  [FlowField.SrcPort]: 65_535,
  [FlowField.DstPort]: 65_535,
  [FlowField.Protocol]: 255,
};

function kindOf(code: FlowField): number {
  if (COUNT_KEYS[code] !== undefined) return COUNT;
  switch (code) {
    case FlowField.SrcAddr:
    case FlowField.DstAddr:
    case FlowField.PktSrcAddr:
    case FlowField.PktDstAddr:
      return ADDRESS;
    case FlowField.Action:
      return ACTION;
    case FlowField.LogStatus:
      return STATUS;
    case FlowField.FlowDirection:
      return DIRECTION;
    default:
      return TEXT;
  }
}

interface Layout {
  names: readonly string[];
  codes: FlowField[];
  kinds: number[];
  limits: number[];
  /** For each ECS field, its key in {@link FlowEcsContext}. */
  ecsKeys: (keyof FlowEcsContext | undefined)[];
  /** The position of each known field (by code) in a line, -1 when the log does not have it. */
  positions: Int32Array;
  /** {@link FlowLine.values} before a line is read: every field missing. */
  blank: Float64Array;
  /** Recent values of each text field, by slot, made on first use (see {@link FlowLine.text}). */
  seen: (Seen | undefined)[];
}

/** Values a field has held, by slot. */
type Seen = (string | undefined)[];

/** Remembered values per field: enough for the interfaces, subnets and busy addresses of a log. */
const SEEN_SLOTS = 1024;

function layoutOf(names: readonly string[]): Layout {
  const codes = names.map(codeOf);
  const positions = new Int32Array(CODES).fill(-1);
  const blank = new Float64Array(CODES).fill(NO_COUNT);
  for (const address of [FlowField.SrcAddr, FlowField.DstAddr, FlowField.PktSrcAddr, FlowField.PktDstAddr]) {
    blank[address] = NO_ADDRESS;
  }
  blank[FlowField.Action] = ActionCode.None;
  blank[FlowField.LogStatus] = StatusCode.Ok;
  blank[FlowField.FlowDirection] = DirectionCode.None;
  codes.forEach((code, i) => {
    if (code !== FlowField.Extra && code !== FlowField.Ecs) positions[code] = i;
  });
  return {
    names,
    codes,
    kinds: codes.map(kindOf),
    limits: codes.map((code) => LIMITS[code] ?? Number.MAX_SAFE_INTEGER),
    ecsKeys: names.map(ecsKeyOf),
    positions,
    blank,
    seen: names.map(() => undefined),
  };
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

const EMPTY = Buffer.alloc(0);

/**
 * One flow-log line, read where it lies in the decompressed bytes: counts and IPv4 addresses as
 * numbers, text fields as byte ranges that become strings only when asked for. Building a record
 * object and a string per field for every line was most of the cost of reading; a consumer that
 * folds lines into aggregates (edges) needs strings only for what it has not seen before.
 *
 * The reader reuses one line for every line of an object: keep the numbers and strings you take
 * from it, never the line itself. {@link record} makes a {@link FlowRecord} of it.
 */
export class FlowLine {
  /**
   * Numbers by {@link FlowField} code: counts ({@link NO_COUNT} when missing); addresses as an
   * unsigned 32-bit IPv4 number, {@link TEXT_ADDRESS} for any other text (read it with
   * {@link text}) or {@link NO_ADDRESS}; {@link ActionCode}, {@link StatusCode} and
   * {@link DirectionCode} values for the three word fields.
   */
  readonly values = new Float64Array(CODES);
  /** 1-based line number in the object. */
  lineNumber = 0;
  /** Where each field of the layout starts and ends in {@link bytes}; start -1 for `-`. */
  private starts = new Int32Array(0);
  private ends = new Int32Array(0);
  private layout: Layout = layoutOf([]);
  private buffer: Buffer = EMPTY;
  private bytes: Uint8Array = EMPTY;
  /** False for a line with bytes over 0x7f: its text is decoded as UTF-8, without the cache. */
  private ascii = true;
  /** Whether the whole of {@link buffer} is ASCII, as nearly every chunk of a flow log is. */
  private chunkAscii = true;

  constructor(readonly uri: string) {}

  /** The text of a field, or undefined when it is `-` or not in the log. */
  text(code: FlowField): string | undefined {
    const i = this.layout.positions[code] as number;
    return i < 0 ? undefined : this.textAt(i);
  }

  /** True when the field's text is `text`, or when it is missing and `text` is undefined; makes no string. */
  hasText(code: FlowField, text: string | undefined): boolean {
    const i = this.layout.positions[code] as number;
    const start = i < 0 ? -1 : (this.starts[i] as number);
    if (start < 0 || text === undefined) return start < 0 && text === undefined;
    const length = (this.ends[i] as number) - start;
    if (text.length !== length || !this.ascii) return false;
    const bytes = this.bytes;
    for (let k = 0; k < length; k++) if (text.charCodeAt(k) !== bytes[start + k]) return false;
    return true;
  }

  /**
   * The text of the field at position `i`. A value this field held recently is reused (looked up
   * by its length and last four bytes, where ids and addresses differ most) instead of decoding a
   * new string: values come back line after line, though rarely twice in a row.
   */
  private textAt(i: number): string | undefined {
    const start = this.starts[i] as number;
    if (start < 0) return undefined;
    const end = this.ends[i] as number;
    if (!this.ascii) return this.buffer.toString('utf8', start, end);
    const bytes = this.bytes;
    const length = end - start;
    let hash = length;
    for (let k = end - 1, stop = Math.max(start, end - 4); k >= stop; k--) hash = hash * 31 + (bytes[k] as number);
    const slot = (hash ^ (hash >>> 10)) & (SEEN_SLOTS - 1);
    const seen = this.layout.seen;
    let values = seen[i];
    if (values === undefined) {
      values = new Array<string | undefined>(SEEN_SLOTS).fill(undefined);
      seen[i] = values;
    }
    const known = values[slot];
    if (known !== undefined && known.length === length) {
      let k = 0;
      while (k < length && known.charCodeAt(k) === bytes[start + k]) k++;
      if (k === length) return known;
    }
    // A fresh string: latin1 decoding copies, so nothing keeps the 64 KiB chunk alive.
    const value = this.buffer.toString('latin1', start, end);
    values[slot] = value;
    return value;
  }

  /** The line as a record object. */
  record(): FlowRecord {
    const record = blankRecord();
    const { codes } = this.layout;
    const values = this.values;
    let pktSrc: string | undefined;
    let pktDst: string | undefined;
    for (let i = 0; i < codes.length; i++) {
      if ((this.starts[i] as number) < 0) continue;
      const code = codes[i] as FlowField;
      const count = COUNT_KEYS[code];
      if (count !== undefined) {
        record[count] = values[code];
        continue;
      }
      const text = TEXT_KEYS[code];
      if (text !== undefined) {
        record[text] = this.textAt(i);
        continue;
      }
      switch (code) {
        case FlowField.Action:
          record.action = values[code] === ActionCode.Accept ? 'ACCEPT' : 'REJECT';
          break;
        case FlowField.LogStatus:
          record.logStatus =
            values[code] === StatusCode.NoData ? 'NODATA' : values[code] === StatusCode.SkipData ? 'SKIPDATA' : 'OK';
          break;
        case FlowField.FlowDirection:
          record.flowDirection = values[code] === DirectionCode.Ingress ? 'ingress' : 'egress';
          break;
        case FlowField.PktSrcAddr:
          pktSrc = this.textAt(i);
          break;
        case FlowField.PktDstAddr:
          pktDst = this.textAt(i);
          break;
        case FlowField.Ecs:
          record.ecs ??= {};
          record.ecs[this.layout.ecsKeys[i] as keyof FlowEcsContext] = this.textAt(i);
          break;
        default:
          record.extras ??= {};
          record.extras[this.layout.names[i] as string] = this.textAt(i) as string;
      }
    }
    record.srcAddr = pktSrc ?? record.ifSrcAddr ?? '';
    record.dstAddr = pktDst ?? record.ifDstAddr ?? '';
    record.origin = { uri: this.uri, line: this.lineNumber };
    return record;
  }

  /** The layout lines are read with. */
  get layoutInUse(): Layout {
    return this.layout;
  }

  /** Reads the line's fields from `buffer` from now on (the reader's call). */
  use(buffer: Buffer, layout: Layout): void {
    this.buffer = buffer;
    this.bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
    // One native check per chunk, instead of one per byte in the parser.
    this.chunkAscii = isAscii(buffer);
    this.ascii = this.chunkAscii;
    if (layout !== this.layout) {
      this.layout = layout;
      this.starts = new Int32Array(layout.codes.length);
      this.ends = new Int32Array(layout.codes.length);
      this.values.set(layout.blank);
    }
  }

  /** Before parsing `[start, end)`: notes whether the line is ASCII, when its chunk is not all ASCII. */
  at(start: number, end: number): void {
    if (!this.chunkAscii) this.ascii = isAscii(this.buffer.subarray(start, end));
  }

  /**
   * Parses `[start, end)` of the current bytes into the line. Returns -1 on success, the position
   * of the first invalid field, or {@link MISSHAPEN} for a wrong field count or odd spacing; the
   * caller then splits the line the slow way and reports the exact problem. A line with bytes over
   * 0x7f is taken only when `anyBytes` is set (after the caller checked it is UTF-8).
   */
  parse(start: number, end: number, anyBytes = false): number {
    const { bytes, values, starts, ends } = this;
    const { codes, kinds, limits } = this.layout;
    const count = codes.length;
    let pos = start;
    for (let i = 0; i < count; i++) {
      if (pos >= end) return MISSHAPEN;
      const from = pos;
      const code = codes[i] as number;
      const kind = kinds[i] as number;
      if (kind === COUNT) {
        let n = 0;
        let digits = true;
        for (; pos < end; pos++) {
          const b = bytes[pos] as number;
          if (b === 32) break;
          const d = b - 48;
          if (d < 0 || d > 9) digits = false;
          n = n * 10 + d;
        }
        const length = pos - from;
        if (length === 0) return MISSHAPEN;
        if (length === 1 && bytes[from] === 45) {
          values[code] = NO_COUNT;
          starts[i] = -1;
        } else {
          if (!digits || length > 15 || n > (limits[i] as number)) return i;
          values[code] = n;
          starts[i] = from;
          ends[i] = pos;
        }
      } else if (kind === ADDRESS) {
        // Canonical IPv4 (no leading zeros, parts 0-255) becomes a number; anything else stays text.
        let value = 0;
        let part = 0;
        let digits = 0;
        let dots = 0;
        let ipv4 = true;
        for (; pos < end; pos++) {
          const b = bytes[pos] as number;
          if (b === 32) break;
          if (b === 46) {
            if (digits === 0 || dots === 3) ipv4 = false;
            value = value * 256 + part;
            part = 0;
            digits = 0;
            dots++;
            continue;
          }
          const d = b - 48;
          if (d < 0 || d > 9 || (digits === 1 && part === 0)) ipv4 = false;
          part = part * 10 + d;
          if (part > 255) ipv4 = false;
          digits++;
        }
        const length = pos - from;
        if (length === 0) return MISSHAPEN;
        if (length === 1 && bytes[from] === 45) {
          values[code] = NO_ADDRESS;
          starts[i] = -1;
        } else {
          values[code] = ipv4 && digits > 0 && dots === 3 ? value * 256 + part : TEXT_ADDRESS;
          starts[i] = from;
          ends[i] = pos;
        }
      } else {
        while (pos < end && bytes[pos] !== 32) pos++;
        const length = pos - from;
        if (length === 0) return MISSHAPEN;
        if (length === 1 && bytes[from] === 45) {
          if (kind !== TEXT) values[code] = 0;
          starts[i] = -1;
        } else {
          starts[i] = from;
          ends[i] = pos;
          if (kind === ACTION) {
            const word = wordAt(bytes, from, length, ACTIONS);
            if (word < 0) return i;
            values[code] = word;
          } else if (kind === STATUS) {
            const word = wordAt(bytes, from, length, STATUSES);
            if (word < 0) return i;
            values[code] = word;
          } else if (kind === DIRECTION) {
            const word = wordAt(bytes, from, length, DIRECTIONS);
            if (word < 0) return i;
            values[code] = word;
          }
        }
      }
      pos++;
    }
    if (pos <= end) return MISSHAPEN;
    return this.ascii || anyBytes ? -1 : MISSHAPEN;
  }
}

/** The words of a word field, indexed by their code; index 0 (missing) never matches. */
const ACTIONS = ['', 'ACCEPT', 'REJECT'];
const STATUSES = ['OK', 'NODATA', 'SKIPDATA'];
const DIRECTIONS = ['', 'ingress', 'egress'];

/** The index of the word spelt by `bytes[from, from + length)`, or -1. */
function wordAt(bytes: Uint8Array, from: number, length: number, words: readonly string[]): number {
  for (let w = 0; w < words.length; w++) {
    const word = words[w] as string;
    if (word.length !== length || length === 0) continue;
    let k = 0;
    while (k < length && word.charCodeAt(k) === bytes[from + k]) k++;
    if (k === length) return w;
  }
  return -1;
}

/** What {@link FlowLine.parse} returns for a line whose fields are not single-space separated as expected. */
const MISSHAPEN = -2;

const FIELD_NAME = /^[a-z][a-z0-9-]*$/;
const AWS_ID = /^(eni|vpc|subnet|i|tgw|vpce)-[0-9a-f]+$/;

/** A header line is all field names (lowercase, hyphenated); data lines hold numbers, addresses and ids. */
function isHeader(fields: readonly string[]): boolean {
  return fields.every((f) => FIELD_NAME.test(f) && !AWS_ID.test(f));
}

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;

/**
 * Reads VPC flow-log lines from a text object (gzipped or not): a header line naming the fields
 * in any order, `-` for missing values, NODATA/SKIPDATA counted as log health, headers repeated
 * mid-file, and runs of spaces. Never throws for bad content. `onLine` gets one {@link FlowLine},
 * reused for every line (see there). Lines are split and parsed on the decompressed bytes: text
 * is never decoded as a whole, and a line with bytes that are not ASCII takes the careful path
 * (UTF-8 validated, then parsed like any other).
 */
export async function readFlowLines(
  source: AsyncIterable<Uint8Array>,
  options: FlowReadOptions,
  onLine: (line: FlowLine) => void,
): Promise<void> {
  const { uri, stats } = options;
  const maxBytes = options.maxRecordChars ?? MAX_RECORD_CHARS;
  stats.objects++;
  const line = new FlowLine(uri);
  let header: Layout | undefined;
  let fallback: Layout | undefined;
  let lineNumber = 0;
  /** The layout of the last record delivered, and the stack's fields some delivered record's layout lacked. */
  let delivered: Layout | undefined;
  const missing = new Set<string>();

  const deliver = () => {
    const values = line.values;
    if (line.layoutInUse !== delivered) {
      delivered = line.layoutInUse;
      for (const field of FIELDS_BEYOND_DEFAULT) if (!delivered.names.includes(field)) missing.add(field);
    }
    const status = values[FlowField.LogStatus];
    if (status === StatusCode.NoData) {
      stats.logHealth.nodata++;
      return;
    }
    if (status === StatusCode.SkipData) {
      stats.logHealth.skipdata++;
      return;
    }
    if (
      (values[FlowField.PktSrcAddr] === NO_ADDRESS && values[FlowField.SrcAddr] === NO_ADDRESS) ||
      (values[FlowField.PktDstAddr] === NO_ADDRESS && values[FlowField.DstAddr] === NO_ADDRESS)
    ) {
      reject(stats, 'invalid-field', { uri, line: lineNumber }, 'record without addresses');
      return;
    }
    line.lineNumber = lineNumber;
    stats.events++;
    onLine(line);
  };

  /** Headers, odd spacing, bytes that are not ASCII, and every kind of bad line, with a precise reason. */
  const careful = (buffer: Buffer, start: number, end: number, active: Layout) => {
    const raw = buffer.subarray(start, end);
    if (!isUtf8(raw)) {
      reject(stats, 'invalid-utf8', { uri, line: lineNumber }, 'bytes that are not UTF-8');
      return;
    }
    const text = raw.toString('utf8');
    const fields = text.trim().split(/[ \t]+/);
    if (fields.length === 1 && fields[0] === '') return;
    const first = (fields[0] as string).charCodeAt(0);
    if (first >= 97 && first <= 122 && isHeader(fields)) {
      if (!fields.some(isKnownFlowField)) {
        // Keep reading with the layout we had: one junk line must not cost the records after it.
        reject(stats, 'unknown-header', { uri, line: lineNumber }, `no known field in ${text.slice(0, 80)}`);
        return;
      }
      header = layoutOf(fields);
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
    // Single-spaced again, the line takes the parser, which now names the bad field.
    const normalized = Buffer.from(fields.join(' '), 'utf8');
    line.use(normalized, active);
    const bad = line.parse(0, normalized.length, true);
    if (bad !== -1) {
      reject(
        stats,
        'invalid-field',
        { uri, line: lineNumber },
        bad === MISSHAPEN ? 'fields out of shape' : `${active.names[bad]}=${(fields[bad] as string).slice(0, 60)}`,
      );
    } else {
      deliver();
    }
    current = undefined;
  };

  let current: Buffer | undefined;
  const take = (buffer: Buffer, start: number, end: number) => {
    lineNumber++;
    if (end - start > maxBytes) {
      reject(stats, 'oversized-record', { uri, line: lineNumber }, `line of ${end - start} characters`);
      return;
    }
    if (end > start && buffer[end - 1] === CARRIAGE_RETURN) end--;
    if (start === end) return;
    fallback ??= header ? undefined : layoutOf(options.format ?? DEFAULT_FLOW_FORMAT);
    const active = header ?? (fallback as Layout);
    // A line that starts with a letter may be a header: only the careful path tells.
    const c = buffer[start] as number;
    if (c < 97 || c > 122) {
      if (buffer !== current || active !== line.layoutInUse) {
        line.use(buffer, active);
        current = buffer;
      }
      line.at(start, end);
      if (line.parse(start, end) === -1) {
        deliver();
        return;
      }
    }
    careful(buffer, start, end, active);
  };

  let carry: Buffer | undefined;
  /** Length of an oversized line being skipped, or -1. */
  let skipping = -1;
  for await (const chunk of decompressed(source, stats, uri, options.signal)) {
    let buffer = chunk;
    let pos = 0;
    if (skipping >= 0) {
      const newline = buffer.indexOf(NEWLINE);
      if (newline === -1) {
        skipping += buffer.length;
        continue;
      }
      lineNumber++;
      reject(stats, 'oversized-record', { uri, line: lineNumber }, `line of ${skipping + newline} characters`);
      skipping = -1;
      pos = newline + 1;
    } else if (carry) {
      // Only the line that spans the two chunks is copied, not the chunk it ends in.
      const newline = buffer.indexOf(NEWLINE);
      if (newline === -1) {
        // A line longer than a chunk is joined piece by piece, up to maxBytes.
        buffer = Buffer.concat([carry, chunk]);
        carry = undefined;
      } else {
        const spanning = Buffer.concat([carry, chunk.subarray(0, newline)]);
        carry = undefined;
        take(spanning, 0, spanning.length);
        pos = newline + 1;
      }
    }
    for (let newline = buffer.indexOf(NEWLINE, pos); newline !== -1; newline = buffer.indexOf(NEWLINE, pos)) {
      take(buffer, pos, newline);
      pos = newline + 1;
    }
    if (pos < buffer.length) {
      if (buffer.length - pos > maxBytes) skipping = buffer.length - pos;
      else carry = buffer.subarray(pos);
    }
  }
  if (skipping >= 0) {
    lineNumber++;
    reject(stats, 'oversized-record', { uri, line: lineNumber }, `line of ${skipping} characters`);
  } else if (carry) {
    take(carry, 0, carry.length);
  }
  noteMissingFields(stats, missing);
}

/**
 * Reads VPC flow-log records from a text object: {@link readFlowLines}, with each line made into
 * a record object of its own.
 */
export async function readFlowObject(
  source: AsyncIterable<Uint8Array>,
  options: FlowReadOptions,
  onRecord: (record: FlowRecord) => void,
): Promise<void> {
  await readFlowLines(source, options, (line) => onRecord(line.record()));
}
