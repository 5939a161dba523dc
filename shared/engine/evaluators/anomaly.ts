import type { BaselineStore, Observation } from '../../baseline';
import type { AnomalyDetector, DetectContext, Detection, Located } from '../../detect';
import type { Origin } from '../../ingest';
import { dayOf, iso } from '../../util';
import type { Draft } from '../draft';
import type { Evaluator, EvaluatorSession, EventShape, Grace } from '../evaluator';
import type { ObjectRun } from '../object-run';
import { DraftCap } from '../rollup';

/**
 * How many of an object's distinct observations keep the event that showed them, to describe the
 * anomaly. Past this (a hostile object, thousands of identities) an observation keeps only its
 * counts and where it was first seen: enough to learn from and to count in a roll-up.
 */
const SAMPLED_OBSERVATIONS = 10_000;

/**
 * Something that only learns: it observes values for a baseline like an anomaly detector, and
 * never fires (the pipeline identities the engine reads back from the baseline).
 */
export interface Learner<E> {
  id: string;
  baselineKind: string;
  observe(event: E, context: DetectContext): readonly string[] | undefined;
}

/** One baseline (scope and kind) the object showed values of. */
interface Baseline<E> {
  scope: string;
  kind: string;
  detectorId: string;
  /** Its values by day, then by value. */
  days: Map<string, Map<string, Row<E>>>;
}

/** Events that showed a value: how many, when, and the earliest of them. */
interface Sighting<E> {
  count: number;
  firstTime: number;
  lastTime: number;
  /** The earliest event that showed it, within {@link SAMPLED_OBSERVATIONS}. */
  sample?: E;
  /** Where the earliest event is. */
  origin: Origin;
  cluster: string;
}

/** One value on one day: what the baseline learns, and how to describe it. Kept small: a hostile object has hundreds of thousands. */
interface Row<E> extends Sighting<E> {
  baseline: Baseline<E>;
  day: string;
  value: string;
  /** With a grace, the same by the grace's subject (`''` for events that never wait). */
  bySubject?: Map<string, Sighting<E>>;
}

/** One value across the object's days, as judged against its baseline. */
interface Candidate<E> extends Sighting<E> {
  value: string;
  bySubject?: Map<string, Sighting<E>>;
}

/**
 * Anomaly detectors fire on a value their baseline has not seen, once the scope's learning period
 * is over. Observations are aggregated per object (scope, baseline kind, value and day), written
 * for the rebaseline to learn from, and looked up in one batch per baseline.
 */
export class AnomalyEvaluator<E extends Located> implements Evaluator<E> {
  readonly byId: ReadonlyMap<string, AnomalyDetector<E>>;
  /** The detectors, then the learners: what sees each event, listed once. */
  readonly observers: readonly (AnomalyDetector<E> | Learner<E>)[];

  constructor(
    readonly detectors: readonly AnomalyDetector<E>[],
    readonly context: DetectContext,
    readonly shape: EventShape<E>,
    readonly baselines: BaselineStore,
    readonly learners: readonly Learner<E>[] = [],
    /** Holds back findings about some events (a new workload's first hours); they are still learned. */
    readonly grace?: Grace<E>,
  ) {
    this.byId = new Map(detectors.map((d) => [d.id, d]));
    this.observers = [...detectors, ...learners];
  }

  begin(run: ObjectRun): EvaluatorSession<E> {
    return new AnomalySession(this, run);
  }
}

class AnomalySession<E extends Located> implements EvaluatorSession<E> {
  /** The object's baselines, by scope and kind. */
  private readonly baselines = new Map<string, Baseline<E>>();
  /** Every row, in the order first seen (the order they are written in). */
  private readonly rows: Row<E>[] = [];
  /**
   * By baseline, the values events showed under a name they had before (a flow end a late pod
   * report named): a value is known when any of its earlier forms is. Bounded like the samples.
   */
  private readonly priors = new Map<string, Map<string, Set<string>>>();
  private priorCount = 0;

  constructor(
    private readonly evaluator: AnomalyEvaluator<E>,
    private readonly run: ObjectRun,
  ) {}

