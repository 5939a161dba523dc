import { decompressed } from './decompress';
import { ReaderError } from './errors';
import { readFlowParquet } from './flow-parquet-reader';
import { type FlowLine, type FlowReadOptions, isKnownFlowField, readFlowLines } from './flow-reader';
import type { RandomAccessObject } from './random-access';
import { newReadStats } from './stats';
import type { FlowRecord } from './types';

export type LogKind = 'audit' | 'flow';
/** How a flow-log object is encoded: text lines (gzipped or not) or Parquet. Audit objects are always text. */
export type ObjectFormat = 'text' | 'parquet';

/** One log object to process: an S3 object or a local file. */
export interface ObjectSource {
  /** S3 URI or file path. */
  uri: string;
  /** Identity of this version of the object (S3 ETag or version; file size and mtime). */
  version: string;
  /**
   * Opens the object's bytes; may be called more than once. `headBytes` asks for at least that
   * many leading bytes only (a ranged GET on S3), for sniffing.
   */
  open(options?: { headBytes?: number }): AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
  /** The kind, when the delivery path already says it (the audit or flow queue). */
  kind?: LogKind;
  /** Size in bytes, when known without a request (S3 notifications and file stats carry it). */
  size?: number;
  /**
   * Reads bytes `[start, end)`: a ranged GET on S3, a positioned read of a file. Parquet needs it;
   * a source without it cannot be read as Parquet.
   */
  readRange?(start: number, end: number): Promise<Uint8Array>;
  /**
   * Stops reading the object (the Lambda's deadline): the readers throw a {@link ReaderError}
   * at their next chunk, whatever is left in the decompression buffers.
   */
  signal?: AbortSignal;
}

/** The configured S3 prefixes of each log kind: one per bucket the kind is read from. */
export interface SourcePrefixes {
  audit?: readonly string[];
  flow?: readonly string[];
}

/** What an object's key says about it. */
export interface KeyRoute {
  /** The log kind, or undefined for AWS logs of another service (CloudTrail, ELB, ...). */
  kind?: LogKind;
  /** The encoding the file name says, when it says one. */
  format?: ObjectFormat;
  /** Which layout matched: VPC Flow Logs' plain or Hive-compatible one, Firehose's, or a configured prefix. */
  layout: 'vpcflowlogs' | 'vpcflowlogs-hive' | 'firehose' | 'prefix' | 'aws-other';
  /** For `aws-other`: the service the key names. */
  service?: string;
}

/** `AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/[HH/]`: the default VPC Flow Logs layout. */
const FLOW_PLAIN = /(?:^|\/)AWSLogs\/\d{12}\/vpcflowlogs\/[a-z0-9-]+\/\d{4}\/\d{2}\/\d{2}\//;
/** `AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=.../`: Hive-compatible. */
const FLOW_HIVE =
  /(?:^|\/)AWSLogs\/aws-account-id=\d{12}\/aws-service=vpcflowlogs\/aws-region=[a-z0-9-]+\/year=\d{4}\/month=\d{2}\/day=\d{2}\//;
/** Any other AWS service's log layout (CloudTrail, elasticloadbalancing, ...), plain or Hive-compatible. */
const AWS_OTHER = /(?:^|\/)AWSLogs\/(?:\d{12}|aws-account-id=\d{12})\/(?:aws-service=)?([A-Za-z0-9_-]+)\//;
/** Firehose's object name under a `YYYY/MM/DD/HH/` prefix: `<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<id>`. */
const FIREHOSE_OBJECT =
  /\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[^/]+-\d+-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-Za-z-]+(?:\.gz)?$/;

function formatFromName(key: string): ObjectFormat | undefined {
  if (/\.parquet$/i.test(key)) return 'parquet';
  if (/\.log(?:\.gz)?$/i.test(key)) return 'text';
  return undefined;
}

/** The S3 key of an `s3://` URI, or undefined for a file path. */
export function keyOfUri(uri: string): string | undefined {
  const match = /^s3:\/\/[^/]+\/(.+)$/.exec(uri);
  return match?.[1];
}

/**
 * What an object's key (or a local path laid out like one) says it holds. The AWS layouts are
 * recognised anywhere in the key, so they hold under any prefix and in a synced local copy;
 * configured prefixes apply to S3 keys only.
 */
