import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AnalyzeResult, analyze } from '../../cli/analyze';
import { learned } from '../../cli/learned';
import { generateScenario } from '../../events/scenario/generate';
import type { ScenarioManifest } from '../../events/scenario/types';
import type { Finding } from '../../shared/alert';
import { defaultConfig } from '../../shared/config';
import { Capture } from '../support/capture';

/**
 * Issue 13's promise: a team with no config runs Driftwatch, takes what it learned as a config
 * (`driftwatch learned --as-config > cfg.json`), and a fresh run with that config finds what the
 * no-config run found once the learning period is over.
 *
 * What differs, and is left out of the comparison: flow findings name the cluster of the config
 * (`clusterName`; with no config, the default `eks`), and incident ids are derived from it; and
 * the sample of known baseline values an anomaly finding shows, because the no-config run also
 * learned what a pipeline did in the days before it was recognized as one (its runners' networks).
 */
describe('learned --as-config reproduces a no-config run', () => {
  let manifest: ScenarioManifest;
  let noConfig: AnalyzeResult;
  let withConfig: AnalyzeResult;
  let fragment: {
    clusterName?: string;
    identities: { cicd: string[] };
    network?: { entryPoints?: { cidrs: string[] } };
    audit?: { privilegedWorkloads: { workload: string; allow: string[] }[] };
  };
  let learnedPipelines: string[];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-learned-scenario-'));
    manifest = await generateScenario({ outDir: join(dir, 'logs') });
    const paths = [join(dir, 'logs', 'audit'), join(dir, 'logs', 'flow')];
    const stateDir = join(dir, 'state');
    noConfig = await analyze({ paths, stateDir, format: 'json', stdout: new Capture(), stderr: new Capture() });
    const json = new Capture();
    await learned({ stateDir, format: 'json', stdout: json, stderr: new Capture() });
    learnedPipelines = JSON.parse(json.text)
      .scopes.flatMap((s: { pipelines: { username: string }[] }) => s.pipelines.map((p) => p.username))
      .sort();
    const config = new Capture();
    await learned({ stateDir, format: 'config', stdout: config, stderr: new Capture() });
    fragment = JSON.parse(config.text);
    const configPath = join(dir, 'cfg.json');
    writeFileSync(configPath, config.text);
    withConfig = await analyze({ paths, configPath, format: 'json', stdout: new Capture(), stderr: new Capture() });
  }, 240_000);

  it('says the cluster, the learned pipelines, load balancers and privileged workloads', () => {
    expect(fragment.clusterName).toBe(manifest.cluster);
    expect(fragment.identities.cicd).toEqual(learnedPipelines);
    expect(learnedPipelines).toContain('github-actions');
    expect(fragment.network?.entryPoints?.cidrs).toEqual(['10.0.0.164/32', '10.0.0.37/32']);
    expect(fragment.audit?.privilegedWorkloads).toEqual([
      { workload: 'monitoring/node-exporter', allow: ['hostNetwork'] },
    ]);
  });

  it('finds the same after the learning period, the cluster named as the config says', () => {
    const learningEnds = Date.parse(manifest.start) + defaultConfig().learning.days * 86_400_000;
    const afterLearning = (findings: readonly Finding[]) =>
      findings.filter((f) => Date.parse(f.time) >= learningEnds).map(comparable);
    expect(afterLearning(noConfig.findings).length).toBeGreaterThan(0);
    expect(afterLearning(withConfig.findings)).toEqual(afterLearning(noConfig.findings));
    const flow = withConfig.findings.filter((f) => f.source === 'vpc-flow');
    expect(flow.length).toBeGreaterThan(0);
    for (const f of flow) expect(f.entities.cluster).toBe(manifest.cluster);
  });
});

/**
 * A finding without what the config's cluster name changes (the cluster flow findings name, and the
 * incident id), nor the baseline values it shows as context.
 */
function comparable(finding: Finding): unknown {
  const {
    incidentId: _incident,
    baseline: _baseline,
    entities,
    ...rest
  } = finding as Finding & { incidentId?: string };
  const { cluster: _cluster, ...others } = entities;
  return { ...rest, entities: others };
}
