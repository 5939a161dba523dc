import { BaselineStore, EdgeStatsStore } from '../../shared/baseline';
import type { Config } from '../../shared/config';
import type {
  AuditDetector,
  DetectContext,
  FlowDetector,
  FlowLogHealth,
  FlowLogSilence,
  HealthDetector,
  Located,
} from '../../shared/detect';
import { AUDIT_KINDS, enabledDetectors, FLOW_KINDS } from '../../shared/detect';
import type { Draft } from '../../shared/engine/draft';
import type { Evaluator, EventShape } from '../../shared/engine/evaluator';
import {
  AUDIT_SHAPE,
  auditEvaluators,
  type EvaluatorStores,
  flowEvaluators,
  flowShape,
  type HealthEvaluator,
} from '../../shared/engine/evaluators';
import { ObjectRun } from '../../shared/engine/object-run';
import { ObjectSessions } from '../../shared/engine/sessions';
import type { FlowEdge } from '../../shared/network';
import { FlowSources, HourlyEdgeStore, hourlyEdges } from '../../shared/network';
import { MemoryTable, ObjectLedger } from '../../shared/store';
import { HOUR_MS } from '../../shared/util';
import { foldEdgeStats } from '../support/edge-folds';

/**
 * Runs a detector's examples through the engine's own evaluators (the ones the Lambdas and the
 * CLI run), on an in-memory table: the evaluators of the detector's source, built by the same
 * factory the engine uses, with only this detector enabled. An object's events are seen, its
 * observations written, and each evaluator finishes, in the engine's order. The scope's learning
 * period is taken as over, as on a cluster that has run for weeks.
 */
export class ExampleRunner<E extends Located> {
  readonly table = new MemoryTable();
  readonly baselines = new BaselineStore({ table: this.table });
  private readonly stores: EvaluatorStores;
  private readonly evaluators: Evaluator<E>[];
  private readonly health?: HealthEvaluator;
  private objects = 0;

  constructor(
    readonly detector: AuditDetector | FlowDetector,
    readonly context: DetectContext,
    private readonly source: 'audit' | 'flow',
  ) {
    const config: Config = context.config;
    this.stores = {
      table: this.table,
      baselines: this.baselines,
      map: new HourlyEdgeStore(this.table),
      edgeStats: new EdgeStatsStore(this.table, { windowDays: config.network.stats.windowDays }),
      sources: new FlowSources(this.table),
    };
    if (source === 'audit') {
      const set = enabledDetectors([detector as AuditDetector], AUDIT_KINDS, config);
      this.evaluators = auditEvaluators(set, context, this.stores) as unknown as Evaluator<E>[];
    } else {
      const set = enabledDetectors([detector as FlowDetector], FLOW_KINDS, config);
      const flow = flowEvaluators(set, context, this.stores);
      this.evaluators = flow.evaluators as unknown as Evaluator<E>[];
      this.health = flow.health;
    }
  }

  private shape(): EventShape<E> {
    return (this.source === 'audit' ? AUDIT_SHAPE : flowShape(() => 'example')) as unknown as EventShape<E>;
  }

  private scopeOf(event: E): string {
    return this.shape().scope(event);
  }

  private newRun(): ObjectRun {
    this.objects++;
    return new ObjectRun(`example-object-${this.objects}`, `example://${this.objects}`, 'example', () => 0);
  }

  /**
   * One object holding `events`: the drafts the evaluators make of it. The scopes' learning period
   * began long before and is over, unless `learning` says it is still in progress.
   */
  async object(events: readonly E[], options: { learning?: 'over' | 'in progress' } = {}): Promise<Draft[]> {
    const run = this.newRun();
    // The engine's sessions, with no recorders; flow objects keep their edges, as in the engine.
    const sessions = new ObjectSessions(
      run,
      this.shape(),
      this.evaluators,
      [],
      this.context.config,
      this.source === 'flow',
    );
    for (const event of events) sessions.see(event);
    const end = options.learning === 'in progress' ? Number.MAX_SAFE_INTEGER : 0;
    run.learning = new Map([...run.firstTimes.keys()].map((scope) => [scope, { start: 0, end }]));
    await sessions.flush(this.table);
    return sessions.finish();
  }

  /** Each event in an object of its own, in order, on the same table: what adds up across objects. */
  async oneObjectEach(events: readonly E[]): Promise<Draft[]> {
    const drafts: Draft[] = [];
    for (const event of events) drafts.push(...(await this.object([event])));
    return drafts;
  }

  /** Makes the baseline of an anomaly detector hold `values` for the scopes of `events`. */
  async learn(baselineKind: string, values: readonly string[], events: readonly E[]): Promise<void> {
    const scopes = new Set(events.map((e) => this.scopeOf(e)));
    const time = Date.parse('2026-10-01T00:00:00Z');
    for (const scope of scopes) {
      await this.baselines.putEntries(
        values.map((value) => ({
          scope,
          kind: baselineKind,
          value,
          firstSeen: time,
          lastSeen: time,
          dayCounts: { '2026-10-01': 1 },
          count: 1,
          days: 1,
        })),
        400,
      );
    }
  }

  /**
   * Gives an edge an hourly history of `values` (every metric), the way the hourly edges and the
   * rebaseline build one: map rows written, then folded into per-edge statistics.
   */
  async history(edge: FlowEdge, values: readonly number[]): Promise<void> {
    const start = Date.parse('2026-11-01T00:00:00Z');
    const hours = values.map((value, i) => ({
      ...edge,
      time: start + i * HOUR_MS,
      lastTime: start + i * HOUR_MS + 60_000,
      bytesToServer: value,
      bytesToClient: value,
      flows: value,
      rejected: value,
    }));
    await this.stores.map.write('example-history', hourlyEdges(hours).values());
    await new ObjectLedger(this.table).markDone('example-history', 'example');
    await foldEdgeStats(this.stores.edgeStats, this.stores.map, [edge.scope], edge.time);
  }

  /** One object's health, as the health evaluator judges it. */
  inspect(health: FlowLogHealth): Draft[] {
    return (this.health as HealthEvaluator).inspect(this.newRun(), health);
  }

  /** A flow log's silence, as the health evaluator finds it at rebaseline time. */
  async silence(silence: FlowLogSilence): Promise<Draft[]> {
    await this.stores.sources.seen({
      logId: silence.logId,
      scope: silence.scope,
      lastSeen: silence.lastSeen,
      uri: silence.origin.uri,
    });
    return (this.health as HealthEvaluator).silences(silence.now, 'example');
  }
}

/** A health example's drafts: an object's counts, or a log's silence. */
export function healthDrafts(
  runner: ExampleRunner<FlowEdge>,
  input: HealthDetector['examples']['fires'][number],
): Promise<Draft[]> | Draft[] {
  return input.kind === 'object' ? runner.inspect(input) : runner.silence(input);
}

/** A flow edge carrying `observed` as its own hour's total of a metric. */
export function withMetric(edge: FlowEdge, metric: string, observed: number): FlowEdge {
  switch (metric) {
    case 'bytesOut':
      return { ...edge, bytesToServer: observed };
    case 'bytesIn':
      return { ...edge, bytesToClient: observed };
    case 'flows':
      return { ...edge, flows: observed };
    case 'rejected':
      return { ...edge, rejected: observed };
    default:
      throw new Error(`no edge field for metric ${metric}`);
  }
}
