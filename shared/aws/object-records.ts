import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import { DegradedNotice } from '../detect';
import type { Engine, ObjectOutcome } from '../engine';
import type { LogKind } from '../ingest';
import { ReaderError, totalRejected } from '../ingest';
import type { DeadLetterQueue } from './dead-letters';
import { DeadlineError, type InvocationDeadline } from './deadline';
import { EventFormatError, objectsFromNotification } from './s3-events';
import { s3ObjectSource } from './s3-source';

/** The slice of Powertools Logger this code needs. */
export interface LoggerLike {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** The slice of Powertools Metrics this code needs. */
export interface MetricsLike {
  addMetric(name: string, unit: 'Count' | 'Bytes' | 'Milliseconds', value: number): void;
}

export interface RecordDeps {
  engine: Engine;
  s3: S3Client;
  kind: LogKind;
  logger: LoggerLike;
  metrics: MetricsLike;
  /** The invocation's time left: records are not started, and reading stops, before its timeout. */
  deadline?: InvocationDeadline;
  /**
   * The queue's `maxReceiveCount`: a record that fails on that receive goes to the DLQ.
   * @default 3
   */
  maxReceiveCount?: number;
  /**
   * The ingestion queue's DLQ: a record failing on its last receive is sent there with its reason
   * and then succeeds. Without it, or when the send fails, the record fails and the redrive moves it.
   * @default - none: the redrive policy moves the message, without its reason
   */
  deadLetters?: DeadLetterQueue;
}

/** Why a record failed, as a metric dimension and a log field. */
type FailureReason = 'deadline' | 'not-started' | 'not-a-notification' | 'unreadable-object' | 'error';

/**
 * Processes the S3 objects one SQS record announces. Bad content inside an object is counted and
 * reported, never thrown; an object that cannot be read at all, or not before the invocation's
 * deadline, throws, which fails only this record (partial batch response) so SQS retries it. On
 * the last receive (`maxReceiveCount`) the record is sent to the DLQ with its reason and succeeds,
 * so SQS deletes it from the source queue; if that send fails, the record fails and the redrive
 * policy moves it, without the reason. Each failure is logged with its reason.
 */
export async function processObjectRecord(record: SQSRecord, deps: RecordDeps): Promise<ObjectOutcome[]> {
  const outcomes: ObjectOutcome[] = [];
  try {
    deps.deadline?.checkStart();
    for (const ref of objectsFromNotification(record.body)) {
      deps.deadline?.signal.throwIfAborted();
      const started = Date.now();
      const outcome = await deps.engine.process(s3ObjectSource(deps.s3, ref, deps.kind, deps.deadline?.signal));
      report(outcome, Date.now() - started, deps);
      outcomes.push(outcome);
    }
  } catch (error) {
    const failure = reportFailure(record, error, deps);
    if (!(failure.last && (await sentToDeadLetters(record, failure, deps)))) throw error;
  }
  return outcomes;
}

/**
 * The batch's records, those announcing the fewest bytes first (a record that is not a
 * notification counts as none: it fails at once). An object too large to finish before the
 * deadline then comes last, and the records before it are done, not failed with it.
 */
export function smallestFirst(records: readonly SQSRecord[]): SQSRecord[] {
  const bytes = new Map(records.map((record) => [record, announcedBytes(record)]));
  return [...records].sort((a, b) => (bytes.get(a) ?? 0) - (bytes.get(b) ?? 0));
}

function announcedBytes(record: SQSRecord): number {
  try {
    return objectsFromNotification(record.body).reduce((sum, ref) => sum + (ref.size ?? 0), 0);
  } catch {
    return 0;
  }
}

function failureReason(error: unknown): FailureReason {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof DeadlineError) return cause.started ? 'deadline' : 'not-started';
  }
  if (error instanceof EventFormatError) return 'not-a-notification';
  if (error instanceof ReaderError) return 'unreadable-object';
  return 'error';
}

interface Failure {
  messageId: string;
  reason: FailureReason;
  error: string;
  receiveCount: number;
  maxReceiveCount: number;
  /** The queue's last receive: the record goes to the DLQ. */
  last: boolean;
}

function reportFailure(record: SQSRecord, error: unknown, deps: RecordDeps): Failure {
  const reason = failureReason(error);
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 1);
  const maxReceiveCount = deps.maxReceiveCount ?? 3;
  const last = receiveCount >= maxReceiveCount;
  deps.metrics.addMetric(`RecordsFailed.${reason}`, 'Count', 1);
  if (last) deps.metrics.addMetric('RecordsDeadLettered', 'Count', 1);
  const details = {
    messageId: record.messageId,
    reason,
    error: error instanceof Error ? error.message : String(error),
    receiveCount,
    maxReceiveCount,
  };
  if (last && !deps.deadLetters) {
    deps.logger.error(`record failed on its last receive; SQS moves it to the dead-letter queue (${reason})`, details);
  } else if (last) {
    // Logged by sentToDeadLetters, once it knows whether the DLQ took the record.
  } else if (reason === 'not-started') {
    deps.logger.warn('record not started before the deadline; SQS delivers it again', details);
  } else {
    deps.logger.error(`record failed; SQS delivers it again (${reason})`, details);
  }
  return { ...details, last };
}