export function routeFromKey(key: string, prefixes?: SourcePrefixes, isS3Key = true): KeyRoute | undefined {
  const path = key.replace(/\\/g, '/');
  if (FLOW_PLAIN.test(path)) return { kind: 'flow', format: formatFromName(path), layout: 'vpcflowlogs' };
  if (FLOW_HIVE.test(path)) return { kind: 'flow', format: formatFromName(path), layout: 'vpcflowlogs-hive' };
  const other = AWS_OTHER.exec(path);
  if (other?.[1] && other[1] !== 'vpcflowlogs') return { layout: 'aws-other', service: other[1] };
  if (!isS3Key) return undefined;
  // The longer prefix wins when one contains the other (infra refuses that in one bucket; two buckets
  // may), and audit wins a tie: the key proposes, the content decides.
  const candidates = [
    ...(prefixes?.audit ?? []).map((prefix) => ({ kind: 'audit' as const, prefix })),
    ...(prefixes?.flow ?? []).map((prefix) => ({ kind: 'flow' as const, prefix })),
  ]
    .filter((c) => path.startsWith(c.prefix))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const match = candidates[0];
  if (!match) return undefined;
  if (match.kind === 'audit') return { kind: 'audit', layout: FIREHOSE_OBJECT.test(path) ? 'firehose' : 'prefix' };
  return { kind: 'flow', format: formatFromName(path), layout: 'prefix' };
}

