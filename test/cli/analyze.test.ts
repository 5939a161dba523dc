import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../cli/analyze';
import type { Finding } from '../../shared/alert/finding';
import { Capture } from '../support/capture';

const CORPUS = 'events/fixtures/k8s-audit-falco';

function run(paths: string[], extra: Partial<Parameters<typeof analyze>[0]> = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  return analyze({ paths, format: 'json', stdout, stderr, ...extra }).then((result) => ({ result, stdout, stderr }));
}

describe('driftwatch analyze', () => {
  it('reads the Falco corpus, reports the non-event it skipped, and finds the exec with user and namespace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-cli-'));
    const summaryPath = join(dir, 'summary.json');
    const { result, stdout } = await run([CORPUS], { summaryPath, outPath: join(dir, 'findings.jsonl') });
    expect(result.exitCode).toBe(0);
    const lines = stdout.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Finding);
    const exec = lines.find((f) => f.ruleId === 'audit.exec-into-pod' && f.origin.uri.endsWith('exec_pod.json'));
    expect(exec?.entities).toMatchObject({ user: 'minikube-user', namespace: 'default' });
    for (const f of lines) {
      for (const field of [
        'id',
        'ruleId',
        'kind',
        'severity',
        'source',
        'time',
        'title',
        'summary',
        'entities',
        'evidence',
        'origin',
        'mitre',
        'count',
      ]) {
        expect(f, `${f.ruleId} lacks ${field}`).toHaveProperty(field);
      }
    }
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
    expect(summary.objects).toMatchObject({ read: 47, audit: 47 });
    expect(summary.eventsParsed).toBe(51);
    expect(summary.nonEventsSkipped).toEqual({ 'not-an-audit-event': 1 });
    expect(summary.recordsRejected).toEqual({});
    expect(summary.findings.total).toBe(lines.length);
    expect(readFileSync(join(dir, 'findings.jsonl'), 'utf8')).toBe(stdout.text);
  });

  it('remembers state across runs with --state: the same objects are not alerted twice', async () => {
    const state = mkdtempSync(join(tmpdir(), 'dw-state-'));
    const first = await run([`${CORPUS}/exec_pod.json`], { stateDir: state });
    expect(first.result.findings).toHaveLength(1);
    const second = await run([`${CORPUS}/exec_pod.json`], { stateDir: state });
    expect(second.result.findings).toHaveLength(0);
    expect(second.result.summary.objects.alreadyProcessed).toBe(1);
  });

  it('exits 3 when --fail-on is met, 0 when it is not', async () => {
    expect((await run([`${CORPUS}/exec_pod.json`], { failOn: 'high' })).result.exitCode).toBe(3);
    expect((await run([`${CORPUS}/exec_pod.json`], { failOn: 'critical' })).result.exitCode).toBe(0);
  });

  it('prints a table by default', async () => {
    const { stdout } = await run([`${CORPUS}/exec_pod.json`], { format: 'table' });
    expect(stdout.text.split('\n')[0]).toMatch(/^TIME \(UTC\)\s+SEVERITY\s+RULE\s+SUMMARY/);
    expect(stdout.text).toContain('audit.exec-into-pod');
  });
});

describe('driftwatch command line', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/driftwatch.mjs', ...args], { encoding: 'utf8' });

  it('exits 0 on a completed run and 1 with a one-line message on bad usage or config', () => {
    expect(cli('analyze', `${CORPUS}/exec_pod.json`, '--format', 'json').status).toBe(0);
    const badFlag = cli('analyze', '--fromat', 'json', CORPUS);
    expect(badFlag.status).toBe(1);
    expect(badFlag.stderr.trim().split('\n')).toHaveLength(1);
    expect(badFlag.stderr).toContain("unknown option '--fromat'");
    const badSeverity = cli('analyze', '--fail-on', 'huge', CORPUS);
    expect(badSeverity.status).toBe(1);
    expect(badSeverity.stderr).toContain('use one of info, low, medium, high, critical');
    const missing = cli('analyze', 'no/such/path');
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe(
      'driftwatch: path not found: no/such/path. Give a log file or a folder of log files.',
    );
    const dir = mkdtempSync(join(tmpdir(), 'dw-cfg-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ learning: { days: 'seven' } }));
    const badConfig = cli('analyze', '--config', join(dir, 'bad.json'), CORPUS);
    expect(badConfig.status).toBe(1);
    expect(badConfig.stderr.trim().split('\n')).toHaveLength(1);
    expect(badConfig.stderr).toContain('learning.days');
  });

  it('exits 3 when --fail-on is met', () => {
    expect(cli('analyze', `${CORPUS}/exec_pod.json`, '--fail-on', 'medium').status).toBe(3);
  });

  it('takes --scenario only with no PATH, and only a known variant', () => {
    const withPath = cli('analyze', '--scenario', 'existing-cluster', CORPUS);
    expect(withPath.status).toBe(1);
    expect(withPath.stderr.trim()).toBe(
      'driftwatch: --scenario picks the sample scenario run with no PATH; drop it or the PATHs',
    );
    const unknown = cli('analyze', '--scenario', 'brownfield');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('fresh, existing-cluster');
  });
});