  /** The values the event shows, into the object's observations. */
  see(event: E): void {
    const { observers, context, shape, grace } = this.evaluator;
    let scope: string | undefined;
    let prior: E | undefined | null = null;
    let subject: string | undefined;
    for (const anomaly of observers) {
      const values = this.run.attempt(anomaly.id, event, () => anomaly.observe(event, context));
      if (!values) continue;
      scope ??= shape.scope(event);
      if (grace) subject ??= grace.subject(event) ?? '';
      const day = dayOf(event.time);
      for (const value of values) this.observe(anomaly, scope, day, value, event, subject);
      if (prior === null) prior = shape.prior?.(event);
      if (prior) this.observePrior(anomaly, scope, values, prior);
    }
  }

  /**
   * Pairs each value with the value the event showed under its earlier name (in the baseline its
   * history is kept in), when they differ.
   */
  private observePrior(
    anomaly: Learner<E> | AnomalyDetector<E>,
    scope: string,
    values: readonly string[],
    prior: E,
  ): void {
    if (this.priorCount >= SAMPLED_OBSERVATIONS) return;
    const { context } = this.evaluator;
    const history = 'history' in anomaly ? anomaly.history : undefined;
    const before = this.run.attempt(anomaly.id, prior, () =>
      history ? history.observe(prior, context) : anomaly.observe(prior, context),
    );
    if (!before || before.length !== values.length) return;
    const id = `${scope}\u0000${anomaly.baselineKind}`;
    let byValue = this.priors.get(id);
    for (const [i, value] of values.entries()) {
      const earlier = before[i];
      if (earlier === undefined || earlier === value) continue;
      if (!byValue) {
        byValue = new Map();
        this.priors.set(id, byValue);
      }
      const set = byValue.get(value) ?? new Set<string>();
      if (!set.has(earlier)) {
        set.add(earlier);
        this.priorCount++;
      }
      byValue.set(value, set);
    }
  }

  private observe(
    anomaly: Learner<E>,
    scope: string,
    day: string,
    value: string,
    event: E,
    subject: string | undefined,
  ): void {
    const id = `${scope}\u0000${anomaly.baselineKind}`;
    let baseline = this.baselines.get(id);
    if (!baseline) {
      baseline = { scope, kind: anomaly.baselineKind, detectorId: anomaly.id, days: new Map() };
      this.baselines.set(id, baseline);
    }
    let values = baseline.days.get(day);
    if (!values) {
      values = new Map();
      baseline.days.set(day, values);
    }
    const o = values.get(value);
    if (!o) {
      const row: Row<E> = {
        baseline,
        day,
        value,
        count: 1,
        firstTime: event.time,
        lastTime: event.time,
        origin: event.origin,
        cluster: this.evaluator.shape.cluster(event),
      };
      if (this.rows.length < SAMPLED_OBSERVATIONS) row.sample = event;
      if (subject !== undefined) row.bySubject = new Map([[subject, { ...sightingOf(row) }]]);
      values.set(value, row);
      this.rows.push(row);
      return;
    }
    this.sighted(o, event);
    if (subject === undefined || !o.bySubject) return;
    const bySubject = o.bySubject.get(subject);
    if (bySubject) this.sighted(bySubject, event);
    else {
      const sighting: Sighting<E> = {
        count: 1,
        firstTime: event.time,
        lastTime: event.time,
        origin: event.origin,
        cluster: this.evaluator.shape.cluster(event),
      };
      if (o.sample) sighting.sample = event;
      o.bySubject.set(subject, sighting);
    }
  }

  /** One more event that showed a value. */
  private sighted(o: Sighting<E>, event: E): void {
    o.count++;
    if (event.time < o.firstTime) {
      o.firstTime = event.time;
      o.origin = event.origin;
      o.cluster = this.evaluator.shape.cluster(event);
      if (o.sample) o.sample = event;
    }
    if (event.time > o.lastTime) o.lastTime = event.time;
  }

