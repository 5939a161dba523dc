import { decompressed } from './decompress';
import { normalizeAuditEvent } from './normalize-audit';
import { type ReadStats, reject, skip } from './stats';
import { JsonDocumentScanner, LineSplitter, TokenDocumentSplitter, textChunks, Utf8Health } from './text';
import type { AuditEvent, Origin } from './types';

export interface AuditReadOptions {
  /** The object's S3 URI or file path, for origins and error reports. */
  uri: string;
  /** Counters to fill. */
  stats: ReadStats;
  /** Cluster name for deliveries that do not carry one (everything but CloudWatch Logs data). */
  cluster: string;
  /** Stops reading: the next chunk throws a ReaderError. */
  signal?: AbortSignal;
  /**
   * Bound on one line or document. A CloudWatch Logs envelope holds up to about 1 MB of log
   * events, and more once its messages are escaped, so the bound is generous.
   * @default 16 MiB
   */
  maxRecordChars?: number;
}

/** The options plus what the reader learns about the object as it goes. */
interface ReadContext extends AuditReadOptions {
  utf8: Utf8Health;
}

/** How the object's text is laid out, decided from its first bytes. */
type Layout = 'cloudwatch' | 'lines' | 'export-task' | 'documents' | 'unrecognized';

/** `2024-05-01T10:00:00.000Z {"kind":"Event",...}`: a CloudWatch Logs export-task line. */
const EXPORT_TASK_LINE = /^\d{4}-\d{2}-\d{2}T[0-9:.]+Z? \{/;
const TRUNCATED_MARKER = '[Truncated...]';
const SNIFF_CHARS = 4 * 1024 * 1024;
/** CloudWatch Logs subscription data always starts with this key. */
const CLOUDWATCH_TOKEN = '{"messageType"';
export const MAX_AUDIT_RECORD_CHARS = 16 * 1024 * 1024;
/** EKS names its control-plane log group /aws/eks/<cluster>/cluster. */
const EKS_LOG_GROUP = /^\/aws\/eks\/([^/]+)\/cluster$/;

/**
 * Reads Kubernetes audit events from one object in any delivery format: Firehose CloudWatch Logs
 * data (gzip, concatenated or newline-delimited, gzipped twice), CloudWatch export-task lines,
 * JSON Lines, or a single event (pretty-printed or not). Streams the object; never throws for
 * bad content, which is counted in `stats` with its location.
 */
export async function readAuditObject(
  source: AsyncIterable<Uint8Array>,
  options: AuditReadOptions,
  onEvent: (event: AuditEvent) => void,
): Promise<void> {
  const { uri, stats } = options;
  const maxChars = options.maxRecordChars ?? MAX_AUDIT_RECORD_CHARS;
  stats.objects++;
  const utf8 = new Utf8Health();
  const context: ReadContext = { ...options, utf8 };
  const handle = (value: unknown, origin: Origin) => handleDocument(value, origin, context, onEvent);
  const parse = (text: string, origin: Origin) => {
    // A CloudWatch envelope is checked message by message, so one damaged message costs only itself.
    if (layout !== 'cloudwatch' && utf8.damages(text)) {
      reject(stats, 'invalid-utf8', origin, 'bytes that are not UTF-8');
      return;
    }
    parseAndHandle(text, origin, stats, handle);
  };

  let layout: Layout | undefined;
  let head = '';
  let pushText: ((text: string) => void) | undefined;
  let finish: (() => void) | undefined;

  const start = (sniffed: Layout) => {
    layout = sniffed;
    if (sniffed === 'cloudwatch') {
      const splitter = new TokenDocumentSplitter(
        CLOUDWATCH_TOKEN,
        {
          document: (text, line, index) => parse(text, { uri, line, document: index }),
          junk: (line, detail) => reject(stats, 'malformed-json', { uri, line }, detail),
          oversized: (line, length) => oversized(stats, { uri, line }, length, maxChars),
        },
        maxChars,
      );
      pushText = (text) => splitter.push(text);
      finish = () => splitter.end();
    } else if (sniffed === 'documents') {
      const scanner = new JsonDocumentScanner(
        {
          document: (text, line) => parse(text, { uri, line }),
          junk: (line, detail) => reject(stats, 'malformed-json', { uri, line }, detail),
          oversized: (line, length) => oversized(stats, { uri, line }, length, maxChars),
          unterminated: (line, length) =>
            reject(stats, 'truncated-object', { uri, line }, `document of ${length} characters never closed`),
        },
        maxChars,
      );
      pushText = (text) => scanner.push(text);
      finish = () => scanner.end();
    } else if (sniffed === 'lines' || sniffed === 'export-task') {
      const exportTask = sniffed === 'export-task';
      const splitter = new LineSplitter(
        {
          line: (chunk, start, end, line) => {
            let json: string;
            if (exportTask) {
              const space = chunk.indexOf(' ', start);
              json = space === -1 || space >= end ? '' : chunk.slice(space + 1, end);
            } else {
              json = chunk.slice(start, end);
            }
            if (json.trim() === '') return;
            parse(json, { uri, line });
          },
          oversized: (line, length) =>
            reject(stats, 'oversized-record', { uri, line }, `line of ${length} characters (limit ${maxChars})`),
        },
        maxChars,
      );
      pushText = (text) => splitter.push(text);
      finish = () => splitter.end();
    } else {
      reject(stats, 'unrecognized-content', { uri, line: 1 }, 'neither JSON nor CloudWatch export lines');
      pushText = () => {};
      finish = () => {};
    }
    pushText(head);
    head = '';
  };

  for await (const text of textChunks(decompressed(source, stats, uri, options.signal), utf8)) {
    if (layout) {
      pushText?.(text);
      continue;
    }
    head += text;
    const sniffed = sniffLayout(head, false);
    if (sniffed) start(sniffed);
  }
  if (!layout) start(sniffLayout(head, true) ?? 'unrecognized');
  finish?.();
}

/** A document cut off at the bound: how far it was read is all that is known of its length. */
function oversized(stats: ReadStats, where: Origin, length: number, maxChars: number): void {
  reject(stats, 'oversized-record', where, `document over ${maxChars} characters (skipped after ${length})`);
}

/** Decides the layout from the head of the text, or returns undefined when more text is needed. */
function sniffLayout(head: string, atEnd: boolean): Layout | undefined {
  const text = head
    .slice(0, 64 * 1024)
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text.startsWith(CLOUDWATCH_TOKEN)) return 'cloudwatch';
  if (text.length === 0) return atEnd ? 'lines' : undefined;
  const newline = text.indexOf('\n');
  if (newline === -1 && !atEnd && head.length < SNIFF_CHARS) return undefined;
  if (EXPORT_TASK_LINE.test(text.slice(0, 64))) return 'export-task';
  const first = text[0];
  if (first !== '{' && first !== '[') return 'unrecognized';
  // JSON Lines when one of the first complete lines is a JSON object on its own; a pretty-printed
  // document has no such line. Looking past the first line keeps one bad first line from
  // switching a JSON Lines file to the document scanner.
  const lines = text.split('\n', 4);
  if (!atEnd && lines.length < 4) lines.pop();
  for (const line of lines) {
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return 'lines';
    } catch {
      // not a whole document on one line
    }
  }
  return 'documents';
}

