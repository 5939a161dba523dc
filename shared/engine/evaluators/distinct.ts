import type { DistinctCounter } from '../../baseline';
import type { DetectContext, DistinctDetector, Located } from '../../detect';
import type { Draft } from '../draft';
import { type Evaluator, type EvaluatorSession, type EventShape, type Windowed, windowed } from '../evaluator';
import type { ObjectRun } from '../object-run';

/** Streamed events that show a value an object keeps at most: a million secret reads are judged on the first. */
const MAX_RELEVANT = 100_000;

/** The distinct values one object showed under one key of a detector in one window. */
interface Group<E> {
  scope: string;
  key: string;
  windowStart: number;
  values: Set<string>;
  sample: E;
}

/**
 * Distinct detectors fire when the distinct values seen under one key (the ports one source
 * probed on one host) reach a threshold within a window. Each object's values are kept in the
 * table, so a scan spread over objects still adds up.
 */
export class DistinctEvaluator<E extends Located> implements Evaluator<E> {
  readonly counting: readonly Windowed<DistinctDetector<E>>[];

  constructor(
    detectors: readonly DistinctDetector<E>[],
    readonly context: DetectContext,
    readonly shape: EventShape<E>,
    readonly store: DistinctCounter,
    /** Events stream past (audit objects keep none): the session keeps those that show a value, for `finish`. */
    readonly streamed = false,
  ) {
    this.counting = windowed(detectors, context);
  }

  begin(run: ObjectRun): EvaluatorSession<E> {
    return new DistinctSession(this, run);
  }
}

class DistinctSession<E extends Located> implements EvaluatorSession<E> {
  constructor(
    private readonly evaluator: DistinctEvaluator<E>,
    private readonly run: ObjectRun,
  ) {}

  /** Events that showed a value, when the object's events are not kept for `finish`. */
  private readonly relevant: E[] = [];

  /**
   * Nothing per kept event: each detector groups the object's events in turn when the session
   * finishes, so that only one detector's groups are alive at a time. Streamed events that show a
   * value are kept, up to a bound.
   */
  see(event: E): void {
    const { counting, context, streamed } = this.evaluator;
    if (!streamed || this.relevant.length >= MAX_RELEVANT) return;
    const shows = counting.some(
      ({ detector }) =>
        (this.run.attempt(detector.id, event, () => detector.distinct(event, context))?.length ?? 0) > 0,
    );
    if (shows) this.relevant.push(event);
  }

  async finish(kept: readonly E[]): Promise<Draft[]> {
    const events = this.relevant.length > 0 ? [...kept, ...this.relevant] : kept;
    const drafts: Draft[] = [];
    for (const counted of this.evaluator.counting) {
      const groups = [...this.groups(counted, events).values()];
      if (groups.length === 0) continue;
      // One batch write and one query per window for all of the detector's keys.
      const stored = await this.evaluator.store.addAll(
        this.run.objectId,
        groups.map((group) => ({
          scope: group.scope,
          ruleId: counted.detector.id,
          key: group.key,
          windowStart: group.windowStart,
          windowMs: counted.windowMs,
          values: [...group.values],
        })),
        counted.threshold * 2,
      );
      groups.forEach((group, i) => {
        const draft = this.complete(counted, group, stored[i] ?? []);
        if (draft) drafts.push(draft);
      });
    }
    return drafts;
  }

  /** One detector's distinct values of the object, by scope, key and window. */
  private groups({ detector, windowMs }: Windowed<DistinctDetector<E>>, events: readonly E[]): Map<string, Group<E>> {
    const { context, shape } = this.evaluator;
    const groups = new Map<string, Group<E>>();
    for (const event of events) {
      const values = this.run.attempt(detector.id, event, () => detector.distinct(event, context));
      if (!values) continue;
      const scope = shape.scope(event);
      for (const { key, value } of values) {
        const windowStart = Math.floor(event.time / windowMs) * windowMs;
        const id = `${scope}\u0000${key}\u0000${windowStart}`;
        let group = groups.get(id);
        if (!group) {
          group = { scope, key, windowStart, values: new Set(), sample: event };
          groups.set(id, group);
        }
        group.values.add(value);
        if (event.time < group.sample.time) group.sample = event;
      }
    }
    return groups;
  }

  /** A draft when the group's values and those stored for its window reach the threshold. */
  private complete(
    { detector, threshold }: Windowed<DistinctDetector<E>>,
    group: Group<E>,
    stored: readonly string[],
  ): Draft | undefined {
    const { context, shape } = this.evaluator;
    // Other objects' values are stored capped; this object's count in full.
    const values = [...new Set([...group.values, ...stored])];
    if (values.length < threshold) return undefined;
    const detection = this.run.attempt(detector.id, group.sample, () =>
      detector.describe(group.key, values, group.sample, context),
    );
    if (!detection) return undefined;
    return {
      detector,
      detection,
      sample: group.sample,
      count: values.length,
      identity: `${group.scope}|${group.key}|${group.windowStart}`,
      scope: group.scope,
      cluster: shape.cluster(group.sample),
    };
  }
}
