import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AnalyzeResult, analyze } from '../../cli/analyze';
import { generateScenario } from '../../events/scenario/generate';
import type { ScenarioManifest } from '../../events/scenario/types';
import { severityRank } from '../../shared/config/schema';
import { Capture } from '../support/capture';

/**
 * Rules that need what only a config can give: a threat list is a file someone names, not
 * something a baseline can learn.
 */
const NEEDS_CONFIG = new Set(['net.threat-intel-match']);

/**
 * The sample scenario with no config at all, as a team trying Driftwatch on a running cluster
 * would start: what the config would have said (its load balancer, its privileged agent) is learned.
 */
describe('sample scenario, with no config', () => {
  let manifest: ScenarioManifest;
  let result: AnalyzeResult;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-scenario-bare-'));
    manifest = await generateScenario({ outDir: dir });
    result = await analyze({
      paths: [join(dir, 'audit'), join(dir, 'flow')],
      format: 'json',
      stdout: new Capture(),
      stderr: new Capture(),
    });
  }, 180_000);

  it('finds every planted incident a baseline can find', () => {
    for (const incident of manifest.incidents) {
      const at = Date.parse(incident.time);
      for (const ruleId of incident.expectedRuleIds.filter((r) => !NEEDS_CONFIG.has(r))) {
        const found = result.findings.find(
          (f) => f.ruleId === ruleId && Math.abs(Date.parse(f.time) - at) <= 15 * 60_000,
        );
        expect(found, `${incident.id}: no ${ruleId} finding near ${incident.time}`).toBeDefined();
      }
    }
  });

  it("learns the load balancer's addresses as entry points and node-exporter's host network", () => {
    expect(result.summary.learned.entryPoints).toEqual(['10.0.0.164', '10.0.0.37']);
    expect(result.summary.learned.privilegedWorkloads).toEqual([
      expect.objectContaining({ workload: 'monitoring/node-exporter', allow: ['hostNetwork'] }),
    ]);
  });

  it('raises nothing on the quiet days after learning that the config silences', () => {
    // Day 8, and day 9 until the first planted incident (08:47). The pipeline identity's findings
    // are left to pipeline learning.
    const dayEight = new Date(Date.parse(manifest.start) + 7 * 86_400_000).toISOString().slice(0, 10);
    const firstIncident = new Date(Date.parse(manifest.start) + 8 * 86_400_000 + (8 * 60 + 47) * 60_000);
    const quiet = result.findings.filter(
      (f) =>
        f.time.slice(0, 10) >= dayEight &&
        Date.parse(f.time) < firstIncident.getTime() &&
        severityRank(f.severity) >= severityRank('medium'),
    );
    expect(quiet.filter((f) => f.entities.user !== 'github-actions').map((f) => `${f.time} ${f.ruleId}`)).toEqual([]);
    expect(quiet.filter((f) => f.ruleId === 'audit.privileged-workload')).toEqual([]);
  });
});
