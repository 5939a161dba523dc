import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config/load';
import { buildDetectContext } from '../../shared/detect/context';
import { EXAMPLE_THREAT_LIST } from '../../shared/detect/net/threat-intel-match';
import { ALL_DETECTORS, AUDIT_DETECTORS, FLOW_DETECTORS } from '../../shared/detect/registry';
import type { DetectContext, Detector, Located } from '../../shared/detect/types';
import { ThreatIntel } from '../../shared/intel/threat-intel';
import { MINUTE_MS } from '../../shared/util/time';
import { runKindExamples } from './kind-examples';

const intel = new ThreatIntel();
intel.addList('examples', EXAMPLE_THREAT_LIST);

/** The context a detector's examples run in: the defaults, plus the config its examples name. */
function contextFor(detector: Detector<unknown>): DetectContext {
  return buildDetectContext(defaultConfig(detector.examples.config ?? {}), intel);
}

function runExamples<E extends Located>(detector: Detector<E>) {
  const context = contextFor(detector as Detector<unknown>);
  if (detector.kind === 'rule') {
    describe(`${detector.id} (rule)`, () => {
      it.each(detector.examples.fires.map((e, i) => [i, e] as const))('fires on example %i', (_i, event) => {
        const detection = detector.detect(event, context);
        expect(detection).toBeDefined();
        expect(detection?.summary.length).toBeGreaterThan(10);
        expect(detection?.dedupeKey).toBeTruthy();
      });
      it.each(detector.examples.quiet.map((e, i) => [i, e] as const))('stays quiet on example %i', (_i, event) => {
        expect(detector.detect(event, context)).toBeUndefined();
      });
      const { dedupeKey } = detector;
      if (dedupeKey) {
        it('names the same finding as detect() on every example, without describing it', () => {
          for (const event of [...detector.examples.fires, ...detector.examples.quiet]) {
            expect(dedupeKey.call(detector, event, context)).toBe(detector.detect(event, context)?.dedupeKey);
          }
        });
      }
    });
    return;
  }
  if (detector.kind === 'threshold') {
    describe(`${detector.id} (threshold)`, () => {
      // Counted as the engine counts: per key and fixed window of event time.
      const fired = (events: E[]) => {
        const { threshold, windowMinutes } = detector.limits(context);
        const windowMs = windowMinutes * MINUTE_MS;
        const counts = new Map<string, { key: string; count: number; sample: E }>();
        for (const event of events) {
          for (const key of detector.count(event, context) ?? []) {
            const id = `${key}\u0000${Math.floor(event.time / windowMs)}`;
            const c = counts.get(id) ?? { key, count: 0, sample: event };
            c.count++;
            counts.set(id, c);
          }
        }
        return [...counts.values()]
          .filter((c) => c.count >= threshold)
          .map((c) => detector.describe(c.key, c.count, c.sample, context))
          .filter((d) => d !== undefined);
      };
      it.each(detector.examples.fires.map((e, i) => [i, e] as const))('fires on group %i', (_i, events) => {
        const detections = fired(events);
        expect(detections.length).toBeGreaterThan(0);
        expect(detections[0]?.summary.length).toBeGreaterThan(10);
      });
      it.each(detector.examples.quiet.map((e, i) => [i, e] as const))('stays quiet on group %i', (_i, events) => {
        expect(fired(events)).toEqual([]);
      });
    });
    return;
  }
  // Distinct, correlation, spike and health detectors (the network analysis's kinds).
  if (runKindExamples(detector, context)) return;
  if (detector.kind !== 'anomaly') return; // other kinds run their examples in their own suites
  describe(`${detector.id} (anomaly)`, () => {
    const known = new Set(detector.examples.baseline);
    const fired = (event: E) =>
      (detector.observe(event, context) ?? [])
        .filter((value) => !known.has(value))
        .map((value) => detector.describe(value, event, context))
        .filter((d) => d !== undefined);
    it.each(detector.examples.fires.map((e, i) => [i, e] as const))('fires on example %i', (_i, event) => {
      const detections = fired(event);
      expect(detections.length).toBeGreaterThan(0);
      expect(detections[0]?.summary.length).toBeGreaterThan(10);
    });
    it.each(detector.examples.quiet.map((e, i) => [i, e] as const))('stays quiet on example %i', (_i, event) => {
      expect(fired(event)).toEqual([]);
    });
  });
}

describe('detector catalog', () => {
  for (const detector of AUDIT_DETECTORS) runExamples(detector);
  for (const detector of FLOW_DETECTORS) runExamples(detector);

  it('gives every detector an id that matches its file, complete metadata, and examples both ways', () => {
    const ids = new Set<string>();
    for (const detector of ALL_DETECTORS) {
      expect(ids.has(detector.id), detector.id).toBe(false);
      ids.add(detector.id);
      const [family, name] = detector.id.split('.');
      const folder = family === 'audit' ? 'audit' : 'net';
      expect(existsSync(`shared/detect/${folder}/${name}.ts`), detector.id).toBe(true);
      expect(detector.source).toBe(family === 'audit' ? 'eks-audit' : 'vpc-flow');
      expect(detector.title.length).toBeGreaterThan(5);
      expect(detector.description.length).toBeGreaterThan(40);
      expect(detector.runbook.length).toBeGreaterThan(40);
      expect(detector.mitre.length, detector.id).toBeGreaterThan(0);
      expect(detector.mitre.every((m) => /^T\d{4}(\.\d{3})?$/.test(m))).toBe(true);
      expect(detector.dedupeMinutes).toBeGreaterThan(0);
      for (const peer of ['falco', 'guardduty', 'elastic', 'sigma'] as const) {
        expect(detector.equivalents[peer].length, `${detector.id} ${peer}`).toBeGreaterThan(0);
      }
      const examples = (detector as Detector<unknown>).examples;
      expect(examples.fires.length).toBeGreaterThan(0);
      expect(examples.quiet.length).toBeGreaterThan(0);
    }
  });

  it('gives anomaly detectors a dedupe window of a day at least, as baselines learn once a day', () => {
    for (const detector of AUDIT_DETECTORS) {
      if (detector.kind === 'anomaly') expect(detector.dedupeMinutes, detector.id).toBeGreaterThanOrEqual(24 * 60);
    }
  });
});
