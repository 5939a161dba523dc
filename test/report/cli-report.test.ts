import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/driftwatch.mjs', ...args], { encoding: 'utf8' });

describe('driftwatch analyze --report', () => {
  it('writes the report, says where, and lists the findings in it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-cli-report-'));
    const path = join(dir, 'nested', 'report.html');
    const run = cli('analyze', 'events/fixtures/k8s-audit-falco/exec_pod.json', '--format', 'json', '--report', path);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(`Report written to `);
    expect(run.stderr).toContain(`file://${path}`);
    const html = readFileSync(path, 'utf8');
    const data = JSON.parse(
      /<script type="application\/json" id="driftwatch-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '',
    );
    expect(data.findings.map((f: { finding: { ruleId: string } }) => f.finding.ruleId)).toEqual([
      'audit.exec-into-pod',
    ]);
    expect(data.map.nodes).toEqual([]);
    // What the run's baselines learned: the cluster of the one audit event, still learning.
    expect(data.learned).toEqual([
      expect.objectContaining({
        scope: 'eks',
        kind: 'cluster',
        pipelines: [],
        learning: expect.objectContaining({ learned: false }),
      }),
    ]);
    expect(html).toContain('<section id="learned-section">');
  });

  it('fails with one line, before reading anything, when the report cannot be written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-cli-report-'));
    writeFileSync(join(dir, 'file'), '');
    const path = join(dir, 'file', 'report.html');
    const run = cli('analyze', 'events/fixtures/k8s-audit-falco/exec_pod.json', '--format', 'json', '--report', path);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^driftwatch: cannot write the report to .*file\/report\.html/);
    expect(run.stdout).toBe('');
    expect(existsSync(path)).toBe(false);
  });
});
