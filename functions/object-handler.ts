import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { processObjectRecord } from '../shared/aws';
import type { LogKind } from '../shared/ingest';
import type { Runtime } from './runtime';

/**
 * The SQS handler both processors share: each record is one S3 notification, processed on its
 * own, and only failed records are retried (partial batch response).
 */
export function objectHandler(kind: LogKind, runtime: Runtime) {
  const processor = new BatchProcessor(EventType.SQS);
  const { logger, metrics, s3 } = runtime;
  return middy(async function processObjects(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const engine = await runtime.engine();
    const recordHandler = async function processRecord(record: SQSRecord) {
      await processObjectRecord(record, { engine, s3, kind, logger, metrics });
    };
    // One object at a time: a flow object can be 75 MB gzipped, and the memory setting is sized
    // for one (docs/PERFORMANCE.md). Records still fail or succeed one by one.
    return processPartialResponse(event, recordHandler, processor, { context, processInParallel: false });
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}
