import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type DeadlineOptions, InvocationDeadline, processObjectRecord, smallestFirst } from '../shared/aws';
import type { LogKind } from '../shared/ingest';
import type { Runtime } from './runtime';

/**
 * The SQS handler both processors share: each record is one S3 notification, processed on its
 * own, and only failed records are retried (partial batch response). The invocation's deadline
 * fails a record that cannot finish before the Lambda timeout, instead of losing the batch's
 * response to the timeout.
 */
export function objectHandler(kind: LogKind, runtime: Runtime, options: { deadline?: DeadlineOptions } = {}) {
  const processor = new BatchProcessor(EventType.SQS);
  const { logger, metrics, s3, maxReceiveCount, deadLetters } = runtime;
  return middy(async function processObjects(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const deadline = new InvocationDeadline(() => context.getRemainingTimeInMillis(), options.deadline);
    try {
      const engine = await runtime.engine();
      const recordHandler = async function processRecord(record: SQSRecord) {
        await processObjectRecord(record, {
          engine,
          s3,
          kind,
          logger,
          metrics,
          deadline,
          maxReceiveCount,
          deadLetters,
        });
      };
      // One object at a time: a flow object can be 75 MB gzipped, and the memory setting is sized
      // for one (docs/PERFORMANCE.md). Records still fail or succeed one by one, the smallest first.
      const ordered = { ...event, Records: smallestFirst(event.Records) };
      return await processPartialResponse(ordered, recordHandler, processor, { context, processInParallel: false });
    } finally {
      deadline.dispose();
    }
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}
