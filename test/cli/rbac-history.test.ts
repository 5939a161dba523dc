import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../cli/analyze';
import { UsageError } from '../../cli/errors';
import { rbacHistory } from '../../cli/rbac-history';
import type { RbacTrailEntry } from '../../shared/record/rbac-trail';
import { Capture } from '../support/capture';

const CORPUS = 'events/fixtures/k8s-audit-falco';
const RBAC_FILES = [
  'create_clusterrolebinding.json',
  'attach_cluster_admin_role.json',
  'delete_clusterrolebinding.json',
  'create_clusterrole.json',
].map((f) => join(CORPUS, f));

function history(options: Partial<Parameters<typeof rbacHistory>[0]>) {
  const stdout = new Capture();
  const stderr = new Capture();
  return rbacHistory({ format: 'table', stdout, stderr, ...options }).then((code) => ({ code, stdout, stderr }));
}

describe('driftwatch rbac-history', () => {
  it('prints the trail that analyze --state recorded, with who, when and the lines that changed', async () => {
    // Prepare: the Falco corpus's RBAC changes, analyzed into a state folder.
    const state = mkdtempSync(join(tmpdir(), 'dw-rbac-'));
    await analyze({ paths: RBAC_FILES, stateDir: state, format: 'json', stdout: new Capture(), stderr: new Capture() });
    // Act
    const { code, stdout } = await history({ stateDir: state, name: 'some-reader-binding' });
    // Assess
    expect(code).toBe(0);
    const text = stdout.text;
    expect(text).toContain('create ClusterRoleBinding some-reader-binding  by minikube-user from 192.168.99.1');
    expect(text).toContain('+ roleRef ClusterRole/system:basic-user');
    expect(text).toContain('+ roleRef ClusterRole/cluster-admin');
    expect(text).toContain('- roleRef ClusterRole/system:basic-user');
    expect(text).toContain('delete ClusterRoleBinding some-reader-binding');
    expect(text).not.toContain('some-reader  by');
  });

  it('analyzes PATHs first when given --analyze, and prints JSON Lines with --format json', async () => {
    const { code, stdout } = await history({ analyzePaths: RBAC_FILES, format: 'json' });
    expect(code).toBe(0);
    const entries = stdout.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RbacTrailEntry);
    expect(entries.map((e) => [e.verb, e.kind, e.name])).toEqual(
      expect.arrayContaining([
        ['create', 'ClusterRole', 'some-reader'],
        ['delete', 'ClusterRoleBinding', 'some-reader-binding'],
      ]),
    );
    expect(entries.every((e) => e.user === 'minikube-user')).toBe(true);
  });

  it('says so when nothing matches, and needs a store to read', async () => {
    const state = mkdtempSync(join(tmpdir(), 'dw-rbac-'));
    const { stdout } = await history({ stateDir: state, name: 'nothing-*' });
    expect(stdout.text).toBe('No RBAC changes recorded for nothing-*.\n');
    await expect(history({})).rejects.toThrow(UsageError);
    await expect(history({ stateDir: state, since: 'last tuesday' })).rejects.toThrow(UsageError);
  });

  it('is a subcommand of the CLI that exits 1 with one line on bad usage', () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['bin/driftwatch.mjs', 'rbac-history', ...args], { encoding: 'utf8' });
    const missing = cli();
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('--state DIR');
    const ok = cli('--analyze', join(CORPUS, 'attach_cluster_admin_role.json'));
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('+ roleRef ClusterRole/cluster-admin');
  });
});
