import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyzeResult, analyze } from '../../cli/analyze';
import { scenarioConfig } from '../../cli/scenario';
import { generateScenario, type ScenarioManifest } from '../../events/scenario/generate';
import { severityRank } from '../../shared/config/schema';
import { Capture } from '../support/capture';

const SAMPLE_CONFIG = 'events/scenario/driftwatch.config.json';
const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/driftwatch.mjs', ...args], { encoding: 'utf8' });

/**
 * The scenario grown a little on the knobs that change what the engine sees (two clusters, a
 * fourth node, twice the replicas, two objects an hour; `traffic` only adds records to the same
 * edges), replayed with the config grown to match: the planted incidents are still found, and
 * the baseline days stay quiet in both clusters.
 */
describe('scaled sample scenario, end to end', () => {
  let dir: string;
  let manifest: ScenarioManifest;
  let result: AnalyzeResult;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dw-scale-'));
    manifest = await generateScenario({
      outDir: dir,
      scale: { clusters: 2, nodes: 4, replicas: 2, objectsPerHour: 2 },
    });
    result = await analyze({
      paths: [join(dir, 'audit'), join(dir, 'flow')],
      configPath: await scenarioConfig(SAMPLE_CONFIG, dir, manifest),
      format: 'json',
      stdout: new Capture(),
      stderr: new Capture(),
    });
  }, 300_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads every object of both clusters with no rejected record', () => {
    expect(manifest.clusters).toEqual(['shop-prod', 'shop-prod-2']);
    expect(result.summary.objects).toMatchObject({ read: manifest.objects, unrecognized: 0 });
    expect(result.summary.eventsParsed).toBe(manifest.auditEvents + manifest.flowRecords);
    expect(result.summary.recordsRejected).toEqual({});
  });

  it('finds every planted incident', () => {
    expect(manifest.incidents.length).toBeGreaterThanOrEqual(5);
    for (const incident of manifest.incidents) {
      const at = Date.parse(incident.time);
      for (const ruleId of incident.expectedRuleIds) {
        const found = result.findings.find(
          (f) => f.ruleId === ruleId && Math.abs(Date.parse(f.time) - at) <= 15 * 60_000,
        );
        expect(found, `${incident.id}: no ${ruleId} finding near ${incident.time}`).toBeDefined();
      }
    }
  });

  it('raises nothing of medium or higher severity on the baseline days, nor in the cluster with no incidents', () => {
    const lastBaselineDay = new Date(Date.parse(manifest.start) + 7 * 86_400_000).toISOString().slice(0, 10);
    const loud = result.findings.filter((f) => severityRank(f.severity) >= severityRank('medium'));
    const early = loud.filter((f) => f.time.slice(0, 10) <= lastBaselineDay);
    expect(early.map((f) => `${f.time} ${f.ruleId}: ${f.summary}`)).toEqual([]);
    const copy = loud.filter((f) => /shop-prod-2|\b10\.1\./.test(JSON.stringify(f.entities)));
    expect(copy.map((f) => `${f.time} ${f.ruleId}: ${f.summary}`)).toEqual([]);
  });
});

describe('driftwatch scenario generate', () => {
  const root = mkdtempSync(join(tmpdir(), 'dw-scale-cli-'));
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('writes a scaled scenario and the config to analyze it with', () => {
    // Prepare
    const out = join(root, 'scaled');
    // Act
    const run = cli('scenario', 'generate', '--out', out, '--scale', '2', '--clusters', '2', '--days', '1');
    // Assess
    expect(run.status, run.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ScenarioManifest;
    expect(manifest.days).toBe(1);
    expect(manifest.scale).toEqual({ clusters: 2, nodes: 6, replicas: 2, traffic: 1, objectsPerHour: 1 });
    const config = JSON.parse(readFileSync(join(out, 'driftwatch.config.json'), 'utf8'));
    expect(config.network.vpcCidrs).toEqual(['10.0.0.0/16', '10.1.0.0/16']);
    expect(existsSync(config.threatIntel.sources[0].path)).toBe(true);
    expect(run.stderr).toMatch(/^Wrote 1 days of shop-prod, shop-prod-2: \d+ objects, .*; analyze with --config /);
  });

  it('refuses wrong values and a folder that holds something else, in one line', () => {
    const busy = join(root, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'mine');
    // The generator checks every knob's range itself: test/events/scenario-scale.test.ts covers them.
    const cases: [string[], RegExp][] = [
      [['--scale', '0'], /^driftwatch: scale must be a whole number from 1 to 50, not 0$/],
      [
        ['--clusters', 'two'],
        /^error: option '--clusters <N>' argument 'two' is invalid\. use a whole number such as 3/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = cli('scenario', 'generate', '--out', join(root, 'never'), ...args);
      expect(run.status, args.join(' ')).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr.trim()).toMatch(message);
    }
    const run = cli('scenario', 'generate', '--out', busy, '--days', '1');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^driftwatch: --out .*busy holds files that are not a scenario; name a new or empty folder\n$/,
    );
    expect(readFileSync(join(busy, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('keeps the scale flags for the sample scenario', () => {
    const run = cli('analyze', join(root, 'some-logs'), '--scale', '2');
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      'driftwatch: --scale and its knobs size the sample scenario run with no PATH; drop them or the PATHs\n',
    );
  });
});
