import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import type { ItemReport, RebaselinePlan, WorkItem } from '../shared/baseline';
import type { EngineRebaselinePlan, EngineRebaselineReport } from '../shared/engine';
import { iso } from '../shared/util';
import type { Runtime } from './runtime';

/**
 * The rebaseline's three steps, one function each, as its state machine (infra/rebaseline-workflow.ts)
 * runs them: Plan, then Item once per work item (in parallel), then Finish. Each is a thin wrapper
 * over one engine method; the CLI calls the same three in process through `Engine.rebaseline`.
 */

/** Step Functions caps an execution's state at 256 KB; the plan and the items' reports share it. */
const STATE_LIMIT_BYTES = 256 * 1024;

/** The state machine's input: the schedule's time. Absent (a manual start with `{}`), the run is named by the clock. */
const PlanEvent = z.object({ time: z.iso.datetime().optional() }).loose();

/** One iteration of the state machine's map: the plan's name and time, and one of its items. */
export interface WorkItemEvent {
  run: string;
  now: number;
  scopes: string[];
  item: WorkItem;
}

/**
 * What planning decided of the edges that waited for the audit log: counts only. Their findings
 * went to SNS from Plan; the execution's state carries no finding (its size is capped, and its
 * history is shown to whoever may read the state machine).
 */
interface LateEdges {
  decided: number;
  /** Groups of waiting edges that failed to be decided (Plan logs which). */
  failed: number;
  findings: number;
  messages: number;
}

/** Plan's output, the execution's state: the plan without findings, and the late edges' counts. */
type PlannedRun = RebaselinePlan & { late: LateEdges };

/** Finish's input: the plan, what Plan decided of the late edges, and the map's results in the order of its items. */
interface FinishEvent {
  plan: RebaselinePlan;
  late: LateEdges;
  reports: ItemReport[];
}

/** What Finish returns to the execution: the engine's report with findings and messages counted, not copied. */
type RebaselineSummary = Omit<EngineRebaselineReport, 'findings' | 'messages' | 'waiting'> & {
  waiting: { decided: number; failed: number };
  findings: number;
  messages: number;
};

/** Schedule (`{ time }`) → the run's work items. Decides the edges that waited for the audit log first. */
export function rebaselinePlanHandler(runtime: Runtime, clock: () => number = Date.now) {
  const { logger, metrics } = runtime;
  return middy(async function planRebaseline(event: unknown): Promise<PlannedRun> {
    const now = clock();
    const parsed = PlanEvent.safeParse(event ?? {});
    if (!parsed.success) throw new Error(`rebaseline plan: the input's "time" must be an ISO date-time`);
    // The scheduled time names the run: a retry of it delivers its findings exactly once.
    const planned = await (await runtime.engine()).planRebaseline(now, parsed.data.time ?? iso(now));
    const plan = withoutFindings(planned);
    if (planned.waiting?.failed.length) {
      logger.warn('waiting edges not decided', { run: plan.run, failed: planned.waiting.failed });
    }
    const bytes = Buffer.byteLength(JSON.stringify(plan));
    metrics.addMetric('RebaselineWorkItems', 'Count', plan.items.length);
    metrics.addMetric('RebaselinePlanBytes', 'Bytes', bytes);
    const summary = { run: plan.run, items: plan.items.length, scopes: plan.scopes.length, bytes, late: plan.late };
    // Each item's report about doubles what the plan takes of the execution's state: warn at three quarters.
    if (bytes * 3 > STATE_LIMIT_BYTES * 0.75) {
      logger.warn('rebaseline plan near the state limit: the execution fails past about 700 work items', summary);
    } else {
      logger.info('rebaseline planned', summary);
    }
    return plan;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

/** One work item → folded into the baselines. Idempotent: the state machine retries it on any error. */
export function rebaselineItemHandler(runtime: Runtime) {
  const { logger, metrics } = runtime;
  return middy(async function foldWorkItem(event: WorkItemEvent): Promise<ItemReport> {
    const plan: RebaselinePlan = { run: event.run, now: event.now, scopes: event.scopes, items: [event.item] };
    const report = await (await runtime.engine()).runWorkItem(plan, event.item);
    metrics.addDimension('ItemType', event.item.type);
    metrics.addMetric('RebaselineItemRows', 'Count', report.rowsRead);
    metrics.addMetric('RebaselineItemEntriesWritten', 'Count', report.entriesWritten);
    metrics.addMetric('RebaselineItemEdgesUpdated', 'Count', report.edgesUpdated);
    metrics.addMetric('RebaselineItemReadUnits', 'Count', report.readUnits);
    metrics.addMetric('RebaselineItemWriteUnits', 'Count', report.writeUnits);
    metrics.addMetric('RebaselineItemDuration', 'Milliseconds', report.durationMs);
    logger.info('work item folded', { run: event.run, ...report });
    return report;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

/** The plan and every item's report → days marked folded, entries pruned, the run's findings delivered. */
export function rebaselineFinishHandler(runtime: Runtime) {
  const { logger, metrics } = runtime;
  return middy(async function finishRebaseline(event: FinishEvent): Promise<RebaselineSummary> {
    const { plan, late, reports } = event;
    const report = await (await runtime.engine()).finishRebaseline(plan, reports);
    metrics.addMetric('BaselineDaysFolded', 'Count', report.daysFolded);
    metrics.addMetric('BaselineEntriesWritten', 'Count', report.entriesWritten);
    metrics.addMetric('BaselineEntriesPruned', 'Count', report.entriesPruned);
    // Counts only: the findings and messages went to SNS, and stay out of the logs and the execution's state.
    const { findings, messages, waiting: _none, ...rest } = report;
    const summary = {
      ...rest,
      waiting: { decided: late.decided, failed: late.failed },
      findings: late.findings + (findings?.length ?? 0),
      messages: late.messages + (messages?.length ?? 0),
    };
    logger.info('rebaseline done', summary);
    return summary;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

/** The plan as the execution carries it: the late edges' findings and messages counted, their failures too. */
function withoutFindings(planned: EngineRebaselinePlan): PlannedRun {
  const { run, now, items, scopes, waiting, findings, messages } = planned;
  return {
    run,
    now,
    items,
    scopes,
    late: {
      decided: waiting?.decided ?? 0,
      failed: waiting?.failed.length ?? 0,
      findings: findings?.length ?? 0,
      messages: messages?.length ?? 0,
    },
  };
}
