import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config/load';
import { buildDetectContext } from '../../shared/detect/context';
import { EXAMPLE_THREAT_LIST } from '../../shared/detect/net/threat-intel-match';
import { ALL_DETECTORS, AUDIT_DETECTORS, FLOW_DETECTORS } from '../../shared/detect/registry';
import type { DetectContext, Detector } from '../../shared/detect/types';
import { ThreatIntel } from '../../shared/intel/threat-intel';

const intel = new ThreatIntel();
intel.addList('examples', EXAMPLE_THREAT_LIST);
const context: DetectContext = buildDetectContext(defaultConfig(), intel);

function runExamples<E>(detector: Detector<E>) {
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
    });
    return;
  }
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
      expect(detector.mitre.every((m) => /^T\d{4}(\.\d{3})?$/.test(m))).toBe(true);
      expect(detector.dedupeMinutes).toBeGreaterThan(0);
      const examples = (detector as Detector<unknown>).examples;
      expect(examples.fires.length).toBeGreaterThan(0);
      expect(examples.quiet.length).toBeGreaterThan(0);
    }
  });
});