function parseAndHandle(
  text: string,
  origin: Origin,
  stats: ReadStats,
  handle: (value: unknown, origin: Origin) => void,
): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    reject(stats, 'malformed-json', origin, jsonErrorDetail(error));
    return;
  }
  handle(value, origin);
}

function handleDocument(
  value: unknown,
  origin: Origin,
  options: ReadContext,
  onEvent: (event: AuditEvent) => void,
): void {
  const { stats } = options;
  if (!isObject(value)) {
    skip(stats, 'non-object-json');
    return;
  }
  if (typeof value.messageType === 'string') {
    handleCloudWatchData(value, origin, options, onEvent);
    return;
  }
  if (value.kind === 'EventList' && Array.isArray(value.items)) {
    for (const [index, item] of value.items.entries()) {
      handleEvent(item, { ...origin, record: index }, options, onEvent);
    }
    return;
  }
  handleEvent(value, origin, options, onEvent);
}

function handleCloudWatchData(
  envelope: Record<string, unknown>,
  origin: Origin,
  options: ReadContext,
  onEvent: (event: AuditEvent) => void,
): void {
  const { stats, utf8 } = options;
  if (envelope.messageType !== 'DATA_MESSAGE') {
    skip(stats, String(envelope.messageType).toLowerCase().replace(/_/g, '-').slice(0, 40));
    return;
  }
  const logEvents = envelope.logEvents;
  if (!Array.isArray(logEvents)) {
    reject(stats, 'invalid-event', origin, 'DATA_MESSAGE without logEvents');
    return;
  }
  const group = typeof envelope.logGroup === 'string' ? EKS_LOG_GROUP.exec(envelope.logGroup) : null;
  const clusterOptions = group?.[1] ? { ...options, cluster: group[1] } : options;
  for (let i = 0; i < logEvents.length; i++) {
    const where = { ...origin, record: i };
    const message = isObject(logEvents[i]) ? (logEvents[i] as Record<string, unknown>).message : undefined;
    if (typeof message !== 'string') {
      reject(stats, 'invalid-event', where, 'log event without a message');
      continue;
    }
    if (message.endsWith(TRUNCATED_MARKER)) {
      reject(stats, 'truncated-message', where, 'CloudWatch Logs truncated this message');
      continue;
    }
    if (utf8.damages(message)) {
      reject(stats, 'invalid-utf8', where, 'bytes that are not UTF-8');
      continue;
    }
    let event: unknown;
    try {
      event = JSON.parse(message);
    } catch (error) {
      reject(stats, 'malformed-json', where, jsonErrorDetail(error));
      continue;
    }
    handleEvent(event, where, clusterOptions, onEvent);
  }
}

function handleEvent(value: unknown, origin: Origin, options: ReadContext, onEvent: (event: AuditEvent) => void): void {
  const { stats } = options;
  if (!isObject(value) || value.kind !== 'Event') {
    skip(stats, 'not-an-audit-event');
    return;
  }
  const result = normalizeAuditEvent(value, options.cluster, origin);
  if (typeof result === 'string') {
    reject(stats, 'invalid-event', origin, result);
    return;
  }
  if (result.stage === 'RequestReceived') {
    // The same request is logged again once answered; the later stage has the response.
    skip(stats, 'request-received-stage');
    return;
  }
  stats.events++;
  onEvent(result);
}

/**
 * The parser's complaint without the text it quotes: V8 puts a snippet of the input in its
 * messages, and the input may hold a secret.
 */
function jsonErrorDetail(error: unknown): string {
  const position = /position (\d+)/.exec((error as Error).message ?? '');
  return position ? `invalid JSON at character ${position[1]}` : 'invalid JSON';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
