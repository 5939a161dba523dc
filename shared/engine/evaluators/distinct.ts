import type { DistinctCounter } from '../../baseline';
import type { DetectContext, DistinctDetector, Located } from '../../detect';
import type { Draft } from '../draft';
import { type Evaluator, type EvaluatorSession, type EventShape, type Windowed, windowed } from '../evaluator';
import type { ObjectRun } from '../object-run';

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
  ) {
    this.counting = windowed(detectors, context);
  }

  begin(run: ObjectRun): EvaluatorSession<E> {
    return new DistinctSession(this, run);
  }
}

class DistinctSession<E extends Located> implements EvaluatorSession<E> {
  /** Per detector, in the evaluator's order. */
  private readonly groups: Map<string, Group<E>>[];

  constructor(
    private readonly evaluator: DistinctEvaluator<E>,
    private readonly run: ObjectRun,
  ) {
    this.groups = evaluator.counting.map(() => new Map());
  }

  see(event: E): void {
    const { counting, context, shape } = this.evaluator;
    counting.forEach(({ detector, windowMs }, i) => {
      const values = this.run.attempt(detector.id, event, () => detector.distinct(event, context));
      if (!values) return;
      const groups = this.groups[i] as Map<string, Group<E>>;
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
    });
  }

  async finish(): Promise<Draft[]> {
    const drafts: Draft[] = [];
    const { counting } = this.evaluator;
    for (const [i, counted] of counting.entries()) {
      for (const group of (this.groups[i] as Map<string, Group<E>>).values()) {
        const draft = await this.complete(counted, group);
        if (draft) drafts.push(draft);
      }
    }
    return drafts;
  }

  /** Adds the group's values to the window's in the table; a draft when the window has enough. */
  private async complete(
    { detector, threshold, windowMs }: Windowed<DistinctDetector<E>>,
    group: Group<E>,
  ): Promise<Draft | undefined> {
    const { context, shape, store } = this.evaluator;
    const stored = await store.add(
      this.run.objectId,
      {
        scope: group.scope,
        ruleId: detector.id,
        key: group.key,
        windowStart: group.windowStart,
        windowMs,
        values: [...group.values],
      },
      threshold * 2,
    );
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
