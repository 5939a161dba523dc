import { gzipSync } from 'node:zlib';
import { DEFAULT_FLOW_FORMAT, STACK_FLOW_HEADER } from '../../shared/ingest';
import type { AuditRecord } from './audit-log';
import { ACCOUNT, API_SERVER_INSTANCES, CLUSTER, FLOW_LOG_ID, REGION } from './cluster';
import type { FlowLine } from './flow-log';
import { streamOf } from './prng';
import type { FlowFormat } from './types';

/**
 * Packs events and records into S3 objects the way AWS delivers them: Firehose objects of
 * CloudWatch Logs subscription data for the audit log, hourly-partitioned text objects for
 * VPC Flow Logs. One object per hour of each.
 */

const HOUR_MS = 3_600_000;
/** Fast compression: the objects stay small either way, and the output is just as deterministic. */
const GZIP = { level: 1 } as const;

export interface DeliveredObject {
  /** Key relative to the scenario folder. */
  key: string;
  body: Buffer;
  /** Audit events or flow records (NODATA excluded) the object holds. */
  records: number;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function parts(ms: number) {
  const d = new Date(ms);
  return {
    y: String(d.getUTCFullYear()),
    mo: pad(d.getUTCMonth() + 1),
    d: pad(d.getUTCDate()),
    h: pad(d.getUTCHours()),
    mi: pad(d.getUTCMinutes()),
    s: pad(d.getUTCSeconds()),
  };
}

const CONTROL_MESSAGE = (timestamp: number) =>
  JSON.stringify({
    messageType: 'CONTROL_MESSAGE',
    owner: 'CloudwatchLogs',
    logGroup: '',
    logStream: '',
    subscriptionFilters: [],
    logEvents: [{ id: '', timestamp, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }],
  });

/** A cluster's audit log group and the Firehose stream its subscription filter feeds. */
export interface AuditTarget {
  cluster: string;
  /** Log streams of the cluster's API server instances, by {@link AuditRecord.instance}. */
  streams: readonly string[];
  /** Firehose stream name: the start of each object's file name. */
  firehose: string;
  /** Label of the random stream of the delivery (ids, batching, object names). */
  randomLabel: string;
  /** Where its objects go in the bucket (the Firehose stream's prefix). @default 'audit/' */
  prefix?: string;
}

/**
 * How one object of a scaled scenario differs: which of the hour's `parts` it is (each source
 * delivers `parts` objects an hour, from streams of their own past the first), and the text
 * rewrite that turns `shop-prod` into another cluster (scale.ts).
 */
export interface Delivery {
  part: number;
  parts: number;
  rewrite?: (text: string) => string;
}

const WHOLE: Delivery = { part: 0, parts: 1 };

/** The random stream of one part of an hour: the unscaled scenario's for the first part. */
function partStream(seed: number, label: string, hour: number, part: number) {
  return part === 0 ? streamOf(seed, label, hour) : streamOf(seed, label, hour, 'part', part);
}

/** `shop-prod`'s audit log, delivered by the `driftwatch-audit` Firehose stream. */
const PROD_AUDIT: AuditTarget = {
  cluster: CLUSTER,
  streams: API_SERVER_INSTANCES.map((i) => i.stream),
  firehose: 'driftwatch-audit',
  randomLabel: 'firehose',
};

/**
 * The Firehose object of one hour of the audit log: gzip of concatenated CloudWatch Logs
 * subscription envelopes with no delimiter, each holding a batch of one API server's log
 * stream, and now and then a health-check control message. Every target writes under
 * `audit/`, as Firehose streams sharing a bucket prefix do; the log group names the cluster.
 */
export function auditObject(
  seed: number,
  start: number,
  hour: number,
  records: readonly AuditRecord[],
  target: AuditTarget = PROD_AUDIT,
  delivery: Delivery = WHOLE,
): DeliveredObject | undefined {
  if (records.length === 0) return undefined;
  const sorted = [...records].sort((x, y) => x.stageTime - y.stageTime);
  const rng = partStream(seed, target.randomLabel, hour, delivery.part);
  const documents: string[] = [];
  const firstTime = Math.floor((sorted[0] as AuditRecord).stageTime / 1000);
  if ((hour === 0 && delivery.part === 0) || rng.chance(1 / 36))
    documents.push(CONTROL_MESSAGE(firstTime + rng.int(0, 2000)));
  const batches = target.streams.map(() => [] as AuditRecord[]);
  const flush = (instance: number) => {
    const batch = batches[instance] as AuditRecord[];
    if (batch.length === 0) return;
    documents.push(
      JSON.stringify({
        messageType: 'DATA_MESSAGE',
        owner: ACCOUNT,
        logGroup: `/aws/eks/${target.cluster}/cluster`,
        logStream: target.streams[instance],
        subscriptionFilters: ['driftwatch-audit'],
        logEvents: batch.map((r) => ({
          id: rng.digits(56),
          timestamp: Math.floor(r.stageTime / 1000),
          message: r.message,
        })),
      }),
    );
    batches[instance] = [];
  };
  let limit = rng.int(15, 60);
  for (const record of sorted) {
    const batch = batches[record.instance] as AuditRecord[];
    batch.push(record);
    if (batch.length >= limit) {
      flush(record.instance);
      limit = rng.int(15, 60);
    }
  }
  for (let instance = 0; instance < batches.length; instance++) flush(instance);
  const arrival = Math.min(start + (hour + 1) * HOUR_MS - 1000, firstTime + rng.int(1500, 9000));
  const t = parts(arrival);
  const text = documents.join('');
  return {
    key: `${target.prefix ?? 'audit/'}${t.y}/${t.mo}/${t.d}/${t.h}/${target.firehose}-1-${t.y}-${t.mo}-${t.d}-${t.h}-${t.mi}-${t.s}-${rng.uuid()}.gz`,
    body: gzipSync(delivery.rewrite ? delivery.rewrite(text) : text, GZIP),
    records: sorted.length,
  };
}

/**
 * The VPC Flow Logs object of one hour, in its Hive-compatible partition: a header line naming
 * the fields, then one record per line, gzipped.
 */
export function flowObject(
  seed: number,
  start: number,
  hour: number,
  lines: readonly FlowLine[],
  format: FlowFormat = 'stack',
  delivery: Delivery = WHOLE,
): DeliveredObject | undefined {
  if (lines.length === 0) return undefined;
  const rng = partStream(seed, 'flow-delivery', hour, delivery.part);
  const sorted = [...lines].sort((x, y) => x.start - y.start);
  const text =
    format === 'v2'
      ? `${DEFAULT_FLOW_FORMAT.join(' ')}\n${sorted.map((l) => asDefaultFormat(l.text)).join('\n')}\n`
      : `${STACK_FLOW_HEADER}\n${sorted.map((l) => l.text).join('\n')}\n`;
  const t = parts(start + hour * HOUR_MS);
  // The object is named after the end of the slice of the hour it covers.
  const minute = delivery.parts === 1 ? '55' : pad(Math.floor(((delivery.part + 1) * 60) / delivery.parts) - 1);
  const prefix =
    `flow/AWSLogs/aws-account-id=${ACCOUNT}/aws-service=vpcflowlogs/aws-region=${REGION}` +
    `/year=${t.y}/month=${t.mo}/day=${t.d}/hour=${t.h}`;
  const key = `${prefix}/${ACCOUNT}_vpcflowlogs_${REGION}_${FLOW_LOG_ID}_${t.y}${t.mo}${t.d}T${t.h}${minute}Z_${rng.hex(8)}.log.gz`;
  return {
    key: delivery.rewrite ? delivery.rewrite(key) : key,
    body: gzipSync(delivery.rewrite ? delivery.rewrite(text) : text, GZIP),
    records: sorted.filter((l) => !l.nodata).length,
  };
}

/**
 * A line of the stack's format as AWS's default (version 2) format logs the same traffic: its
 * first fields are the default ones, in the same order (`srcaddr` and `dstaddr` are the
 * interface's addresses, as in v2), and the rest (`tcp-flags`, `pkt-*`, `flow-direction`, ...)
 * are not logged.
 */
function asDefaultFormat(line: string): string {
  const fields = line.split(' ', DEFAULT_FLOW_FORMAT.length);
  fields[0] = '2';
  return fields.join(' ');
}
