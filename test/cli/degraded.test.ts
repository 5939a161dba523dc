import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../cli/analyze';
import { DEFAULT_FLOW_FORMAT, STACK_FLOW_HEADER } from '../../shared/ingest/flow-reader';
import { flowLine } from '../network/support';
import { Capture } from '../support/capture';

const START = 1_793_527_200;

/** An inbound SSH session from a public address, both directions, in AWS's default (version 2) format. */
const V2_OBJECT = [
  DEFAULT_FLOW_FORMAT.join(' '),
  `2 123456789012 eni-0a 198.51.100.9 10.0.3.7 51514 22 6 24 4100 ${START} ${START + 60} ACCEPT OK`,
  `2 123456789012 eni-0a 10.0.3.7 198.51.100.9 22 51514 6 20 6200 ${START} ${START + 60} ACCEPT OK`,
].join('\n');

/** Two default-format objects and the report's page: what the run says about the fields they lack. */
async function analyzeObjects(objects: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'dw-degraded-'));
  for (const [name, text] of Object.entries(objects)) writeFileSync(join(dir, name), `${text}\n`);
  const stdout = new Capture();
  const stderr = new Capture();
  const result = await analyze({
    paths: [dir],
    format: 'json',
    stdout,
    stderr,
    reportPath: join(dir, 'report.html'),
  });
  return { result, stderr: stderr.text, report: readFileSync(join(dir, 'report.html'), 'utf8') };
}

describe('detectors degraded by the flow-log format', () => {
  it('names the detectors and missing fields in the summary, the report, and one log line', async () => {
    // Prepare: two objects in the default format, which has no tcp-flags and no AWS service names.
    const { result, stderr, report } = await analyzeObjects({
      'flow-1.log': V2_OBJECT,
      'flow-2.log': V2_OBJECT.replaceAll(`${START}`, `${START + 600}`),
    });
    // Assess: the detectors that need those fields, each with what it lacked.
    expect(result.summary.degraded).toEqual([
      { detector: 'net.public-ingress', missing: ['tcp-flags'] },
      { detector: 'net.new-external-destination', missing: ['pkt-dst-aws-service'] },
    ]);
    // The session is still found; the warning comes once for both objects.
    expect(result.findings.map((f) => f.ruleId)).toContain('net.public-ingress');
    const warnings = stderr.split('\n').filter((line) => line.includes('run degraded'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('net.public-ingress (no tcp-flags)');
    expect(report).toContain('"degraded":[{"detector":"net.public-ingress","missing":["tcp-flags"]}');
    expect(report).toContain('id="degraded"');
  });

  it('names none when the flow logs are in the stack format', async () => {
    const line = flowLine({
      src: '198.51.100.9',
      dst: '10.0.3.7',
      srcPort: 51514,
      dstPort: 22,
      start: START,
      flags: 2,
    });
    const { result, stderr, report } = await analyzeObjects({ 'flow.log': `${STACK_FLOW_HEADER}\n${line}` });
    expect(result.summary.degraded).toEqual([]);
    expect(stderr).not.toContain('degraded');
    expect(report).not.toContain('"degraded":[');
  });
});
