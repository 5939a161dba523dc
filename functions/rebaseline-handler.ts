import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import type { EngineRebaselineReport } from '../shared/engine';
import type { Runtime } from './runtime';

/** EventBridge schedule → fold observations into baselines and prune expired entries. */
export function rebaselineHandler(runtime: Runtime, clock: () => number = Date.now) {
  const { logger, metrics } = runtime;
  return middy(async function rebaselineAll(event: ScheduledEvent): Promise<EngineRebaselineReport> {
    const engine = await runtime.engine();
    // The scheduled time names the run: a retry of it delivers its findings exactly once.
    const report = await engine.rebaseline(clock(), event?.time);
    metrics.addMetric('BaselineDaysFolded', 'Count', report.daysFolded);
    metrics.addMetric('BaselineEntriesWritten', 'Count', report.entriesWritten);
    metrics.addMetric('BaselineEntriesPruned', 'Count', report.entriesPruned);
    // Counts only: the findings and messages went to SNS, and stay out of the logs.
    const { findings, messages, ...rest } = report;
    logger.info('rebaseline done', { ...rest, findings: findings?.length ?? 0, messages: messages?.length ?? 0 });
    return report;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
