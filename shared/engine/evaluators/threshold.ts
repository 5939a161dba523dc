import type { WindowCounter } from '../../baseline';
import type { DetectContext, Located, ThresholdDetector } from '../../detect';
import type { Draft } from '../draft';
import { type Evaluator, type EvaluatorSession, type EventShape, type Windowed, windowed } from '../evaluator';
import type { ObjectRun } from '../object-run';

/** One object's events counted towards one key of a threshold detector in one window. */
interface Tally<E> {
  detector: ThresholdDetector<E>;
  threshold: number;
  scope: string;
  cluster: string;
  key: string;
  windowStart: number;
  windowMs: number;
  count: number;
  sample: E;
}

/**
 * Threshold detectors fire when the events counted under one key reach a threshold within a
 * fixed window of event time. Each object's counts join the window's in the table, so a burst
 * spread over many objects and invocations still adds up.
 */
export class ThresholdEvaluator<E extends Located> implements Evaluator<E> {
  readonly counting: readonly Windowed<ThresholdDetector<E>>[];

  constructor(
    detectors: readonly ThresholdDetector<E>[],
    readonly context: DetectContext,
    readonly shape: EventShape<E>,
    readonly counter: WindowCounter,
  ) {
    this.counting = windowed(detectors, context);
  }

  begin(run: ObjectRun): EvaluatorSession<E> {
    return new ThresholdSession(this, run);
  }
}

class ThresholdSession<E extends Located> implements EvaluatorSession<E> {
  private readonly tallies = new Map<string, Tally<E>>();

  constructor(
    private readonly evaluator: ThresholdEvaluator<E>,
    private readonly run: ObjectRun,
  ) {}

  see(event: E): void {
    const { context, shape } = this.evaluator;
    for (const { detector, threshold, windowMs } of this.evaluator.counting) {
      const counted = this.run.attempt(detector.id, event, () => detector.count(event, context));
      if (!counted) continue;
      const scope = shape.scope(event);
      const windowStart = Math.floor(event.time / windowMs) * windowMs;
      for (const key of counted) {
        const id = `${scope}\u0000${detector.id}\u0000${key}\u0000${windowStart}`;
        const tally = this.tallies.get(id);
        if (tally) {
          tally.count++;
          if (event.time < tally.sample.time) tally.sample = event;
          continue;
        }
        const cluster = shape.cluster(event);
        this.tallies.set(id, {
          detector,
          threshold,
          scope,
          cluster,
          key,
          windowStart,
          windowMs,
          count: 1,
          sample: event,
        });
      }
    }
  }

  async finish(): Promise<Draft[]> {
    const { context, counter } = this.evaluator;
    const drafts: Draft[] = [];
    for (const tally of this.tallies.values()) {
      const { detector, scope, key, windowStart } = tally;
      const total = await counter.add(this.run.objectId, {
        scope,
        ruleId: detector.id,
        key,
        windowStart,
        windowMs: tally.windowMs,
        count: tally.count,
      });
      if (total < tally.threshold) continue;
      const detection = this.run.attempt(detector.id, tally.sample, () =>
        detector.describe(key, total, tally.sample, context),
      );
      if (!detection) continue;
      drafts.push({
        detector,
        detection,
        sample: tally.sample,
        count: total,
        identity: `${scope}|${key}|${windowStart}`,
        scope,
        cluster: tally.cluster,
      });
    }
    return drafts;
  }
}
