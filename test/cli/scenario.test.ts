import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AnalyzeResult, analyze } from '../../cli/analyze';
import { NAT_GATEWAY } from '../../events/scenario/cluster';
import { generateScenario } from '../../events/scenario/generate';
import type { ScenarioManifest } from '../../events/scenario/types';
import { severityRank } from '../../shared/config/schema';
import { Capture } from '../support/capture';

/**
 * The bar `npm start` must meet: every planted incident is found, and there are zero findings of
 * medium or higher severity on the baseline days (1 to 8), counted per UTC day of event time.
 */
describe('sample scenario, end to end', () => {
  let manifest: ScenarioManifest;
  let result: AnalyzeResult;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-scenario-'));
    manifest = await generateScenario({ outDir: dir });
    result = await analyze({
      paths: [join(dir, 'audit'), join(dir, 'flow')],
      configPath: 'events/scenario/driftwatch.config.json',
      format: 'json',
      stdout: new Capture(),
      stderr: new Capture(),
    });
  }, 180_000);

  it('reads every object with no rejected record', () => {
    expect(result.summary.objects).toMatchObject({ read: manifest.objects, unrecognized: 0 });
    expect(result.summary.eventsParsed).toBe(manifest.auditEvents + manifest.flowRecords);
    expect(result.summary.recordsRejected).toEqual({});
    expect(result.summary.rebaselines.scheduleTimesCrossed).toBe(manifest.days - 1);
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

  it('raises nothing of medium or higher severity on the baseline days', () => {
    const lastBaselineDay = new Date(Date.parse(manifest.start) + 7 * 86_400_000).toISOString().slice(0, 10);
    const early = result.findings.filter(
      (f) => f.time.slice(0, 10) < lastBaselineDay || f.time.slice(0, 10) === lastBaselineDay,
    );
    expect(
      early
        .filter((f) => severityRank(f.severity) >= severityRank('medium'))
        .map((f) => `${f.time} ${f.ruleId} ${f.summary}`),
    ).toEqual([]);
    for (const [day, counts] of Object.entries(result.summary.findings.byDay)) {
      if (day <= lastBaselineDay) expect(counts.medium + counts.high + counts.critical, day).toBe(0);
    }
  });

  it('names the pod, once, for egress the NAT gateway also logged', () => {
    // Every connection to the internet shows at the pod's interface and again at the gateway's.
    const viaGateway = result.findings.filter((f) => f.source === 'vpc-flow' && f.entities.srcAddr === NAT_GATEWAY.ip);
    expect(viaGateway.map((f) => `${f.ruleId} ${f.summary}`)).toEqual([]);
    expect(result.summary.network?.relayedEdges).toBeGreaterThan(0);
  });
});
