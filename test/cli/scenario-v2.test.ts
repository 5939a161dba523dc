import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AnalyzeResult, analyze } from '../../cli/analyze';
import { NAT_GATEWAY } from '../../events/scenario/cluster';
import { generateScenario } from '../../events/scenario/generate';
import type { FlowFormat, ScenarioManifest } from '../../events/scenario/types';
import { DEFAULT_FLOW_FORMAT } from '../../shared/ingest/flow-reader';
import { Capture } from '../support/capture';

/** Every file under a folder. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The sample scenario generated with its flow logs in `flowFormat`, analysed with its config. */
async function runScenario(flowFormat: FlowFormat) {
  const dir = mkdtempSync(join(tmpdir(), `dw-scenario-${flowFormat}-`));
  const manifest = await generateScenario({ outDir: dir, flowFormat });
  const stderr = new Capture();
  const result = await analyze({
    paths: [join(dir, 'audit'), join(dir, 'flow')],
    configPath: 'events/scenario/driftwatch.config.json',
    format: 'json',
    stdout: new Capture(),
    stderr,
  });
  return { dir, manifest, result, stderr };
}

/**
 * Each finding as the rule, the time and the connection it is about. Ids, and the counts a
 * finding quotes, differ between formats: the default one has no `vpc-id` to scope by, and the
 * stack's counts a NAT gateway's copy of a pod's packets in the pod's edge.
 */
function findingKeys(result: AnalyzeResult): string[] {
  return result.findings
    .map(
      (f) =>
        `${f.ruleId} ${f.time} ${f.entities.srcAddr ?? ''} > ${f.entities.dstAddr ?? ''}:${f.entities.dstPort ?? ''}`,
    )
    .sort();
}

/**
 * The sample scenario with its flow logs in AWS's default (version 2) format, as most accounts
 * have them: the same findings as with the stack's format, and the summary names the detectors
 * that need a field the format lacks.
 */
describe('sample scenario with default-format (version 2) flow logs', () => {
  let manifest: ScenarioManifest;
  let result: AnalyzeResult;
  let flagged: AnalyzeResult;
  let stderr: Capture;
  let dir: string;

  beforeAll(async () => {
    ({ dir, manifest, result, stderr } = await runScenario('v2'));
    ({ result: flagged } = await runScenario('stack'));
  }, 360_000);

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

  it('raises the same findings as the stack format: each rule on the same connection at the same time', () => {
    expect(findingKeys(result)).toEqual(findingKeys(flagged));
    expect(result.findings.length).toBeGreaterThan(0);
  });

  it('names the pod, once, for egress the NAT gateway also logged, with no pkt-* addresses to tell', () => {
    // The gateway's interface logs the pod's packets as addressed to the gateway, and its own leg.
    const viaGateway = result.findings.filter(
      (f) =>
        f.source === 'vpc-flow' && (f.entities.srcAddr === NAT_GATEWAY.ip || f.entities.dstAddr === NAT_GATEWAY.ip),
    );
    expect(viaGateway.map((f) => `${f.ruleId} ${f.summary}`)).toEqual([]);
    expect(result.summary.network?.relayedEdges).toBeGreaterThan(0);
  });

  it('names exactly the degraded detectors and fields, once on stderr', () => {
    expect(result.summary.degraded).toEqual([
      { detector: 'net.public-ingress', missing: ['tcp-flags'] },
      { detector: 'net.new-external-destination', missing: ['pkt-dst-aws-service'] },
    ]);
    expect(stderr.text.split('\n').filter((line) => line.includes('run degraded'))).toHaveLength(1);
  });
});