  /** Writes the observations, for the rebaseline to learn from. */
  async record(): Promise<void> {
    const { baselines } = this.evaluator;
    this.run.outcome.observations = await baselines.writeObservations(this.run.objectId, observations(this.rows));
  }

  async finish(events: readonly E[]): Promise<Draft[]> {
    // Drafts go through the cap as they are made: a hostile object's thousands never exist at once.
    const capped = new DraftCap(this.evaluator.context.config, this.run.objectId);
    const { grace, byId } = this.evaluator;
    const judged = [...this.baselines.values()].some((b) => byId.has(b.detectorId));
    const held = grace && judged ? await grace.judge(this.run, events) : undefined;
    for (const baseline of this.baselines.values()) await this.describeNew(baseline, capped, held);
    return capped.drafts();
  }

  /**
   * The drafts of one baseline: its values past the learning period that the baseline has not seen,
   * told by the events the grace does not hold back.
   */
  private async describeNew(
    group: Baseline<E>,
    capped: DraftCap,
    held?: (subject: string, time: number) => boolean,
  ): Promise<void> {
    const { baselines, byId } = this.evaluator;
    const learning = this.run.learning.get(group.scope);
    // A learner's baseline has no detector: it is learned, never judged.
    const detector = byId.get(group.detectorId);
    if (!learning || !detector) return;
    const candidates = this.candidates(group)
      .map((o) => (held ? unheld(o, held) : o))
      .filter((o): o is Candidate<E> => o !== undefined && o.firstTime >= learning.end);
    if (candidates.length === 0) return;
    const known = await baselines.lookup(
      group.scope,
      group.kind,
      candidates.map((o) => o.value),
    );
    const knownBefore = await this.knownBefore(group, candidates, known);
    const isKnown = (value: string) => known.has(value) || knownBefore.has(value);
    const related = await this.relatedKnown(
      group.scope,
      detector,
      candidates.map((o) => o.value).filter((v) => !isKnown(v)),
    );
    let baseline: Draft['baseline'];
    for (const o of candidates) {
      if (isKnown(o.value)) continue;
      const relatedKnown = related?.(o.value);
      if (detector.related?.required && relatedKnown !== true) continue;
      const detection = this.describe(detector, o, relatedKnown);
      if (!detection) continue;
      baseline ??= await this.expected(group, detector, learning.start);
      capped.add({
        detector,
        detection,
        baseline,
        sample: o.sample ?? { time: o.firstTime, origin: o.origin },
        count: o.count,
        identity: `${group.scope}|${o.value}`,
        scope: group.scope,
        cluster: o.cluster,
      });
    }
  }

  /**
   * The new values whose earlier form the baseline knows: a workload named late keeps the history
   * its address and subnet built.
   */
  private async knownBefore(
    group: Baseline<E>,
    candidates: readonly Candidate<E>[],
    known: ReadonlyMap<string, unknown>,
  ): Promise<Set<string>> {
    const out = new Set<string>();
    const priors = this.priors.get(`${group.scope}\u0000${group.kind}`);
    if (!priors) return out;
    const wanted = candidates.filter((o) => !known.has(o.value) && priors.has(o.value));
    if (wanted.length === 0) return out;
    const detector = this.evaluator.byId.get(group.detectorId);
    const earlier = await this.evaluator.baselines.lookup(group.scope, detector?.history?.kind ?? group.kind, [
      ...new Set(wanted.flatMap((o) => [...(priors.get(o.value) ?? [])])),
    ]);
    for (const o of wanted) if ([...(priors.get(o.value) ?? [])].some((v) => earlier.has(v))) out.add(o.value);
    return out;
  }

  /** For a detector with a related baseline, whether that baseline knows each new value's counterpart. */
  private async relatedKnown(
    scope: string,
    detector: AnomalyDetector<E>,
    values: readonly string[],
  ): Promise<((value: string) => boolean) | undefined> {
    const { related } = detector;
    if (!related || values.length === 0) return undefined;
    const counterparts = [...new Set(values.map((v) => related.of(v)))];
    const known = await this.evaluator.baselines.lookup(scope, related.kind, counterparts);
    return (value) => known.has(related.of(value));
  }