/** A CloudWatch Logs envelope, or a Kubernetes-style object (every audit event has `kind`). */
const AUDIT_MARKERS = [/^\{\s*"messageType"\s*:/, /"kind"\s*:/, /"apiVersion"\s*:\s*"audit\.k8s\.io\//];
const EXPORT_TASK_LINE = /^\d{4}-\d{2}-\d{2}T[0-9:.]+Z? \{/;

/**
 * What the first decompressed text of an object says it is. Audit content must show an audit
 * marker (a CloudWatch Logs envelope, a `kind` key or an `audit.k8s.io` apiVersion); flow
 * text must start with a header of flow-log field names, a line in the default format, or a line
 * with as many fields as the configured format. Anything else is unknown: any JSON is not an
 * audit log.
 */
export function kindFromContent(head: string, options: { flowFormat?: readonly string[] } = {}): LogKind | 'unknown' {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  const firstLine = (text.split('\n', 1)[0] ?? '').trim();
  const words = firstLine.split(/[ \t]+/);
  // Any `ecs-` name counts: a header is flow-shaped even when a newer ECS field is in it.
  const known = words.filter((w) => isKnownFlowField(w) || w.startsWith('ecs-')).length;
  if (known > 0 && known === words.length) return 'flow';
  if (/^\d+\s+(?:\d{12}|unknown|-)\s+(?:eni-|-)/.test(firstLine)) return 'flow';
  if (text.startsWith('{') || text.startsWith('[') || EXPORT_TASK_LINE.test(firstLine)) {
    const sample = text.slice(0, 64 * 1024);
    return AUDIT_MARKERS.some((marker) => marker.test(sample)) ? 'audit' : 'unknown';
  }
  const format = options.flowFormat;
  if (format && format.length > 1 && words.length === format.length && !/[{}"]/.test(firstLine)) return 'flow';
  return 'unknown';
}

const SNIFF_BYTES = 64 * 1024;
const PARQUET_MAGIC = 'PAR1';

/** The first kilobytes of an object, raw and decompressed. */
async function readHead(source: ObjectSource): Promise<{ raw: Buffer; text: string }> {
  const stats = newReadStats();
  const raw: Buffer[] = [];
  let rawLength = 0;
  let text = '';
  const bytes = await source.open({ headBytes: SNIFF_BYTES });
  // Tap the raw stream: Parquet is recognised by its first bytes, before any decompression.
  const tapped = (async function* () {
    for await (const chunk of bytes) {
      if (rawLength < 8) {
        raw.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        rawLength += chunk.byteLength;
      }
      yield chunk;
    }
  })();
  try {
    for await (const chunk of decompressed(tapped, stats, source.uri, source.signal)) {
      if (rawLength >= 4 && Buffer.concat(raw).toString('latin1', 0, 4) === PARQUET_MAGIC) break;
      text += chunk.toString('utf8', 0, Math.min(chunk.length, SNIFF_BYTES - text.length));
      if (text.length >= 16 * 1024) break;
    }
  } catch (error) {
    if (error instanceof ReaderError) throw error;
  }
  return { raw: Buffer.concat(raw), text };
}

/** What an object is, decided from its key and confirmed by its content. */
export type ObjectIdentity =
  | {
      kind: LogKind;
      format: ObjectFormat;
      /** What the key said, when it said anything. */
      route?: KeyRoute;
      /** The key named the other kind; the object was read as its content says. */
      mismatch?: boolean;
    }
  | {
      kind: 'unknown';
      route?: KeyRoute;
      detail: string;
      /** The object has no bytes: nothing to read and nothing wrong with it. */
      empty?: boolean;
    };

/**
 * Decides what an object is: the key layout proposes (AWS Flow Logs layouts, Firehose, the
 * configured prefixes), the content confirms. Content that is neither log kind, and AWS logs of
 * other services, come back `unknown` with the reason; they are reported, never read as a guess.
 * When key and content name different kinds the content wins and `mismatch` says so.
 */
export async function identifyObject(
  source: ObjectSource,
  options: { prefixes?: SourcePrefixes; flowFormat?: readonly string[] } = {},
): Promise<ObjectIdentity> {
  const key = keyOfUri(source.uri);
  const route = routeFromKey(key ?? source.uri, options.prefixes, key !== undefined);
  if (route?.layout === 'aws-other') {
    return { kind: 'unknown', route, detail: `AWS ${route.service} logs are not read (only vpcflowlogs)` };
  }
  // The notification says the size: an empty object is not fetched (a ranged GET of it fails).
  if (source.size === 0) return { kind: 'unknown', route, detail: 'an empty object (0 bytes)', empty: true };
  const { raw, text } = await readHead(source);
  if (raw.toString('latin1', 0, 4) === PARQUET_MAGIC) {
    if (route?.kind === 'flow' || (await parquetHasFlowColumns(source))) {
      return { kind: 'flow', format: 'parquet', route, mismatch: route?.kind === 'audit' || undefined };
    }
    return { kind: 'unknown', route, detail: 'Parquet without VPC flow-log columns' };
  }
  const flowFormat = route?.kind === 'flow' || !route ? options.flowFormat : undefined;
  const kind = kindFromContent(text, { flowFormat });
  if (kind === 'unknown') {
    const empty = raw.length === 0;
    const what = empty ? 'an empty object' : 'neither an audit log nor a flow log';
    return {
      kind: 'unknown',
      route,
      detail: route?.kind ? `${what} (the key says ${route.kind})` : what,
      ...(empty ? { empty } : {}),
    };
  }
  return { kind, format: 'text', route, mismatch: (route?.kind && route.kind !== kind) || undefined };
}

/** Whether a Parquet object's footer names flow-log columns; reads only its last kilobytes. */
async function parquetHasFlowColumns(source: ObjectSource): Promise<boolean> {
  const access = randomAccess(source);
  if (!access || access.size < 12) return false;
  const tail = Buffer.from(await access.read(Math.max(0, access.size - SNIFF_BYTES), access.size));
  return tail.includes('srcaddr') && tail.includes('dstaddr');
}

/** The object as a {@link RandomAccessObject}, or undefined when the source cannot seek. */
export function randomAccess(source: ObjectSource): RandomAccessObject | undefined {
  const { size, readRange } = source;
  if (size === undefined || !readRange) return undefined;
  return { uri: source.uri, size, read: (start, end) => readRange.call(source, start, end) };
}

/** What takes a flow object's records: text lines as the reader parsed them, Parquet rows as records. */
export interface FlowSink {
  add(record: FlowRecord): void;
  addLine(line: FlowLine): void;
}

/**
 * Reads a flow-log object in its format: text streamed line by line, Parquet by ranged reads,
 * one row group at a time.
 */
export async function readFlowSource(
  source: ObjectSource,
  format: ObjectFormat,
  options: Omit<FlowReadOptions, 'uri'>,
  sink: FlowSink,
): Promise<void> {
  if (format === 'text') {
    await readFlowLines(await source.open(), { ...options, uri: source.uri, signal: source.signal }, (line) =>
      sink.addLine(line),
    );
    return;
  }
  const access = randomAccess(source);
  if (!access) throw new ReaderError(`${source.uri} is Parquet, but its source cannot read byte ranges`);
  await readFlowParquet(access, { stats: options.stats }, (record) => sink.add(record));
}
