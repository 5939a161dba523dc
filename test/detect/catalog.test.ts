import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config/load';
import type { LearnedPipeline } from '../../shared/detect';
import { buildDetectContext } from '../../shared/detect/context';
import { EXAMPLE_THREAT_LIST } from '../../shared/detect/net/threat-intel-match';
import { volumeSpike } from '../../shared/detect/net/volume-spike';
import {
  ALL_DETECTORS,
  AUDIT_DETECTORS,
  AUDIT_KINDS,
  type AuditDetector,
  FLOW_DETECTORS,
  FLOW_KINDS,
  type FlowDetector,
} from '../../shared/detect/registry';
import type { DetectContext, Detector, Located, SpikeDetector } from '../../shared/detect/types';
import type { Draft } from '../../shared/engine/draft';
import type { AuditEvent } from '../../shared/ingest';
import { ThreatIntel } from '../../shared/intel/threat-intel';
import type { FlowEdge } from '../../shared/network';
import { ExampleRunner, healthDrafts, withMetric } from './run-examples';

const intel = new ThreatIntel();
intel.addList('examples', EXAMPLE_THREAT_LIST);

/** The context a detector's examples run in: the defaults, plus the config and learned pipelines its examples name. */
function contextFor(detector: Detector<unknown>): DetectContext {
  const context = buildDetectContext(defaultConfig(detector.examples.config ?? {}), intel);
  const { learnedPipelines } = detector.examples as { learnedPipelines?: readonly LearnedPipeline[] };
  if (learnedPipelines) context.learnedPipelines.replace(learnedPipelines);
  return context;
}

/**
 * Every detection a draft carries says what happened and can be deduplicated; one about traffic
 * says which end is the client, so the report can place it on the map.
 */
function expectDetections(drafts: readonly Draft[]): void {
  expect(drafts.length).toBeGreaterThan(0);
  for (const { detector, detection } of drafts) {
    expect(detection.summary.length).toBeGreaterThan(10);
    expect(detection.dedupeKey).toBeTruthy();
    if (detector.source === 'vpc-flow' && (detector as { kind?: string }).kind !== 'health') {
      expect(detection.roles?.client?.address, detector.id).toBeTruthy();
    }
  }
}

const cases = <T>(list: readonly T[]) => list.map((e, i) => [i, e] as const);

/**
 * Runs a detector's examples through the engine's evaluators ({@link ExampleRunner}): each
 * example that must fire makes a draft, each that must stay quiet makes none.
 */
