import type { EdgeStats, EdgeStatsStore } from '../../baseline';
import { edgeMetric } from '../../baseline';
import type { DetectContext, MetricStats, SpikeDetector } from '../../detect';
import type { FlowEdge, HourlyEdge, HourlyEdgeStore, Traffic } from '../../network';
import { hourlyEdgeId, hourlyEdges, hourlyPlacement, priorEdge } from '../../network';
import { iso } from '../../util';
import type { Draft } from '../draft';
import type { Evaluator, EvaluatorSession, Grace } from '../evaluator';
import type { ObjectRun } from '../object-run';

/** Objects of a flow log arrive every 5 to 10 minutes: an hour's total is at most about 12 objects' worth. */
const OBJECTS_PER_HOUR = 12;
/** Statistics that let any value through: the lowest limit a spike detector can set (its floor). */
const FLAT: MetricStats = { hours: Number.MAX_SAFE_INTEGER, days: Number.MAX_SAFE_INTEGER, median: 0, mad: 0, max: 0 };

/** An hourly edge of this object that may spike for one detector, and its busiest flow edge. */
interface Candidate {
  detector: SpikeDetector<FlowEdge>;
  id: string;
  part: HourlyEdge;
  sample: FlowEdge;
}

/**
 * Spike detectors fire when an hourly edge's total of a metric goes far above the edge's own
 * hourly statistics, which the rebaseline computes from the stored hourly edges. Silent while the scope
 * learns and while an edge's history is short. Reads statistics only for this object's edges
 * that could spike at all.
 */
export class SpikeEvaluator implements Evaluator<FlowEdge> {
  constructor(
    readonly detectors: readonly SpikeDetector<FlowEdge>[],
    readonly context: DetectContext,
    readonly stats: EdgeStatsStore,
    readonly hourlyEdges: HourlyEdgeStore,
    /** Holds back spikes of a new workload's edges in its first hours. */
    readonly grace?: Grace<FlowEdge>,
  ) {}

  begin(run: ObjectRun): EvaluatorSession<FlowEdge> {
    return {
      see: () => {},
      finish: (edges) =>
        this.detectors.length === 0 || edges.length === 0 ? Promise.resolve([]) : this.detect(run, edges),
    };
  }

  private async detect(run: ObjectRun, edges: readonly FlowEdge[]): Promise<Draft[]> {
    // This object's part of each hourly edge past the learning period and any grace, and the flow edges in it.
    const held = this.grace && (await this.grace.judge(run, edges));
    const members = new Map<string, FlowEdge[]>();
    for (const edge of edges) {
      const learning = run.learning.get(edge.scope);
      if (!learning || edge.time < learning.end) continue;
      const subject = held && this.grace?.subject(edge);
      if (held && subject && held(subject, edge.time)) continue;
      const id = hourlyEdgeId(edge);
      const list = members.get(id);
      if (list) list.push(edge);
      else members.set(id, [edge]);
    }
    if (members.size === 0) return [];
    const candidates = this.candidates(run, members);
    if (candidates.length === 0) return [];
    const wanted = new Map<string, Set<string>>();
    for (const { part } of candidates) {
      const keys = wanted.get(part.scope) ?? new Set<string>();
      keys.add(part.key);
      wanted.set(part.scope, keys);
    }
    const stats = new Map<string, Map<string, EdgeStats>>();
    for (const [scope, keys] of wanted) stats.set(scope, await this.stats.lookup(scope, [...keys]));
    await this.historyBefore(candidates, stats);
    const totals = new Map<string, Traffic>();
    const decoded = new Map<string, HourlyEdge[]>();
    const drafts: Draft[] = [];
    for (const { detector, id, part, sample } of candidates) {
      const edgeStats = stats.get(part.scope)?.get(part.key);
      const metric = edgeStats?.metrics[detector.metric];
      const limit = detector.limit(metric, this.context);
      if (limit === undefined || !metric || !edgeStats) continue;
      if (edgeMetric(part, detector.metric) * OBJECTS_PER_HOUR <= limit) continue;
      let hour = totals.get(id);
      if (!hour) {
        hour = await this.hourlyEdges.hourTotals(part.scope, part.hour, part.key, decoded);
        totals.set(id, hour);
      }
      // The map already holds this object's part (recorders flush first); never count less than it.
      const observed = Math.max(edgeMetric(hour, detector.metric), edgeMetric(part, detector.metric));
      if (observed <= limit) continue;
      const detection = run.attempt(detector.id, sample, () =>
        detector.describe(observed, limit, metric, sample, this.context),
      );
      if (!detection) continue;
      drafts.push({
        detector,
        detection,
        sample,
        count: part.flows,
        identity: `${part.scope}|${part.key}|${part.hour}`,
        scope: part.scope,
        cluster: run.cluster,
        baseline: {
          expected:
            `hourly ${detector.metric} on this edge: median ${metric.median}, MAD ${metric.mad}, max ${metric.max} ` +
            `over ${metric.hours} active hours on ${metric.days} days`,
          since: iso(edgeStats.firstSeen),
        },
      });
    }
    return drafts;
  }

  /**
   * For an edge with no statistics of its own whose end a late pod report named, the statistics of
   * the edge as it was named before: the workload's volume history does not restart.
   */
  private async historyBefore(
    candidates: readonly Candidate[],
    stats: Map<string, Map<string, EdgeStats>>,
  ): Promise<void> {
    const earlier = new Map<string, Map<string, string>>();
    for (const { part, sample } of candidates) {
      if (stats.get(part.scope)?.has(part.key)) continue;
      const prior = priorEdge(sample);
      if (!prior) continue;
      const keys = earlier.get(part.scope) ?? new Map<string, string>();
      keys.set(part.key, hourlyPlacement(prior).key);
      earlier.set(part.scope, keys);
    }
    for (const [scope, keys] of earlier) {
      const found = await this.stats.lookup(scope, [...new Set(keys.values())]);
      const known = stats.get(scope) ?? new Map<string, EdgeStats>();
      for (const [key, priorKey] of keys) {
        const history = found.get(priorKey);
        if (history) known.set(key, history);
      }
      stats.set(scope, known);
    }
  }

  /**
   * The hourly edges that could spike for each detector: this object's part alone, scaled to an hour,
   * reaches the detector's floor, and the detector watches one of its flow edges.
   */
  private candidates(run: ObjectRun, members: Map<string, FlowEdge[]>): Candidate[] {
    const parts = hourlyEdges([...members.values()].flat());
    const candidates: Candidate[] = [];
    for (const detector of this.detectors) {
      // Without statistics, no hour can spike; with them, none below the detector's floor.
      const floor = detector.limit(FLAT, this.context) ?? 0;
      for (const [id, part] of parts) {
        const value = edgeMetric(part, detector.metric);
        if (value <= 0 || value * OBJECTS_PER_HOUR < floor) continue;
        const watched = (members.get(id) ?? []).filter(
          (e) => run.attempt(detector.id, e, () => detector.applies(e, this.context)) ?? false,
        );
        if (watched.length === 0) continue;
        const sample = watched.reduce((a, b) =>
          edgeMetric(b, detector.metric) > edgeMetric(a, detector.metric) ? b : a,
        );
        candidates.push({ detector, id, part, sample });
      }
    }
    return candidates;
  }
}