  /** One per value, in the order first seen: the earliest day's event, with counts summed over days. */
  private candidates(baseline: Baseline<E>): Candidate<E>[] {
    const [only, ...more] = baseline.days.values();
    if (only && more.length === 0) return [...only.values()];
    const byValue = new Map<string, Candidate<E>>();
    for (const row of this.rows) {
      if (row.baseline !== baseline) continue;
      const seen = byValue.get(row.value);
      if (!seen) {
        byValue.set(row.value, {
          ...row,
          ...(row.bySubject ? { bySubject: new Map([...row.bySubject].map(([k, v]) => [k, { ...v }])) } : {}),
        });
        continue;
      }
      merge(seen, row);
      for (const [subject, sighting] of row.bySubject ?? []) {
        const same = seen.bySubject?.get(subject);
        if (same) merge(same, sighting);
        else seen.bySubject?.set(subject, { ...sighting });
      }
    }
    return [...byValue.values()];
  }

  /**
   * The detector's description of a new value from its first event; a value past the sampling
   * budget has no event, and is told by its value alone (it is one of thousands, and rolled up).
   */
  private describe(detector: AnomalyDetector<E>, o: Candidate<E>, relatedKnown?: boolean): Detection | undefined {
    const { sample } = o;
    if (sample)
      return this.run.attempt(detector.id, sample, () =>
        detector.describe(o.value, sample, this.evaluator.context, relatedKnown),
      );
    return {
      summary: `${o.value} is not among the ${detector.expectedNoun} (the object showed more distinct values than the engine keeps events for, so only the value is known).`,
      entities: { value: o.value },
      evidence: `${detector.baselineKind}: ${o.value} (${o.count} events)`,
      dedupeKey: o.value,
    };
  }

  /** What the baseline expected: a few of its known values. */
  private async expected(
    group: Baseline<E>,
    detector: AnomalyDetector<E>,
    since: number,
  ): Promise<NonNullable<Draft['baseline']>> {
    const sample = (await this.evaluator.baselines.sample(group.scope, group.kind)).map((e) => e.value);
    return {
      expected: sample.length ? `${detector.expectedNoun}: ${sample.join(', ')}` : `no ${detector.expectedNoun} yet`,
      since: iso(since),
      known: sample,
    };
  }
}

/** Adds a day's sightings of a value to what earlier days showed. */
function merge<E>(into: Sighting<E>, more: Sighting<E>): void {
  into.count += more.count;
  if (more.firstTime < into.firstTime) {
    into.firstTime = more.firstTime;
    into.sample = more.sample;
    into.origin = more.origin;
    into.cluster = more.cluster;
  }
  if (more.lastTime > into.lastTime) into.lastTime = more.lastTime;
}

function sightingOf<E>(o: Sighting<E>): Sighting<E> {
  const { count, firstTime, lastTime, sample, origin, cluster } = o;
  return { count, firstTime, lastTime, origin, cluster, ...(sample ? { sample } : {}) };
}

/**
 * A value as told by the events the grace does not hold back: a subject is held when all its
 * events (up to its last) fall in its grace. Undefined when every event is held.
 */
function unheld<E>(o: Candidate<E>, held: (subject: string, time: number) => boolean): Candidate<E> | undefined {
  if (!o.bySubject) return o;
  let told: Candidate<E> | undefined;
  for (const [subject, sighting] of o.bySubject) {
    if (subject !== '' && held(subject, sighting.lastTime)) continue;
    if (!told) told = { value: o.value, ...sightingOf(sighting) };
    else merge(told, sighting);
  }
  return told;
}

/** A baseline's rows as plain observations, in the order first seen, made one at a time. */
function* observations<E>(rows: readonly Row<E>[]): Generator<Omit<Observation<E>, 'sample'>> {
  for (const r of rows) {
    const { scope, kind, detectorId } = r.baseline;
    yield {
      scope,
      kind,
      detectorId,
      value: r.value,
      day: r.day,
      count: r.count,
      firstTime: r.firstTime,
      lastTime: r.lastTime,
    };
  }
}
