import type { WindowCounter } from '../../baseline';
import type { DetectContext, Detection, Located, ThresholdDetector } from '../../detect';
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
  /** The earliest event: whole within {@link SAMPLED_TALLIES}, past it only where it is. */
  sample: E | Located;
  sampled: boolean;
}

/**
 * How many of an object's tallies keep the event they are described from. Past this (a hostile
 * object, thousands of identities denied once each) a tally keeps its count and where its first
 * event is: enough for the window's count, and a finding told by its key alone.
 */
const SAMPLED_TALLIES = 10_000;

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
      const { weight: weigh } = detector;
      const weight = weigh ? this.run.attempt(detector.id, event, () => weigh.call(detector, event, context)) : 1;
      if (weight === undefined || !(weight > 0)) continue;
      const scope = shape.scope(event);
      const windowStart = Math.floor(event.time / windowMs) * windowMs;
      for (const key of counted) {
        const id = `${scope}\u0000${detector.id}\u0000${key}\u0000${windowStart}`;
        const tally = this.tallies.get(id);
        if (tally) {
          tally.count += weight;
          if (event.time < tally.sample.time) {
            tally.sample = tally.sampled ? event : { time: event.time, origin: event.origin };
          }
          continue;
        }
        const cluster = shape.cluster(event);
        const sampled = this.tallies.size < SAMPLED_TALLIES;
        this.tallies.set(id, {
          detector,
          threshold,
          scope,
          cluster,
          key,
          windowStart,
          windowMs,
          count: weight,
          sample: sampled ? event : { time: event.time, origin: event.origin },
          sampled,
        });
      }
    }
  }

  async finish(): Promise<Draft[]> {
    const { context, counter } = this.evaluator;
    const tallies = [...this.tallies.values()];
    // Every count is written, in batches, before any total is read back.
    const totals = await counter.addAll(
      this.run.objectId,
      tallies.map((t) => ({
        scope: t.scope,
        ruleId: t.detector.id,
        key: t.key,
        windowStart: t.windowStart,
        windowMs: t.windowMs,
        count: t.count,
      })),
    );
    const drafts: Draft[] = [];
    tallies.forEach((tally, i) => {
      const total = totals[i] ?? 0;
      if (total < tally.threshold) return;
      const { detector, scope, key, windowStart } = tally;
      const detection = tally.sampled
        ? this.run.attempt(detector.id, tally.sample, () => detector.describe(key, total, tally.sample as E, context))
        : keyOnly(tally, total);
      if (!detection) return;
      drafts.push({
        detector,
        detection,
        sample: tally.sample,
        count: total,
        identity: `${scope}|${key}|${windowStart}`,
        scope,
        cluster: tally.cluster,
      });
    });
    return drafts;
  }
}

/** A finding of a tally that kept no event (past {@link SAMPLED_TALLIES}): told by its key alone. */
function keyOnly<E>(tally: Tally<E>, total: number): Detection {
  return {
    summary:
      `${tally.key} had ${total} events counted by ${tally.detector.id} within the window (threshold ${tally.threshold}); ` +
      'the object had more keys than the engine keeps events for, so only the key is known.',
    entities: { key: tally.key, count: total },
    evidence: `${tally.key}: ${total} events (this object: ${tally.count})`,
    dedupeKey: tally.key,
  };
}
