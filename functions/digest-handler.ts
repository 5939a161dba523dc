import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { scheduleTime } from '../shared/aws';
import { DailyDigest, type DigestReport } from '../shared/engine';
import type { Runtime } from './runtime';

/**
 * EventBridge schedule → the daily digest of the UTC day before the scheduled time. The scheduled
 * time names the day, so a retry of the run (or a second delivery of its event) sends nothing new.
 */
export function digestHandler(runtime: Runtime, clock: () => number = Date.now) {
  const { logger, metrics } = runtime;
  const depths = runtime.deadLetterDepths;
  const digest = new DailyDigest({
    config: runtime.config,
    table: runtime.table,
    incidents: runtime.incidents,
    sink: runtime.messages,
    ...(depths ? { deadLetters: () => depths.read() } : {}),
    clock,
  });
  return middy(async function sendDigest(event: ScheduledEvent): Promise<DigestReport> {
    const scheduled = scheduleTime(event);
    if (scheduled === undefined) logger.warn('no schedule time in the event: the digest covers the day before now');
    const report = await digest.send(scheduled ?? clock());
    metrics.addMetric('DigestsPublished', 'Count', report.published);
    logger.info('digest done', { ...report });
    return report;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
