import type { BaselineStore, Observation } from '../../baseline';
import type { AnomalyDetector, DetectContext, Located } from '../../detect';
import { dayOf, iso } from '../../util';
import type { Draft } from '../draft';
import type { Evaluator, EvaluatorSession, EventShape } from '../evaluator';
import type { ObjectRun } from '../object-run';

/**
 * Anomaly detectors fire on a value their baseline has not seen, once the scope's learning period
 * is over. Observations are aggregated per object (scope, baseline kind, value and day), written
 * for the rebaseline to learn from, and looked up in one batch per baseline.
 */
export class AnomalyEvaluator<E extends Located> implements Evaluator<E> {
  readonly byId: ReadonlyMap<string, AnomalyDetector<E>>;

  constructor(
    readonly detectors: readonly AnomalyDetector<E>[],
    readonly context: DetectContext,
    readonly shape: EventShape<E>,
    readonly baselines: BaselineStore,
  ) {
    this.byId = new Map(detectors.map((d) => [d.id, d]));
  }

  begin(run: ObjectRun): EvaluatorSession<E> {
    return new AnomalySession(this, run);
  }
}

class AnomalySession<E extends Located> implements EvaluatorSession<E> {
  /** The object's observations by scope, baseline kind, value and day. */
  private readonly observations = new Map<string, Observation<E>>();

  constructor(
    private readonly evaluator: AnomalyEvaluator<E>,
    private readonly run: ObjectRun,
  ) {}

  /** The values the event shows, into the object's observations. */
  see(event: E): void {
    const { detectors, context, shape } = this.evaluator;
    let scope: string | undefined;
    for (const anomaly of detectors) {
      const values = this.run.attempt(anomaly.id, event, () => anomaly.observe(event, context));
      if (!values) continue;
      scope ??= shape.scope(event);
      const day = dayOf(event.time);
      for (const value of values) this.observe(anomaly, scope, day, value, event);
    }
  }

  private observe(anomaly: AnomalyDetector<E>, scope: string, day: string, value: string, event: E): void {
    const key = `${scope}\u0000${anomaly.baselineKind}\u0000${value}\u0000${day}`;
    const o = this.observations.get(key);
    if (!o) {
      this.observations.set(key, {
        scope,
        kind: anomaly.baselineKind,
        value,
        day,
        count: 1,
        firstTime: event.time,
        lastTime: event.time,
        sample: event,
        detectorId: anomaly.id,
      });
      return;
    }
    o.count++;
    if (event.time < o.firstTime) {
      o.firstTime = event.time;
      o.sample = event;
    }
    if (event.time > o.lastTime) o.lastTime = event.time;
  }

  /** Writes the observations, for the rebaseline to learn from. */
  async record(): Promise<void> {
    const { baselines } = this.evaluator;
    this.run.outcome.observations = await baselines.writeObservations(this.run.objectId, this.observations.values());
  }

  async finish(): Promise<Draft[]> {
    const drafts: Draft[] = [];
    for (const group of groupObservations(this.observations.values())) drafts.push(...(await this.describeNew(group)));
    return drafts;
  }

  /** The drafts of one baseline: its values past the learning period that the baseline has not seen. */
  private async describeNew(group: ObservationGroup<E>): Promise<Draft[]> {
    const { baselines, byId, context, shape } = this.evaluator;
    const learning = this.run.learning.get(group.scope);
    const detector = byId.get(group.detectorId);
    if (!learning || !detector) return [];
    const candidates = group.items.filter((o) => o.firstTime >= learning.end);
    if (candidates.length === 0) return [];
    const known = await baselines.lookup(
      group.scope,
      group.kind,
      candidates.map((o) => o.value),
    );
    const drafts: Draft[] = [];
    let sample: string[] | undefined;
    for (const o of candidates) {
      if (known.has(o.value)) continue;
      const detection = this.run.attempt(detector.id, o.sample, () => detector.describe(o.value, o.sample, context));
      if (!detection) continue;
      sample ??= (await baselines.sample(group.scope, group.kind)).map((e) => e.value);
      drafts.push({
        detector,
        detection,
        baseline: {
          expected: sample.length
            ? `${detector.expectedNoun}: ${sample.join(', ')}`
            : `no ${detector.expectedNoun} yet`,
          since: iso(learning.start),
          known: sample,
        },
        sample: o.sample,
        count: o.count,
        identity: `${group.scope}|${o.value}`,
        scope: group.scope,
        cluster: shape.cluster(o.sample),
      });
    }
    return drafts;
  }
}

interface ObservationGroup<E> {
  scope: string;
  kind: string;
  detectorId: string;
  /** One per value: the earliest day's observation, with counts summed over days. */
  items: Observation<E>[];
}

/** The object's observations by baseline (scope, kind, detector), one item per value across days. */
function groupObservations<E>(observations: Iterable<Observation<E>>): ObservationGroup<E>[] {
  const groups = new Map<string, ObservationGroup<E>>();
  const byValue = new Map<string, Observation<E>>();
  for (const o of observations) {
    const groupKey = `${o.scope}\u0000${o.kind}\u0000${o.detectorId}`;
    let group = groups.get(groupKey);
    if (!group) {
      group = { scope: o.scope, kind: o.kind, detectorId: o.detectorId, items: [] };
      groups.set(groupKey, group);
    }
    const valueKey = `${groupKey}\u0000${o.value}`;
    const seen = byValue.get(valueKey);
    if (!seen) {
      const copy = { ...o };
      byValue.set(valueKey, copy);
      group.items.push(copy);
    } else {
      seen.count += o.count;
      if (o.firstTime < seen.firstTime) {
        seen.firstTime = o.firstTime;
        seen.sample = o.sample;
      }
    }
  }
  return [...groups.values()];
}
