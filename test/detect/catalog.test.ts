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
  LIST_DETECTORS,
} from '../../shared/detect/registry';
import type { DetectContext, Detector, ListHealthDetector, Located, SpikeDetector } from '../../shared/detect/types';
import type { Draft } from '../../shared/engine/draft';
import type { AuditEvent } from '../../shared/ingest';
import { FIELDS_BEYOND_DEFAULT } from '../../shared/ingest/flow-reader';
import { ThreatIntel } from '../../shared/intel/threat-intel';
import type { FlowEdge } from '../../shared/network';
import { type ExampleFormat, groupInFormat, inFormat } from './flow-formats';
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

/**
 * Runs a threat-list detector's examples: each list status that must fire makes a detection that
 * says what happened, each that must stay quiet none. (The engine's evaluator, which builds these
 * statuses from the table, has its own test: test/engine/threat-list-health.test.ts.)
 */
function runListExamples(detector: ListHealthDetector) {
  const context = buildDetectContext(defaultConfig(detector.examples.config ?? {}), intel);
  describe(`${detector.id} (${detector.kind})`, () => {
    it.each(cases(detector.examples.fires))('fires on example %i', (_i, check) => {
      const detection = detector.stale(check, context);
      expect(detection?.summary.length).toBeGreaterThan(10);
      expect(detection?.dedupeKey).toBeTruthy();
    });
    it.each(cases(detector.examples.quiet))('stays quiet on example %i', (_i, check) => {
      expect(detector.stale(check, context)).toBeUndefined();
    });
  });
}

/**
 * Runs a flow detector's examples as a flow log in `format` would give them: each example edge
 * rendered to records, the fields the format lacks left out, and aggregated again by the engine's
 * aggregator ({@link inFormat}). Each example fires or stays quiet as it does on edges. Health
 * examples are an object's counts and a log's silence, not records: the format does not touch them.
 */
function runExamplesInFormat(detector: FlowDetector, format: ExampleFormat) {
  const context = contextFor(detector as Detector<unknown>);
  const runner = () => new ExampleRunner<FlowEdge>(detector, context, 'flow');
  const one = (edge: FlowEdge) => inFormat(edge, format, context);
  const group = (edges: readonly FlowEdge[]) => groupInFormat(edges, format, context);
  describe(`${detector.id} (${detector.kind}) on ${format} records`, () => {
    switch (detector.kind) {
      case 'rule': {
        const { examples } = detector;
        it.each(cases(examples.fires))('fires on example %i', async (_i, edge) => {
          expectDetections(await runner().object(one(edge)));
        });
        it.each(cases(examples.quiet))('stays quiet on example %i', async (_i, edge) => {
          expect(await runner().object(one(edge))).toEqual([]);
        });
        return;
      }
      case 'anomaly': {
        const { examples, baselineKind } = detector;
        const learned = async (edge: FlowEdge) => {
          const r = runner();
          const edges = one(edge);
          await r.learn(baselineKind, examples.baseline, edges);
          return r.object(edges);
        };
        it.each(cases(examples.fires))('fires on example %i', async (_i, edge) => {
          expectDetections(await learned(edge));
        });
        it.each(cases(examples.quiet))('stays quiet on example %i', async (_i, edge) => {
          expect(await learned(edge)).toEqual([]);
        });
        return;
      }
      case 'threshold':
      case 'distinct':
      case 'correlation': {
        const { examples } = detector;
        it.each(cases<readonly FlowEdge[]>(examples.fires))('fires on group %i', async (_i, edges) => {
          expectDetections(await runner().object(group(edges)));
          expectDetections(await runner().oneObjectEach(group(edges)));
        });
        it.each(cases<readonly FlowEdge[]>(examples.quiet))('stays quiet on group %i', async (_i, edges) => {
          expect(await runner().object(group(edges))).toEqual([]);
          expect(await runner().oneObjectEach(group(edges))).toEqual([]);
        });
        return;
      }
      case 'spike': {
        const { examples, metric } = detector;
        const spiked = async (example: { event: FlowEdge; observed: number }) => {
          const r = runner();
          const edges = one(example.event);
          for (const edge of edges) await r.history(edge, examples.baseline);
          return r.object(edges.map((edge) => withMetric(edge, metric, example.observed)));
        };
        it.each(cases(examples.fires))('fires on example %i', async (_i, example) => {
          expectDetections(await spiked(example as { event: FlowEdge; observed: number }));
        });
        it.each(cases(examples.quiet))('stays quiet on example %i', async (_i, example) => {
          expect(await spiked(example as { event: FlowEdge; observed: number })).toEqual([]);
        });
        return;
      }
    }
  });
}

/**
 * The outcome of each example of a degraded detector in `format`: true where it fires or stays
 * quiet as on edges. A detector that declares `needs` must have an example that does not hold
 * without those fields, or the declaration is stale and its default-format run was skipped for
 * nothing.
 */
async function examplesHoldInFormat(detector: FlowDetector, format: ExampleFormat): Promise<boolean[]> {
  const context = contextFor(detector as Detector<unknown>);
  const drafts = async (edges: readonly FlowEdge[]) => {
    const r = new ExampleRunner<FlowEdge>(detector, context, 'flow');
    if (detector.kind === 'anomaly') await r.learn(detector.baselineKind, detector.examples.baseline, edges);
    return (await r.object(edges)).length > 0;
  };
  const { fires, quiet } = detector.examples as { fires: readonly unknown[]; quiet: readonly unknown[] };
  const edgesOf = (example: unknown) =>
    Array.isArray(example)
      ? groupInFormat(example as FlowEdge[], format, context)
      : inFormat(example as FlowEdge, format, context);
  return [
    ...(await Promise.all(fires.map(async (example) => drafts(edgesOf(example))))),
    ...(await Promise.all(quiet.map(async (example) => !(await drafts(edgesOf(example)))))),
  ];
}

/** Flow detectors whose examples are records: every kind but the log's health, which counts objects. */
const RECORD_DETECTORS = FLOW_DETECTORS.filter((detector) => detector.kind !== 'health');

describe('detector catalog', () => {
  for (const detector of AUDIT_DETECTORS) runExamples(detector, 'audit');
  for (const detector of FLOW_DETECTORS) runExamples(detector, 'flow');
  for (const detector of LIST_DETECTORS) runListExamples(detector);
  for (const detector of RECORD_DETECTORS) runExamplesInFormat(detector, 'stack');
  // On AWS's default format, every detector that does not declare a field it lacks.
  for (const detector of RECORD_DETECTORS.filter((d) => !d.needs?.length)) runExamplesInFormat(detector, 'v2');

  it.each(RECORD_DETECTORS.filter((d) => d.needs?.length).map((d) => [d.id, d] as const))(
    '%s needs the fields it declares: some example does not hold in the default format',
    async (_id, detector) => {
      expect(await examplesHoldInFormat(detector, 'stack')).not.toContain(false);
      expect(await examplesHoldInFormat(detector, 'v2')).toContain(false);
    },
  );

  it('declares only fields the default format lacks, from the stack format', () => {
    for (const detector of FLOW_DETECTORS) {
      for (const field of [...(detector.needs ?? []), ...(detector.uses ?? [])]) {
        expect(FIELDS_BEYOND_DEFAULT, detector.id).toContain(field);
      }
    }
    for (const detector of AUDIT_DETECTORS) expect(detector.needs, detector.id).toBeUndefined();
  });

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
