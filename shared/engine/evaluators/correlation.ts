import type { CorrelationStore } from '../../baseline';
import type { CorrelationDetector, CorrelationSighting, DetectContext, Located } from '../../detect';
import { HOUR_MS, MINUTE_MS } from '../../util';
import type { Draft } from '../draft';
import type { Evaluator, EvaluatorSession, EventShape } from '../evaluator';
import type { ObjectRun } from '../object-run';

/** An event with a time span (a flow edge's first and last record), or an instant (an audit event). */
type Spanned = Located & { lastTime?: number };

/** A remembered sighting is rewritten when it moved on by this much, to bound writes for steady traffic. */
const REFRESH_MS = 6 * HOUR_MS;
/** Streamed events that show a side an object keeps at most. */
const MAX_RELEVANT = 100_000;
/** Second-side sightings this process wrote recently, so a container does not rewrite them every object. */
const WRITTEN_CACHE_SIZE = 50_000;

/** One key's sides in one object: each side and value once, with its earliest event. */
interface Group<E> {
  scope: string;
  key: string;
  seen: Map<string, CorrelationSighting>;
  samples: Map<string, E>;
}

/**
 * Correlation detectors fire when one key shows both sides within a window, in either order and
 * in any objects: a workload that receives public traffic and also reaches a sensitive resource.
 * Sightings are remembered in the table; each object reads them once per key it shows.
 */
export class CorrelationEvaluator<E extends Spanned> implements Evaluator<E> {
  /** Sightings this process wrote, by key, with the last time written. */
  private readonly written = new Map<string, number>();

  constructor(
    readonly detectors: readonly CorrelationDetector<E>[],
    readonly context: DetectContext,
    readonly shape: EventShape<E>,
    readonly store: CorrelationStore,
    /** Events stream past (audit objects keep none): the session keeps those that show a side, for `finish`. */
    readonly streamed = false,
  ) {}

  begin(run: ObjectRun): EvaluatorSession<E> {
    return new CorrelationSession(this, run);
  }

  /** When a second side was last written by this process. */
  writtenAt(cacheKey: string): number | undefined {
    return this.written.get(cacheKey);
  }

  /** Notes a sighting written; the cache is bounded and simply starts over when full. */
  noteWritten(cacheKey: string, lastTime: number): void {
    if (this.written.size >= WRITTEN_CACHE_SIZE) this.written.clear();
    this.written.set(cacheKey, Math.max(lastTime, this.written.get(cacheKey) ?? 0));
  }
}

class CorrelationSession<E extends Spanned> implements EvaluatorSession<E> {
  constructor(
    private readonly evaluator: CorrelationEvaluator<E>,
    private readonly run: ObjectRun,
  ) {}

  /** Events that showed a side, when the object's events are not kept for `finish`. */
  private readonly relevant: E[] = [];

  /**
   * Nothing per kept event: each detector groups the object's events in turn when the session
   * finishes, so that only one detector's groups are alive at a time. Streamed events that show a
   * side are kept, up to a bound.
   */
  see(event: E): void {
    const { detectors, context, streamed } = this.evaluator;
    if (!streamed || this.relevant.length >= MAX_RELEVANT) return;
    const shows = detectors.some(
      (detector) => (this.run.attempt(detector.id, event, () => detector.sides(event, context))?.length ?? 0) > 0,
    );
    if (shows) this.relevant.push(event);
  }

  async finish(kept: readonly E[]): Promise<Draft[]> {
    const events = this.relevant.length > 0 ? [...kept, ...this.relevant] : kept;
    const drafts: Draft[] = [];
    for (const detector of this.evaluator.detectors) {
      const groups = this.groups(detector, events);
      if (groups.size > 0) drafts.push(...(await this.correlate(detector, groups)));
    }
    return drafts;
  }

  /** One detector's sides in the object, by scope and key: each side and value once, with its earliest event. */
  private groups(detector: CorrelationDetector<E>, events: readonly E[]): Map<string, Group<E>> {
    const { context, shape } = this.evaluator;
    const groups = new Map<string, Group<E>>();
    for (const event of events) {
      const sides = this.run.attempt(detector.id, event, () => detector.sides(event, context));
      if (!sides) continue;
      const scope = shape.scope(event);
      for (const side of sides) {
        const id = `${scope}\u0000${side.key}`;
        let group = groups.get(id);
        if (!group) {
          group = { scope, key: side.key, seen: new Map(), samples: new Map() };
          groups.set(id, group);
        }
        const at = `${side.side}\u0000${side.value}`;
        const known = group.seen.get(at);
        const lastTime = event.lastTime ?? event.time;
        if (!known) group.seen.set(at, { ...side, firstTime: event.time, lastTime });
        else {
          known.firstTime = Math.min(known.firstTime, event.time);
          known.lastTime = Math.max(known.lastTime, lastTime);
        }
        const sample = group.samples.get(at);
        if (!sample || event.time < sample.time) group.samples.set(at, event);
      }
    }
    return groups;
  }

