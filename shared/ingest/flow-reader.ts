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

type Draft = { [K in keyof FlowRecord]?: unknown } & { extras?: Record<string, string> };
type Setter = (record: Draft, value: string) => boolean;

type Field = Exclude<keyof FlowRecord, 'extras' | 'origin'>;

const int =
  (key: Field): Setter =>
  (record, value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) return false;
    record[key] = n;
    return true;
  };
const text =
  (key: Field): Setter =>
  (record, value) => {
    record[key] = value;
    return true;
  };

/** AWS field name → how it lands in a {@link FlowRecord}. */
const FIELDS: Record<string, Setter> = {
  version: int('version'),
  'account-id': text('accountId'),
  'interface-id': text('interfaceId'),
  srcaddr: text('ifSrcAddr'),
  dstaddr: text('ifDstAddr'),
  srcport: int('srcPort'),
  dstport: int('dstPort'),
  protocol: int('protocol'),
  packets: int('packets'),
  bytes: int('bytes'),
  start: int('start'),
  end: int('end'),
  action: (record, value) => {
    if (value !== 'ACCEPT' && value !== 'REJECT') return false;
    record.action = value;
    return true;
  },
  'log-status': (record, value) => {
    if (value !== 'OK' && value !== 'NODATA' && value !== 'SKIPDATA') return false;
    record.logStatus = value;
    return true;
  },
  'vpc-id': text('vpcId'),
  'subnet-id': text('subnetId'),
  'instance-id': text('instanceId'),
  'tcp-flags': int('tcpFlags'),
  type: text('type'),
  'pkt-srcaddr': text('srcAddr'),
  'pkt-dstaddr': text('dstAddr'),
  region: text('region'),
  'az-id': text('azId'),
  'pkt-src-aws-service': text('pktSrcAwsService'),
  'pkt-dst-aws-service': text('pktDstAwsService'),
  'flow-direction': (record, value) => {
    if (value !== 'ingress' && value !== 'egress') return false;
    record.flowDirection = value;
    return true;
  },
  'traffic-path': int('trafficPath'),
  'reject-reason': text('rejectReason'),
};

interface Layout {
  setters: Setter[];
  names: readonly string[];
}

function layoutOf(names: readonly string[]): Layout {
  return {
    names,
    setters: names.map(
      (name) =>
        FIELDS[name] ??
        ((record, value) => {
          record.extras ??= {};
          record.extras[name] = value;
          return true;
        }),
    ),
  };
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
      line: (line, lineNumber) => {
        if (line.length === 0) return;
        const fields =
          line.includes('  ') || line.includes('\t') ? line.trim().split(/[ \t]+/) : line.trim().split(' ');
        if (fields.length === 1 && fields[0] === '') return;
        if (isHeader(fields)) {
          const known = fields.filter((f) => f in FIELDS).length;
          if (known === 0) {
            // Keep reading with the layout we had: one junk line must not cost the records after it.
            reject(stats, 'unknown-header', { uri, line: lineNumber }, `no known field in ${line.slice(0, 80)}`);
            return;
          }
          layout = layoutOf(fields);
          return;
        }
        const active = layout ?? fallback;
        if (fields.length !== active.setters.length) {
          reject(
            stats,
            'field-count',
            { uri, line: lineNumber },
            `${fields.length} fields where the header has ${active.setters.length}`,
          );
          return;
        }
        const draft: Draft = { logStatus: 'OK' };
        for (let i = 0; i < fields.length; i++) {
          const value = fields[i] as string;
          if (value === '-') continue;
          if (!(active.setters[i] as Setter)(draft, value)) {
            reject(stats, 'invalid-field', { uri, line: lineNumber }, `${active.names[i]}=${value.slice(0, 60)}`);
            return;
          }
        }
        if (draft.logStatus === 'NODATA') {
          stats.logHealth.nodata++;
          return;
        }
        if (draft.logStatus === 'SKIPDATA') {
          stats.logHealth.skipdata++;
          return;
        }
        draft.srcAddr ??= draft.ifSrcAddr;
        draft.dstAddr ??= draft.ifDstAddr;
        if (typeof draft.srcAddr !== 'string' || typeof draft.dstAddr !== 'string') {
          reject(stats, 'invalid-field', { uri, line: lineNumber }, 'record without addresses');
          return;
        }
        draft.origin = { uri, line: lineNumber };
        stats.events++;
        onRecord(draft as FlowRecord);
      },
      oversized: (lineNumber, length) =>
        reject(stats, 'oversized-record', { uri, line: lineNumber }, `line of ${length} characters`),
    },
    options.maxRecordChars ?? MAX_RECORD_CHARS,
  );
  for await (const chunk of textChunks(decompressed(source, stats, uri))) splitter.push(chunk);
  splitter.end();
}
