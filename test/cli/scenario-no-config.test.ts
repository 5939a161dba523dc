import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AnalyzeResult, analyze } from '../../cli/analyze';
import { generateScenario } from '../../events/scenario/generate';
import type { ScenarioManifest, ScenarioVariant } from '../../events/scenario/types';
import type { Finding } from '../../shared/alert/finding';
import { severityRank } from '../../shared/config/schema';
import { Capture } from '../support/capture';

/**
 * Issue 13's acceptance, on both scenario variants: a team trying Driftwatch with no config (on a
 * cluster that has run for months, in the existing-cluster variant) gets every planted incident,
 * and on the quiet days between the end of learning and the first incident nothing of medium or
 * higher and at most three low findings. With each variant's config, those days are silent.
 *
 * The one thing no baseline can learn is a threat list: the no-config runs read the scenario's
 * list from the default threat-list folder, as a user who downloaded the public lists would.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const THREAT_LISTS = join(ROOT, 'events', 'scenario', 'threat-lists');
const CONFIGS: Record<ScenarioVariant, string> = {
  fresh: join(ROOT, 'events', 'scenario', 'driftwatch.config.json'),
  'existing-cluster': join(ROOT, 'events', 'scenario', 'existing-cluster.config.json'),
};
const DAY_MS = 86_400_000;
const LEARNING_DAYS = 7;

/** How far from its planted time a finding may be: a spike is judged per hour of traffic. */
function tolerance(ruleId: string): number {
  return ruleId === 'net.volume-spike' ? 60 * 60_000 : 15 * 60_000;
}

/** The findings between the end of learning and the first planted incident. */
function quietDays(manifest: ScenarioManifest, findings: readonly Finding[]): Finding[] {
  const from = Date.parse(manifest.start) + LEARNING_DAYS * DAY_MS;
  const to = Math.min(...manifest.incidents.map((i) => Date.parse(i.time)));
  return findings.filter((f) => Date.parse(f.time) >= from && Date.parse(f.time) < to);
}

const brief = (f: Finding) => `${f.time} ${f.severity} ${f.ruleId} ${JSON.stringify(f.entities).slice(0, 200)}`;

describe.each(['fresh', 'existing-cluster'] as const)('the %s scenario', (variant) => {
  let manifest: ScenarioManifest;
  let bare: AnalyzeResult;
  let configured: AnalyzeResult;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), `dw-${variant}-`));
    manifest = await generateScenario({ outDir: dir, variant });
    const paths = [join(dir, 'audit'), join(dir, 'flow')];
    bare = await analyze({
      paths,
      threatListDir: THREAT_LISTS,
      format: 'json',
      stdout: new Capture(),
      stderr: new Capture(),
    });
    configured = await analyze({
      paths,
      configPath: CONFIGS[variant],
      format: 'json',
      stdout: new Capture(),
      stderr: new Capture(),
    });
  }, 400_000);

  it('with no config, finds every planted incident', () => {
    for (const incident of manifest.incidents) {
      const at = Date.parse(incident.time);
      for (const ruleId of incident.expectedRuleIds) {
        const found = bare.findings.find(
          (f) => f.ruleId === ruleId && Math.abs(Date.parse(f.time) - at) <= tolerance(ruleId),
        );
        expect(found, `${incident.id}: no ${ruleId} finding near ${incident.time}`).toBeDefined();
      }
    }
  });

  it('with no config, raises nothing of medium or higher and at most 3 low findings on the quiet days', () => {
    const quiet = quietDays(manifest, bare.findings);
    expect(quiet.filter((f) => severityRank(f.severity) >= severityRank('medium')).map(brief)).toEqual([]);
    expect(quiet.length, quiet.map(brief).join('\n')).toBeLessThanOrEqual(3);
  });

  it('with its config, finds every planted incident and raises nothing on the quiet days', () => {
    expect(quietDays(manifest, configured.findings).map(brief)).toEqual([]);
    for (const incident of manifest.incidents) {
      const at = Date.parse(incident.time);
      for (const ruleId of incident.expectedRuleIds) {
        const found = configured.findings.find(
          (f) => f.ruleId === ruleId && Math.abs(Date.parse(f.time) - at) <= tolerance(ruleId),
        );
        expect(found, `${incident.id}: no ${ruleId} finding near ${incident.time}`).toBeDefined();
      }
    }
  });

  it("learns by itself what the config says: the load balancer's addresses and node-exporter's host network", () => {
    expect(bare.summary.learned.entryPoints).toEqual(['10.0.0.164', '10.0.0.37']);
    expect(bare.summary.learned.privilegedWorkloads).toEqual([
      expect.objectContaining({ workload: 'monitoring/node-exporter', allow: ['hostNetwork'] }),
    ]);
  });
});
