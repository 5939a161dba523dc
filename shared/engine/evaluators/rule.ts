import { severityRank } from '../../config';
import type { DetectContext, Detection, Located, RuleDetector } from '../../detect';
import { DistinctKeys } from '../../util';
import type { Draft } from '../draft';
import type { Evaluator, EvaluatorSession, EventShape } from '../evaluator';
import type { ObjectRun } from '../object-run';
import { Rollup, rollupLimits } from '../rollup';

interface Hit<E> {
  rule: RuleDetector<E>;
  detection: Detection;
  sample: E;
  count: number;
  identity: string;
  scope: string;
  cluster: string;
}

/** A rule's findings past its cap in one object: rolled up as they come, their keys kept as hashes. */
interface Overflow {
  rollup: Rollup;
  keys: DistinctKeys;
}

/**
 * Rules fire on single events from the first event seen. Within an object, the events of one
 * rule and dedupe key are one finding: described from its first event (or its most severe),
 * counting the rest. Past a rule's roll-up cap its findings are rolled up as they come, so a
 * hostile object's thousands of findings are never held.
 */
export class RuleEvaluator<E extends Located> implements Evaluator<E> {
  /**
   * Rules judge each edge as it comes, waiting or not: a rule hit (a threat-list address, a mining
   * port) must not wait for the audit log; only anomalies, which compare names with a baseline, do.
   */
  readonly perObject = true;
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
  /** Findings held per rule, up to its cap. */
  private readonly held = new Map<string, number>();
  private readonly overflow = new Map<string, Overflow>();

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
        const overflow = this.overflow.get(rule.id);
        if (overflow?.keys.has(known)) {
          overflow.rollup.addEvent();
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
      const fresh = {
        rule,
        detection,
        sample: event,
        count: 1,
        identity: shape.identity(event),
        scope: shape.scope(event),
        cluster: shape.cluster(event),
      };
      const overflow = this.overflow.get(rule.id) ?? this.overflowing(rule);
      if (overflow) overflow.rollup.add(draftOf(fresh), overflow.keys.add(detection.dedupeKey) ? 1 : 0);
      else {
        this.hits.set(key, fresh);
        this.held.set(rule.id, (this.held.get(rule.id) ?? 0) + 1);
      }
      return;
    }
    hit.count++;
    // Events of one finding keep the most severe description.
    if (severityRank(detection.severity ?? rule.severity) > severityRank(hit.detection.severity ?? rule.severity)) {
      hit.detection = detection;
    }
  }

  /**
   * The rule's overflow once it holds as many findings as its cap: they move into a roll-up, and
   * every finding after them joins it.
   */
  private overflowing(rule: RuleDetector<E>): Overflow | undefined {
    const limits = rollupLimits(this.evaluator.context.config, rule.id);
    if ((this.held.get(rule.id) ?? 0) < limits.cap) return undefined;
    const overflow = { rollup: new Rollup(limits), keys: new DistinctKeys() };
    for (const [key, hit] of this.hits) {
      if (hit.rule !== rule) continue;
      overflow.rollup.add(draftOf(hit));
      overflow.keys.add(hit.detection.dedupeKey);
      this.hits.delete(key);
    }
    this.held.delete(rule.id);
    this.overflow.set(rule.id, overflow);
    return overflow;
  }

  async finish(): Promise<Draft[]> {
    const drafts = [...this.hits.values()].map(draftOf);
    for (const { rollup } of this.overflow.values()) drafts.push(rollup.draft(this.run.objectId));
    return drafts;
  }
}

function draftOf<E extends Located>(hit: Hit<E>): Draft {
  return {
    detector: hit.rule,
    detection: hit.detection,
    sample: hit.sample,
    count: hit.count,
    identity: hit.identity,
    scope: hit.scope,
    cluster: hit.cluster,
  };
}
