import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import type { Engine, ObjectOutcome } from '../engine';
import type { LogKind } from '../ingest';
import { totalRejected } from '../ingest';
import { objectsFromNotification } from './s3-events';
import { s3ObjectSource } from './s3-source';

/** The slice of Powertools Logger this code needs. */
export interface LoggerLike {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
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
}

/**
 * Processes the S3 objects one SQS record announces. Bad content inside an object is counted and
 * reported, never thrown; an object that cannot be read at all throws, which fails only this
 * record (partial batch response) so SQS retries it and then moves it to the DLQ.
 */
export async function processObjectRecord(record: SQSRecord, deps: RecordDeps): Promise<ObjectOutcome[]> {
  const outcomes: ObjectOutcome[] = [];
  for (const ref of objectsFromNotification(record.body)) {
    const started = Date.now();
    const outcome = await deps.engine.process(s3ObjectSource(deps.s3, ref, deps.kind));
    report(outcome, Date.now() - started, deps);
    outcomes.push(outcome);
  }
  return outcomes;
}

function report(outcome: ObjectOutcome, elapsedMs: number, deps: RecordDeps): void {
  const { logger, metrics } = deps;
  const { stats } = outcome;
  if (outcome.skipped) {
    metrics.addMetric(
      outcome.skipped === 'already-processed' ? 'ObjectsAlreadyProcessed' : 'ObjectsUnrecognized',
      'Count',
      1,
    );
  } else {
    metrics.addMetric('ObjectsProcessed', 'Count', 1);
  }
  const identity = outcome.identity;
  if (identity?.kind === 'unknown') {
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
  metrics.addMetric('FindingsPublished', 'Count', outcome.findings.length);
  metrics.addMetric('FindingsSuppressed', 'Count', outcome.suppressed);
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
