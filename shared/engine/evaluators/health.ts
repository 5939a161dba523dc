import type { DetectContext, FlowLogHealth, FlowLogSilence, HealthDetector, Located } from '../../detect';
import type { FlowEdge, FlowSources } from '../../network';
import { flowLogIdOf } from '../../network';
import { DAY_MS } from '../../util';
import type { Draft } from '../draft';
import type { Evaluator, EvaluatorSession } from '../evaluator';
import type { ObjectRun } from '../object-run';

/** A flow log silent for longer than this is forgotten rather than reported again. */
const FORGET_SILENT_MS = 7 * DAY_MS;

/**
 * Health detectors watch the flow logs themselves: each object's counts (records skipped) as it
 * is processed, and, at rebaseline time, a log that stopped delivering. Each object notes when
 * its log last delivered.
 */
export class HealthEvaluator implements Evaluator<FlowEdge> {
  constructor(
    readonly detectors: readonly HealthDetector[],
    readonly context: DetectContext,
    readonly sources: FlowSources,
  ) {}

  /** A flow log's delivery is its objects': edges decided later do not deliver it again. */
  readonly perObject = true;

  begin(run: ObjectRun): EvaluatorSession<FlowEdge> {
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    let scope: string | undefined;
    return {
      see: (edge) => {
        scope ??= edge.scope;
        if (edge.time < first) first = edge.time;
        if (edge.lastTime > last) last = edge.lastTime;
      },
      finish: async () => {
        // Silence can only be told for a log with a name; local files of unknown origin are only inspected.
        const named = flowLogIdOf(run.uri);
        const at = scope ?? 'flow';
        if (named && Number.isFinite(last))
          await this.sources.seen({ logId: named, scope: at, lastSeen: last, uri: run.uri });
        return this.inspect(run, {
          kind: 'object',
          logId: named ?? run.uri,
          scope: at,
          time: Number.isFinite(first) ? first : run.clock(),
          records: run.stats.events,
          nodata: run.stats.logHealth.nodata,
          skipdata: run.stats.logHealth.skipdata,
          origin: { uri: run.uri },
        });
      },
    };
  }

  /** The drafts of one object's health. */
  inspect(run: ObjectRun, health: FlowLogHealth): Draft[] {
    const drafts: Draft[] = [];
    for (const detector of this.detectors) {
      const detection = run.attempt(detector.id, health, () => detector.inspect(health, this.context));
      if (!detection) continue;
      drafts.push({
        detector,
        detection,
        sample: health,
        count: health.skipdata,
        identity: `${health.logId}|${health.origin.uri}`,
        scope: health.scope,
        cluster: run.cluster,
      });
    }
    return drafts;
  }

  /** The flow logs that stopped delivering, as seen at `now`; each log's silence is one draft per detector. */
  async silences(now: number, cluster: string): Promise<Draft[]> {
    if (this.detectors.length === 0) return [];
    const drafts: Draft[] = [];
    for (const source of await this.sources.all()) {
      if (now - source.lastSeen > FORGET_SILENT_MS || source.lastSeen >= now) continue;
      const silence: FlowLogSilence = {
        kind: 'silence',
        logId: source.logId,
        scope: source.scope,
        lastSeen: source.lastSeen,
        now,
        origin: { uri: source.uri },
      };
      const sample: Located = { time: now, origin: silence.origin };
      for (const detector of this.detectors) {
        const detection = detector.silence(silence, this.context);
        if (!detection) continue;
        drafts.push({
          detector,
          detection,
          sample,
          count: 1,
          identity: `${source.logId}|silent|${source.lastSeen}`,
          scope: source.scope,
          cluster,
        });
      }
    }
    return drafts;
  }
}
