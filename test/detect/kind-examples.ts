import { describe, expect, it } from 'vitest';
import { statsOf } from '../../shared/baseline/edge-stats';
import type {
  CorrelationDetector,
  CorrelationSighting,
  DetectContext,
  Detection,
  DistinctDetector,
  HealthDetector,
  Located,
  SpikeDetector,
} from '../../shared/detect/types';
import { MINUTE_MS } from '../../shared/util/time';

/**
 * The examples of the detector kinds beyond rules, new values and thresholds, evaluated in
 * memory the way the engine evaluates them against the table: distinct values per key and window,
 * both sides of a correlation within its window, an hour against statistics of hourly values,
 * and a log's health.
 */

function expectDetections(detections: readonly Detection[]): void {
  expect(detections.length).toBeGreaterThan(0);
  for (const detection of detections) {
    expect(detection.summary.length).toBeGreaterThan(10);
    expect(detection.dedupeKey).toBeTruthy();
  }
}

export function distinctFired<E extends Located>(
  detector: DistinctDetector<E>,
  events: E[],
  context: DetectContext,
): Detection[] {
  const { threshold, windowMinutes } = detector.limits(context);
  const windowMs = windowMinutes * MINUTE_MS;
  const groups = new Map<string, { key: string; values: Set<string>; sample: E }>();
  for (const event of events) {
    for (const { key, value } of detector.distinct(event, context) ?? []) {
      const id = `${key}\u0000${Math.floor(event.time / windowMs)}`;
      const group = groups.get(id) ?? { key, values: new Set<string>(), sample: event };
      group.values.add(value);
      groups.set(id, group);
    }
  }
  return [...groups.values()]
    .filter((g) => g.values.size >= threshold)
    .map((g) => detector.describe(g.key, [...g.values], g.sample, context))
    .filter((d) => d !== undefined);
}

export function correlationFired<E extends Located & { lastTime?: number }>(
  detector: CorrelationDetector<E>,
  events: E[],
  context: DetectContext,
): Detection[] {
  const windowMs = detector.windowMinutes(context) * MINUTE_MS;
  const seen = new Map<string, CorrelationSighting>();
  const out: Detection[] = [];
  for (const event of events) {
    for (const side of detector.sides(event, context) ?? []) {
      const sighting = { ...side, firstTime: event.time, lastTime: event.lastTime ?? event.time };
      seen.set(`${side.key}\u0000${side.side}\u0000${side.value}`, sighting);
      const other = [...seen.values()].filter(
        (s) => s.key === side.key && s.side !== side.side && Math.abs(s.lastTime - sighting.firstTime) <= windowMs,
      );
      for (const match of other) {
        const [first, second] = side.side === 'first' ? [sighting, match] : [match, sighting];
        // One hop up a chain, as the engine does: the first side of the key the first side's value names.
        const upstream = [...seen.values()].find((s) => s.side === 'first' && s.key === first.value);
        const detection = detector.describe(
          side.key,
          upstream ? { ...first, upstream } : first,
          second,
          event,
          context,
        );
        if (detection) out.push(detection);
      }
    }
  }
  return out;
}

/** Statistics of the example's hourly values, 24 to a day. */
function exampleStats(values: readonly number[]) {
  const hours: Record<string, [number, number, number, number]> = {};
  values.forEach((value, i) => {
    const hour = new Date(Date.UTC(2026, 10, 1) + i * 3_600_000).toISOString().slice(0, 13);
    hours[hour] = [value, value, value, value];
  });
  return statsOf(hours);
}

export function spikeFired<E>(
  detector: SpikeDetector<E>,
  example: { event: E; observed: number },
  context: DetectContext,
  baseline: number[],
) {
  if (!detector.applies(example.event, context)) return undefined;
  const stats = exampleStats(baseline)[detector.metric];
  const limit = detector.limit(stats, context);
  if (limit === undefined || example.observed <= limit) return undefined;
  return detector.describe(example.observed, limit, stats, example.event, context);
}

export function healthFired(
  detector: HealthDetector,
  input: HealthDetector['examples']['fires'][number],
  context: DetectContext,
) {
  return input.kind === 'object' ? detector.inspect(input, context) : detector.silence(input, context);
}

/** Runs a detector's examples if it is of one of these kinds; returns false otherwise. */
export function runKindExamples<E extends Located & { lastTime?: number }>(
  detector: DistinctDetector<E> | CorrelationDetector<E> | SpikeDetector<E> | HealthDetector | { kind: string },
  context: DetectContext,
): boolean {
  switch (detector.kind) {
    case 'distinct': {
      const d = detector as DistinctDetector<E>;
      describe(`${d.id} (distinct)`, () => {
        it.each(d.examples.fires.map((e, i) => [i, e] as const))('fires on group %i', (_i, events) => {
          expectDetections(distinctFired(d, events, context));
        });
        it.each(d.examples.quiet.map((e, i) => [i, e] as const))('stays quiet on group %i', (_i, events) => {
          expect(distinctFired(d, events, context)).toEqual([]);
        });
      });
      return true;
    }
    case 'correlation': {
      const d = detector as CorrelationDetector<E>;
      describe(`${d.id} (correlation)`, () => {
        it.each(d.examples.fires.map((e, i) => [i, e] as const))('fires on group %i', (_i, events) => {
          expectDetections(correlationFired(d, events, context));
        });
        it.each(d.examples.quiet.map((e, i) => [i, e] as const))('stays quiet on group %i', (_i, events) => {
          expect(correlationFired(d, events, context)).toEqual([]);
        });
      });
      return true;
    }
    case 'spike': {
      const d = detector as SpikeDetector<E>;
      describe(`${d.id} (spike)`, () => {
        it.each(d.examples.fires.map((e, i) => [i, e] as const))('fires on example %i', (_i, example) => {
          const detection = spikeFired(d, example, context, d.examples.baseline);
          expect(detection).toBeDefined();
          expectDetections([detection as Detection]);
        });
        it.each(d.examples.quiet.map((e, i) => [i, e] as const))('stays quiet on example %i', (_i, example) => {
          expect(spikeFired(d, example, context, d.examples.baseline)).toBeUndefined();
        });
        it('stays quiet while the history is short', () => {
          const example = d.examples.fires[0] as { event: E; observed: number };
          expect(spikeFired(d, example, context, d.examples.baseline.slice(0, 5))).toBeUndefined();
        });
      });
      return true;
    }
    case 'health': {
      const d = detector as HealthDetector;
      describe(`${d.id} (health)`, () => {
        it.each(d.examples.fires.map((e, i) => [i, e] as const))('fires on example %i', (_i, input) => {
          const detection = healthFired(d, input, context);
          expect(detection).toBeDefined();
          expectDetections([detection as Detection]);
        });
        it.each(d.examples.quiet.map((e, i) => [i, e] as const))('stays quiet on example %i', (_i, input) => {
          expect(healthFired(d, input, context)).toBeUndefined();
        });
      });
      return true;
    }
    default:
      return false;
  }
}
