import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario, INCIDENTS, ScenarioError, type ScenarioManifest } from '../../events/scenario/generate';
import { loadConfigFile } from '../../shared/config/load';
import { severityRank } from '../../shared/config/schema';
import { newImageRegistry } from '../../shared/detect/audit/new-image-registry';
import { buildDetectContext } from '../../shared/detect/context';
import { newExternalDestination } from '../../shared/detect/net/new-external-destination';
import { AUDIT_DETECTORS, detectorById, FLOW_DETECTORS } from '../../shared/detect/registry';
import type { AnomalyDetector, DetectContext, Detector } from '../../shared/detect/types';
import { readAuditObject } from '../../shared/ingest/audit-reader';
import { readFlowObject } from '../../shared/ingest/flow-reader';
import { newReadStats, type ReadStats, totalRejected } from '../../shared/ingest/stats';
import type { AuditEvent } from '../../shared/ingest/types';
import { ThreatIntelProvider } from '../../shared/intel/provider';
import { actor } from '../../shared/kube/identity';
import { AddressClassifier } from '../../shared/network/address';
import { EdgeAggregator } from '../../shared/network/edge-aggregator';
import type { FlowEdge } from '../../shared/network/flow-edge';
import { DEFAULT_SCENARIO_FILES, DEFAULT_SCENARIO_SHA256, filesUnder, outputHash } from '../support/scenario-files';

const CONFIG = 'events/scenario/driftwatch.config.json';
const DAY_MS = 86_400_000;

interface Scan {
  auditStats: ReadStats;
  flowStats: ReadStats;
  events: AuditEvent[];
  /** Flow records aggregated into edges per object, as the engine does. */
  edges: FlowEdge[];
  /** Cluster of each audit event, as the reader found it. */
  clusters: Set<string>;
}

async function scan(dir: string): Promise<Scan> {
  const result: Scan = {
    auditStats: newReadStats(),
    flowStats: newReadStats(),
    events: [],
    edges: [],
    clusters: new Set(),
  };
  const classifier = new AddressClassifier(['10.0.0.0/16']);
  for (const file of filesUnder(dir)) {
    const path = join(dir, file);
    if (file.startsWith('audit/')) {
      await readAuditObject(
        createReadStream(path),
        { uri: file, stats: result.auditStats, cluster: 'unknown' },
        (event) => {
          result.events.push(event);
          result.clusters.add(event.cluster);
        },
      );
    } else if (file.startsWith('flow/')) {
      const edges = new EdgeAggregator(classifier);
      await readFlowObject(createReadStream(path), { uri: file, stats: result.flowStats }, (record) =>
        edges.add(record),
      );
      result.edges.push(...edges.values());
    }
  }
  return result;
}

/** The values an anomaly detector observes, with the time of each observation. */
function observations<E extends { time: number }>(
  detector: AnomalyDetector<E>,
  items: readonly E[],
  context: DetectContext,
): [number, string][] {
  return items.flatMap((item) => (detector.observe(item, context) ?? []).map((v): [number, string] => [item.time, v]));
}

function perDay(values: readonly [number, string][]): Map<number, Set<string>> {
  const days = new Map<number, Set<string>>();
  for (const [day, value] of values) {
    if (!days.has(day)) days.set(day, new Set());
    days.get(day)?.add(value);
  }
  return days;
}

interface Fired {
  ruleId: string;
  day: number;
  time: number;
  entities: Record<string, unknown>;
}

function isRule(ruleId: string): boolean {
  return AUDIT_DETECTORS.some((d) => d.id === ruleId && d.kind === 'rule');
}

/**
 * Whether this in-memory check computes a rule id: every rule, every audit anomaly, and new
 * external destinations. The network detectors that need the engine's state (pod IP map, per-edge
 * statistics, windows and paths kept in the table) are checked end to end in test/cli/scenario.test.ts.
 */
function computedHere(ruleId: string): boolean {
  const detector = [...AUDIT_DETECTORS, ...FLOW_DETECTORS].find((d) => d.id === ruleId);
  if (!detector) return false;
  return detector.kind === 'rule' || ruleId.startsWith('audit.') || ruleId === newExternalDestination.id;
}

/** Rule detections of low severity or more (info findings are not sent). */
function ruleFindings<E extends { time: number }>(
  detectors: readonly Detector<E>[],
  items: readonly E[],
  context: DetectContext,
  dayOf: (time: number) => number,
): Fired[] {
  const out: Fired[] = [];
  for (const item of items) {
    for (const detector of detectors) {
      if (detector.kind !== 'rule') continue;
      const detection = detector.detect(item, context);
      if (!detection || severityRank(detection.severity ?? detector.severity) < severityRank('low')) continue;
      out.push({ ruleId: detector.id, day: dayOf(item.time), time: item.time, entities: detection.entities });
    }
  }
  return out;
}