  private async correlate(detector: CorrelationDetector<E>, groups: Map<string, Group<E>>): Promise<Draft[]> {
    const windowMs = detector.windowMinutes(this.evaluator.context) * MINUTE_MS;
    const storedFirsts = await this.rememberedFirsts(detector, groups);
    const near = (a: CorrelationSighting, b: CorrelationSighting) =>
      a.lastTime >= b.firstTime - windowMs && a.firstTime <= b.lastTime + windowMs;
    const latestNear = (candidates: readonly CorrelationSighting[], to: CorrelationSighting) =>
      candidates.filter((c) => near(c, to)).sort((a, b) => b.lastTime - a.lastTime)[0];
    const drafts: Draft[] = [];
    for (const [id, group] of groups) {
      const objectSides = [...group.seen.entries()];
      const firsts = objectSides.filter(([, s]) => s.side === 'first').map(([, s]) => s);
      const seconds = objectSides.filter(([, s]) => s.side === 'second');
      const remembered = storedFirsts.get(id) ?? [];
      const fired = new Set<string>();
      const fire = (first: CorrelationSighting, second: CorrelationSighting, sample: E) => {
        if (fired.has(second.value)) return;
        fired.add(second.value);
        const draft = this.describe(detector, groups, group, first, second, sample);
        if (draft) drafts.push(draft);
      };
      // A second side in this object, with the key's first side (in this object or remembered) in the window.
      for (const [at, second] of seconds) {
        const first = latestNear([...firsts, ...remembered], second);
        if (first) fire(first, second, group.samples.get(at) as E);
      }
      // A key that becomes a first side now: its second sides remembered from before, within the window.
      // (Keys already remembered as first sides had their second sides checked as those arrived.)
      for (const first of firsts) {
        if (remembered.some((r) => near(r, first))) continue;
        for (const second of await this.evaluator.store.secondSides(group.scope, detector.id, group.key)) {
          if (near(first, second)) fire(first, second, group.samples.get(`first\u0000${first.value}`) as E);
        }
        break;
      }
      await this.remember(detector, group, remembered, windowMs);
    }
    return drafts;
  }

  /** The remembered first sides of every scope in the object: one query each, by scope and key. */
  private async rememberedFirsts(
    detector: CorrelationDetector<E>,
    groups: Map<string, Group<E>>,
  ): Promise<Map<string, CorrelationSighting[]>> {
    const storedFirsts = new Map<string, CorrelationSighting[]>();
    for (const scope of new Set([...groups.values()].map((g) => g.scope))) {
      for (const sighting of await this.evaluator.store.firstSides(scope, detector.id)) {
        const id = `${scope}\u0000${sighting.key}`;
        const list = storedFirsts.get(id);
        if (list) list.push(sighting);
        else storedFirsts.set(id, [sighting]);
      }
    }
    return storedFirsts;
  }

  private describe(
    detector: CorrelationDetector<E>,
    groups: Map<string, Group<E>>,
    group: Group<E>,
    first: CorrelationSighting,
    second: CorrelationSighting,
    sample: E,
  ): Draft | undefined {
    const { context, shape } = this.evaluator;
    const detection = this.run.attempt(detector.id, sample, () =>
      detector.describe(group.key, withUpstream(groups, group.scope, first), second, sample, context),
    );
    if (!detection) return undefined;
    return {
      detector,
      detection,
      sample,
      count: 1,
      identity: `${group.scope}|${group.key}|${second.value}`,
      scope: group.scope,
      cluster: shape.cluster(sample),
    };
  }

  /** Remembers this object's sightings of a key, skipping what is remembered and fresh. */
  private async remember(
    detector: CorrelationDetector<E>,
    group: Group<E>,
    remembered: readonly CorrelationSighting[],
    windowMs: number,
  ): Promise<void> {
    const { store } = this.evaluator;
    for (const sighting of group.seen.values()) {
      const cacheKey = `${group.scope}\u0000${detector.id}\u0000${sighting.side}\u0000${group.key}\u0000${sighting.value}`;
      const stored =
        sighting.side === 'first'
          ? remembered.find((r) => r.value === sighting.value)?.lastTime
          : this.evaluator.writtenAt(cacheKey);
      if (stored !== undefined && stored + REFRESH_MS >= sighting.lastTime) continue;
      await store.remember(group.scope, detector.id, sighting, windowMs);
      this.evaluator.noteWritten(cacheKey, sighting.lastTime);
    }
  }
}

/** One hop up a chain: the first side of the key a first side's value names, in this object. */
function withUpstream<E>(
  groups: Map<string, Group<E>>,
  scope: string,
  first: CorrelationSighting,
): CorrelationSighting {
  const up = groups.get(`${scope}\u0000${first.value}`);
  if (!up) return first;
  const upstream = [...up.seen.values()]
    .filter((s) => s.side === 'first' && s.value !== first.key)
    .sort((a, b) => b.lastTime - a.lastTime)[0];
  return upstream ? { ...first, upstream } : first;
}