function runExamples(detector: AuditDetector | FlowDetector, source: 'audit' | 'flow') {
  const context = contextFor(detector as Detector<unknown>);
  const runner = <E extends Located>() => new ExampleRunner<E>(detector, context, source);
  describe(`${detector.id} (${detector.kind})`, () => {
    switch (detector.kind) {
      case 'rule': {
        const { examples } = detector;
        it.each(cases<Located>(examples.fires))('fires on example %i', async (_i, event) => {
          expectDetections(await runner().object([event]));
        });
        it.each(cases<Located>(examples.quiet))('stays quiet on example %i', async (_i, event) => {
          expect(await runner().object([event])).toEqual([]);
        });
        const { dedupeKey } = detector;
        if (dedupeKey) {
          it('names the same finding as detect() on every example, without describing it', () => {
            for (const event of [...examples.fires, ...examples.quiet] as never[]) {
              expect(dedupeKey.call(detector, event, context)).toBe(detector.detect(event, context)?.dedupeKey);
            }
          });
        }
        return;
      }
      case 'anomaly': {
        const { examples, baselineKind, related } = detector;
        const learned = async (event: Located) => {
          const r = runner();
          await r.learn(baselineKind, examples.baseline, [event]);
          if (related && examples.related) await r.learn(related.kind, examples.related, [event]);
          return r.object([event]);
        };
        it.each(cases<Located>(examples.fires))('fires on example %i', async (_i, event) => {
          expectDetections(await learned(event));
        });
        it.each(cases<Located>(examples.quiet))('stays quiet on example %i', async (_i, event) => {
          expect(await learned(event)).toEqual([]);
        });
        it('stays quiet on every example while the scope is still learning', async () => {
          for (const event of examples.fires as Located[]) {
            const r = runner();
            await r.learn(baselineKind, examples.baseline, [event]);
            expect(await r.object([event], { learning: 'in progress' })).toEqual([]);
          }
        });
        return;
      }
      case 'threshold':
      case 'distinct':
      case 'correlation': {
        const { examples } = detector;
        // One object holding the group, and one object per event on one table: the same answer both ways.
        it.each(cases<Located[]>(examples.fires))(
          'fires on group %i, in one object and across objects',
          async (_i, events) => {
            expectDetections(await runner().object(events));
            expectDetections(await runner().oneObjectEach(events));
          },
        );
        it.each(cases<Located[]>(examples.quiet))(
          'stays quiet on group %i, in one object and across objects',
          async (_i, events) => {
            expect(await runner().object(events)).toEqual([]);
            expect(await runner().oneObjectEach(events)).toEqual([]);
          },
        );
        return;
      }
      case 'spike': {
        const { examples, metric } = detector;
        const spiked = async (example: { event: FlowEdge; observed: number }, history: readonly number[]) => {
          const r = runner<FlowEdge>();
          await r.history(example.event, history);
          return r.object([withMetric(example.event, metric, example.observed)]);
        };
        it.each(cases(examples.fires))('fires on example %i', async (_i, example) => {
          expectDetections(await spiked(example as { event: FlowEdge; observed: number }, examples.baseline));
        });
        it.each(cases(examples.quiet))('stays quiet on example %i', async (_i, example) => {
          expect(await spiked(example as { event: FlowEdge; observed: number }, examples.baseline)).toEqual([]);
        });
        it('stays quiet while the history is short', async () => {
          const example = examples.fires[0] as { event: FlowEdge; observed: number };
          expect(await spiked(example, examples.baseline.slice(0, 5))).toEqual([]);
        });
        it('stays quiet with no history at all', async () => {
          const example = examples.fires[0] as { event: FlowEdge; observed: number };
          expect(await runner<FlowEdge>().object([withMetric(example.event, metric, example.observed)])).toEqual([]);
        });
        return;
      }
      case 'health': {
        const { examples } = detector;
        it.each(cases(examples.fires))('fires on example %i', async (_i, input) => {
          expectDetections(await healthDrafts(runner<FlowEdge>(), input));
        });
        it.each(cases(examples.quiet))('stays quiet on example %i', async (_i, input) => {
          expect(await healthDrafts(runner<FlowEdge>(), input)).toEqual([]);
        });
        return;
      }
    }
  });
}

describe('detector catalog', () => {
  for (const detector of AUDIT_DETECTORS) runExamples(detector, 'audit');
  for (const detector of FLOW_DETECTORS) runExamples(detector, 'flow');

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

  it('runs on each source only the kinds the engine evaluates there, which the compiler holds too', () => {
    for (const detector of AUDIT_DETECTORS) expect(AUDIT_KINDS, detector.id).toContain(detector.kind);
    for (const detector of FLOW_DETECTORS) expect(FLOW_KINDS, detector.id).toContain(detector.kind);
    // A spike or health detector of audit events would never fire: it does not compile.
    const spike: SpikeDetector<AuditEvent> = {
      ...volumeSpike,
      examples: { baseline: [], fires: [], quiet: [] },
    } as never;
    // @ts-expect-error a spike detector is no AuditDetector
    const wrong: AuditDetector = spike;
    expect(wrong.kind).toBe('spike');
  });

  it('gives anomaly detectors a dedupe window of a day at least, as baselines learn once a day', () => {
    for (const detector of AUDIT_DETECTORS) {
      if (detector.kind === 'anomaly') expect(detector.dedupeMinutes, detector.id).toBeGreaterThanOrEqual(24 * 60);
    }
  });
});