describe('generateScenario', () => {
  let dir: string;
  let manifest: ScenarioManifest;
  let data: Scan;
  let context: DetectContext;
  let start: number;
  const dayOf = (time: number) => Math.floor((time - start) / DAY_MS) + 1;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dw-scenario-'));
    manifest = await generateScenario({ outDir: dir });
    start = Date.parse(manifest.start);
    data = await scan(dir);
    const config = loadConfigFile(CONFIG);
    // Resolved the way the CLI resolves it: relative to the config file's folder.
    const intel = await new ThreatIntelProvider({
      sources: config.threatIntel.sources,
      baseDir: dirname(CONFIG),
    }).get();
    context = buildDetectContext(config, intel);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the same bytes for the same seed', async () => {
    // Prepare
    const again = mkdtempSync(join(tmpdir(), 'dw-scenario-'));
    // Act
    await generateScenario({ outDir: again, seed: 42 });
    // Assess
    const files = filesUnder(dir);
    expect(filesUnder(again)).toEqual(files);
    for (const file of files) {
      expect(readFileSync(join(again, file)).equals(readFileSync(join(dir, file))), file).toBe(true);
    }
    rmSync(again, { recursive: true, force: true });
  });

  it('writes the default scenario byte for byte as before the existing-cluster variant', () => {
    expect(filesUnder(dir)).toHaveLength(DEFAULT_SCENARIO_FILES);
    expect(outputHash(dir)).toBe(DEFAULT_SCENARIO_SHA256);
  });

  it('writes other data for another seed', async () => {
    const a = mkdtempSync(join(tmpdir(), 'dw-scenario-'));
    const b = mkdtempSync(join(tmpdir(), 'dw-scenario-'));
    await generateScenario({ outDir: a, seed: 1, days: 1 });
    await generateScenario({ outDir: b, seed: 2, days: 1 });
    const first = filesUnder(a).find((f) => f.startsWith('flow/')) as string;
    const other = filesUnder(b).find((f) => f.startsWith('flow/')) as string;
    expect(readFileSync(join(a, first)).equals(readFileSync(join(b, other)))).toBe(false);
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  });

  it('refuses a start that is not midnight UTC, and days out of range', async () => {
    const outDir = join(tmpdir(), 'dw-scenario-never-written');
    await expect(generateScenario({ outDir, start: '2026-11-01T05:00:00Z' })).rejects.toThrow(ScenarioError);
    await expect(generateScenario({ outDir, start: 'yesterday' })).rejects.toThrow(ScenarioError);
    await expect(generateScenario({ outDir, days: 0 })).rejects.toThrow(ScenarioError);
  });

  it('delivers one audit and one flow object per hour, in the AWS key layouts, with the manifest beside them', () => {
    const files = filesUnder(dir);
    const audit = files.filter((f) => f.startsWith('audit/'));
    const flow = files.filter((f) => f.startsWith('flow/'));
    expect(audit).toHaveLength(14 * 24);
    expect(flow).toHaveLength(14 * 24);
    expect(manifest.objects).toBe(audit.length + flow.length);
    for (const key of audit) {
      expect(key).toMatch(
        /^audit\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/driftwatch-audit-1-\d{4}(-\d{2}){5}-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\.gz$/,
      );
    }
    for (const key of flow) {
      expect(key).toMatch(
        /^flow\/AWSLogs\/aws-account-id=123456789012\/aws-service=vpcflowlogs\/aws-region=eu-west-1\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/123456789012_vpcflowlogs_eu-west-1_fl-0a1b2c3d4e5f_\d{8}T\d{4}Z_[0-9a-f]{8}\.log\.gz$/,
      );
    }
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))).toEqual(manifest);
  });

  it('reads back with no rejected record, and the counts match the manifest', () => {
    expect(totalRejected(data.auditStats), JSON.stringify(data.auditStats.samples)).toBe(0);
    expect(totalRejected(data.flowStats), JSON.stringify(data.flowStats.samples)).toBe(0);
    expect(data.auditStats.events).toBe(manifest.auditEvents);
    expect(data.flowStats.events).toBe(manifest.flowRecords);
    expect(data.auditStats.skipped).toEqual({ 'control-message': expect.any(Number) });
    expect(data.flowStats.logHealth.nodata).toBeGreaterThan(0);
    expect([...data.clusters]).toEqual(['shop-prod']);
    expect(manifest.auditEvents).toBeGreaterThan(30_000);
    expect(manifest.auditEvents).toBeLessThan(80_000);
    expect(manifest.flowRecords).toBeGreaterThan(50_000);
    expect(manifest.flowRecords).toBeLessThan(150_000);
  });

  it('plants every incident on days 9 to 14, after the learning period', () => {
    expect(manifest.incidents.map((i) => i.id).slice(0, 5)).toEqual([
      'exec-into-pod',
      'cluster-admin-binding',
      'new-registry',
      'threat-intel-egress',
      'new-external-destination',
    ]);
    expect(manifest.incidents.map((i) => i.id)).toEqual(INCIDENTS.map((i) => i.id));
    for (const incident of manifest.incidents) {
      expect(incident.day).toBeGreaterThanOrEqual(9);
      expect(incident.day).toBeLessThanOrEqual(14);
      expect(dayOf(Date.parse(incident.time))).toBe(incident.day);
      expect(incident.expectedRuleIds.length).toBeGreaterThan(0);
      for (const id of incident.expectedRuleIds) expect(detectorById(id), id).toBeDefined();
    }
  });

  it('uses on day 1 every identity, registry and external destination of normal life, and each of them every day', () => {
    // Prepare: what each day shows, as the baselines would learn it.
    const identities = perDay(data.events.map((e): [number, string] => [dayOf(e.time), actor(e).username]));
    const registries = perDay(observations(newImageRegistry, data.events, context).map(([t, v]) => [dayOf(t), v]));
    const destinations = perDay(
      observations(newExternalDestination, data.edges, context).map(([t, v]) => [dayOf(t), v]),
    );
    const planted = {
      identities: [
        'system:serviceaccount:payments:api',
        'system:serviceaccount:kube-system:daemon-set-controller',
        'dave',
      ],
      registries: ['ghcr.io'],
      destinations: ['198.51.100.0/24', '192.0.2.0/24', '198.18.40.0/24'],
    };
    for (const [name, days] of [
      ['identities', identities],
      ['registries', registries],
      ['destinations', destinations],
    ] as const) {
      const normal = days.get(1) ?? new Set<string>();
      const newer: string[] = [];
      for (let day = 1; day <= 14; day++) {
        const seen = days.get(day) ?? new Set<string>();
        // Assess: nothing normal is missing on any day, and nothing new shows before day 9.
        expect(
          [...normal].filter((v) => !seen.has(v)),
          `${name} missing on day ${day}`,
        ).toEqual([]);
        const fresh = [...seen].filter((v) => !normal.has(v) && !newer.includes(v));
        if (day <= 8) expect(fresh, `${name} new on day ${day}`).toEqual([]);
        newer.push(...fresh);
      }
      expect(newer.sort(), name).toEqual([...planted[name]].sort());
    }
    expect([...(registries.get(1) ?? [])].sort()).toEqual([
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      '602401143452.dkr.ecr.eu-west-1.amazonaws.com',
      'docker.io',
      'public.ecr.aws',
      'quay.io',
      'registry.k8s.io',
    ]);
    expect([...(destinations.get(1) ?? [])].sort()).toEqual([
      '140.82.112.0/24',
      '3.248.12.0/24',
      '34.107.210.0/24',
      '52.94.216.0/24',
      '52.94.219.0/24',
      '54.187.216.0/24',
      'aws:DYNAMODB',
      'aws:S3',
    ]);
  });

  it('stays quiet until day 9, and then every incident raises the findings it expects', () => {
    // Act: the rules as the engine runs them, and anomalies as values the first eight days never showed.
    const fired: Fired[] = [
      ...ruleFindings(AUDIT_DETECTORS, data.events, context, dayOf),
      ...ruleFindings(FLOW_DETECTORS, data.edges, context, dayOf),
    ];
    const destinations = observations(newExternalDestination, data.edges, context);
    const learned = new Set(destinations.filter(([t]) => dayOf(t) <= 8).map(([, v]) => v));
    for (const [time, value] of destinations) {
      if (!learned.has(value))
        fired.push({ ruleId: newExternalDestination.id, day: dayOf(time), time, entities: { value } });
    }
    // Every audit anomaly: a value the first eight days never showed, that its detector would report.
    for (const detector of AUDIT_DETECTORS) {
      if (detector.kind !== 'anomaly') continue;
      const seen = data.events.flatMap((e) => (detector.observe(e, context) ?? []).map((v) => [e, v] as const));
      const known = new Set(seen.filter(([e]) => dayOf(e.time) <= 8).map(([, v]) => v));
      for (const [event, value] of seen) {
        if (known.has(value) || !detector.describe(value, event, context)) continue;
        fired.push({ ruleId: detector.id, day: dayOf(event.time), time: event.time, entities: { value } });
      }
    }

    // Assess
    expect(fired.filter((f) => f.day <= 8)).toEqual([]);
    for (const incident of manifest.incidents) {
      const at = Date.parse(incident.time);
      for (const ruleId of incident.expectedRuleIds.filter(computedHere)) {
        // Rules fire on the incident's own events; an anomaly may fire on a step just before (its first call).
        const slack = ruleId.startsWith('audit.') && !isRule(ruleId) ? 15 * 60_000 : 60_000;
        const hit = fired.find((f) => f.ruleId === ruleId && Math.abs(f.time - at) < slack);
        expect(hit, `${incident.id}: ${ruleId}`).toBeDefined();
      }
    }
    const expected = new Set(manifest.incidents.flatMap((i) => i.expectedRuleIds).filter(computedHere));
    expect(new Set(fired.map((f) => f.ruleId))).toEqual(expected);
    const exec = fired.find((f) => f.ruleId === 'audit.exec-into-pod');
    expect(exec?.entities).toMatchObject({ user: 'bob', namespace: 'payments', name: expect.any(String) });
    expect(exec?.entities.name).toBe(manifest.incidents[0]?.entities.name);
  });
});