/**
 * Sends a record that failed on its last receive to the DLQ with its reason. True when the DLQ
 * took it: the record then succeeds and SQS deletes it from the source queue. False when there is
 * no DLQ to send to or the send failed: the record fails and the redrive policy moves it.
 */
async function sentToDeadLetters(record: SQSRecord, failure: Failure, deps: RecordDeps): Promise<boolean> {
  if (!deps.deadLetters) return false;
  const { last: _, ...details } = failure;
  try {
    const deadLetterMessageId = await deps.deadLetters.send(record, failure);
    deps.logger.error(
      `record failed on its last receive; sent to the dead-letter queue with its reason (${failure.reason})`,
      { ...details, deadLetterMessageId },
    );
    return true;
  } catch (sendError) {
    deps.metrics.addMetric('DeadLetterSendsFailed', 'Count', 1);
    deps.logger.error(
      `record failed on its last receive and the dead-letter queue did not take it; SQS moves it there without its reason (${failure.reason})`,
      {
        ...details,
        sendError: sendError instanceof Error ? `${sendError.name}: ${sendError.message}` : String(sendError),
      },
    );
    return false;
  }
}

const SKIPPED_METRICS = {
  'already-processed': 'ObjectsAlreadyProcessed',
  'unknown-kind': 'ObjectsUnrecognized',
  empty: 'ObjectsEmpty',
} as const;

/** Degraded detectors this container has logged: once each, not once per object. */
const DEGRADED = new DegradedNotice();

function report(outcome: ObjectOutcome, elapsedMs: number, deps: RecordDeps): void {
  const { logger, metrics } = deps;
  const { stats } = outcome;
  if (outcome.skipped) {
    metrics.addMetric(SKIPPED_METRICS[outcome.skipped], 'Count', 1);
  } else {
    metrics.addMetric('ObjectsProcessed', 'Count', 1);
  }
  const identity = outcome.identity;
  if (outcome.skipped === 'empty') {
    // Nothing to read and nothing wrong: S3 delivers empty objects (a touch, a failed upload).
  } else if (identity?.kind === 'unknown') {
    // Reported, not guessed at: one line per object, with its key and why.
    logger.warn('object of unknown kind not read', {
      uri: outcome.uri,
      reason: identity.detail,
      route: identity.route,
    });
  } else if (identity?.mismatch || (outcome.kind !== deps.kind && outcome.kind !== 'unknown')) {
    metrics.addMetric('ObjectsKindMismatch', 'Count', 1);
    logger.warn('object content does not match its key; read by content', {
      uri: outcome.uri,
      kind: outcome.kind,
      queue: deps.kind,
      route: identity?.route,
    });
  }
  if (identity && identity.kind !== 'unknown' && identity.format === 'parquet') {
    metrics.addMetric('ParquetObjects', 'Count', 1);
  }
  metrics.addMetric('EventsParsed', 'Count', stats.events);
  metrics.addMetric('BytesRead', 'Bytes', stats.bytesRead);
  metrics.addMetric('FindingsRecorded', 'Count', outcome.findings.length);
  metrics.addMetric('FindingsSuppressed', 'Count', outcome.suppressed);
  metrics.addMetric(
    'FindingsMuted',
    'Count',
    Object.values(outcome.muted).reduce((a, b) => a + b, 0),
  );
  metrics.addMetric('MessagesPublished', 'Count', outcome.messages.length);
  const rejected = totalRejected(stats);
  metrics.addMetric('RecordsRejected', 'Count', rejected);
  for (const [reason, n] of Object.entries(stats.rejected)) {
    metrics.addMetric(`RecordsRejected.${reason}`, 'Count', n ?? 0);
  }
  if (stats.logHealth.nodata) metrics.addMetric('FlowNoData', 'Count', stats.logHealth.nodata);
  if (stats.logHealth.skipdata) metrics.addMetric('FlowSkipData', 'Count', stats.logHealth.skipdata);
  if (rejected > 0) {
    logger.warn('records rejected', { uri: outcome.uri, rejected: stats.rejected, samples: stats.samples });
  }
  const degraded = DEGRADED.message(outcome.degraded);
  if (degraded) logger.warn(degraded, { uri: outcome.uri, degraded: outcome.degraded });
  logger.info('object processed', {
    uri: outcome.uri,
    kind: outcome.kind,
    skipped: outcome.skipped,
    events: stats.events,
    edges: outcome.edges,
    observations: outcome.observations,
    findings: outcome.findings.map((f) => ({ id: f.id, ruleId: f.ruleId, severity: f.severity })),
    suppressed: outcome.suppressed,
    elapsedMs,
  });
}
