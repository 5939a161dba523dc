import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AnalyzeResult, analyze } from '../../cli/analyze';
import { generateScenario } from '../../events/scenario/generate';
import type { ScenarioManifest } from '../../events/scenario/types';
import { DEFAULT_FLOW_FORMAT } from '../../shared/ingest/flow-reader';
import { Capture } from '../support/capture';

/** Every file under a folder. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * The sample scenario with its flow logs in AWS's default (version 2) format, as most accounts
 * have them: the network incidents are found, or the summary names the detectors that could not
 * find them for lack of a field.
 */
describe('sample scenario with default-format (version 2) flow logs', () => {
  let manifest: ScenarioManifest;
  let result: AnalyzeResult;
  let stderr: Capture;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dw-scenario-v2-'));
    manifest = await generateScenario({ outDir: dir, flowFormat: 'v2' });
    stderr = new Capture();
    result = await analyze({
      paths: [join(dir, 'audit'), join(dir, 'flow')],
      configPath: 'events/scenario/driftwatch.config.json',
      format: 'json',
      stdout: new Capture(),
      stderr,
    });
  }, 240_000);

  it('writes the flow logs in the default format, every record read', () => {
    expect(manifest.flowFormat).toBe('v2');
    const [first] = filesUnder(join(dir, 'flow'));
    const lines = gunzipSync(readFileSync(first as string))
      .toString('utf8')
      .split('\n');
    expect(lines[0]).toBe(DEFAULT_FLOW_FORMAT.join(' '));
    expect(lines[1]?.split(' ')).toHaveLength(DEFAULT_FLOW_FORMAT.length);
    expect(result.summary.eventsParsed).toBe(manifest.auditEvents + manifest.flowRecords);
    expect(result.summary.recordsRejected).toEqual({});
  });

  it('finds every planted network incident, or names its detector as degraded with the missing field', () => {
    const degraded = new Set(result.summary.degraded.map((d) => d.detector));
    const missed: string[] = [];
    for (const incident of manifest.incidents) {
      const at = Date.parse(incident.time);
      for (const ruleId of incident.expectedRuleIds.filter((id) => id.startsWith('net.'))) {
        const found = result.findings.some(
          (f) => f.ruleId === ruleId && Math.abs(Date.parse(f.time) - at) <= 15 * 60_000,
        );
        if (!found) missed.push(ruleId);
      }
    }
    expect(missed.filter((id) => !degraded.has(id))).toEqual([]);
    expect(manifest.incidents.some((i) => i.expectedRuleIds.some((id) => id.startsWith('net.')))).toBe(true);
  });

  it('names exactly the degraded detectors and fields, once on stderr', () => {
    expect(result.summary.degraded).toEqual([
      { detector: 'net.public-ingress', missing: ['tcp-flags'] },
      { detector: 'net.new-external-destination', missing: ['pkt-dst-aws-service'] },
    ]);
    expect(stderr.text.split('\n').filter((line) => line.includes('run degraded'))).toHaveLength(1);
  });
});
