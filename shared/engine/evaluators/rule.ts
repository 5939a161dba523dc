import { severityRank } from '../../config';
import type { DetectContext, Detection, Located, RuleDetector } from '../../detect';
import type { Draft } from '../draft';
import type { Evaluator, EvaluatorSession, EventShape } from '../evaluator';
import type { ObjectRun } from '../object-run';

interface Hit<E> {
  rule: RuleDetector<E>;
  detection: Detection;
  sample: E;
  count: number;
  identity: string;
  scope: string;
  cluster: string;
}

/**
 * Rules fire on single events from the first event seen. Within an object, the events of one
 * rule and dedupe key are one finding: described from its first event (or its most severe),
 * counting the rest.
 */
export class RuleEvaluator<E extends Located> implements Evaluator<E> {
  constructor(
    readonly rules: readonly RuleDetector<E>[],
    readonly context: DetectContext,
    readonly shape: EventShape<E>,
  ) {}

  begin(run: ObjectRun): EvaluatorSession<E> {
    return new RuleSession(this, run);
  }
}

class RuleSession<E extends Located> implements EvaluatorSession<E> {
  private readonly hits = new Map<string, Hit<E>>();

  constructor(
    private readonly evaluator: RuleEvaluator<E>,
    private readonly run: ObjectRun,
  ) {}

  see(event: E): void {
    const { run } = this;
    const { context, rules } = this.evaluator;
    for (const rule of rules) {
      if (rule.dedupeKey) {
        // A rule that can name its finding cheaply: only the first event of a finding is described.
        const known = run.attempt(rule.id, event, () => rule.dedupeKey?.(event, context));
        if (known === undefined) continue;
        const hit = this.hits.get(`${rule.id}\u0000${known}`);
        if (hit) {
          hit.count++;
          continue;
        }
      }
      const detection = run.attempt(rule.id, event, () => rule.detect(event, context));
      if (detection) this.add(rule, detection, event);
    }
  }

  private add(rule: RuleDetector<E>, detection: Detection, event: E): void {
    const key = `${rule.id}\u0000${detection.dedupeKey}`;
    const hit = this.hits.get(key);
    if (!hit) {
      const { shape } = this.evaluator;
      this.hits.set(key, {
        rule,
        detection,
        sample: event,
        count: 1,
        identity: shape.identity(event),
        scope: shape.scope(event),
        cluster: shape.cluster(event),
      });
      return;
    }
    hit.count++;
    // Events of one finding keep the most severe description.
    if (severityRank(detection.severity ?? rule.severity) > severityRank(hit.detection.severity ?? rule.severity)) {
      hit.detection = detection;
    }
  }

  async finish(): Promise<Draft[]> {
    return [...this.hits.values()].map((hit) => ({
      detector: hit.rule,
      detection: hit.detection,
      sample: hit.sample,
      count: hit.count,
      identity: hit.identity,
      scope: hit.scope,
      cluster: hit.cluster,
    }));
  }
}
