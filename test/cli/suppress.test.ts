import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/errors';
import { suppressAdd, suppressHistory, suppressList, suppressRemove } from '../../cli/suppress';
import { DAY_MS } from '../../shared/util';
import { Capture } from '../support/capture';

/** A UTC date `days` from now, as `--expires` takes it. */
const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);

function stateDir(): string {
  return mkdtempSync(join(tmpdir(), 'dw-suppress-'));
}

async function add(state: string, flags: Partial<Parameters<typeof suppressAdd>[0]> = {}) {
  const stdout = new Capture();
  await suppressAdd({
    stateDir: state,
    id: 'ci-scanner',
    rule: 'net.*',
    match: ['srcAddr=10.1.0.0/16', 'namespace=ci'],
    reason: 'nightly CI port scan',
    owner: 'platform-team',
    expires: inDays(30),
    by: 'bob',
    stdout,
    ...flags,
  });
  return stdout.text;
}

async function list(state: string, flags: Partial<Parameters<typeof suppressList>[0]> = {}) {
  const stdout = new Capture();
  await suppressList({ stateDir: state, format: 'table', stdout, ...flags });
  return stdout.text;
}

/** The one-line message a refused command gives. */
async function refusal(work: Promise<unknown>): Promise<string> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  return message;
}

describe('driftwatch suppress', () => {
  it('adds, lists, removes, and lists the removed one with who removed it and why', async () => {
    // Prepare
    const state = stateDir();
    // Act: add
    const added = await add(state);
    // Assess: it is saved in the state folder and listed with its reason, owner, expiry and muted count.
    expect(added).toBe(
      `Added suppression ci-scanner: rule=net.* srcAddr=10.1.0.0/16 namespace=ci; expires ${inDays(30)}.\n`,
    );
    const listed = await list(state);
    const [header, row, reason] = listed.split('\n');
    expect(header).toMatch(/^ID\s+SOURCE\s+STATUS\s+EXPIRES \(UTC\)\s+MUTED\s+OWNER\s+MATCHES$/);
    expect(row).toMatch(
      new RegExp(
        `^ci-scanner\\s+table\\s+active\\s+${inDays(30)} 00:00\\s+0\\s+platform-team\\s+rule=net\\.\\* srcAddr=10\\.1\\.0\\.0/16 namespace=ci$`,
      ),
    );
    expect(reason).toMatch(/^ {4}reason: nightly CI port scan; added \d{4}-\d\d-\d\d \d\d:\d\d by bob$/);

    // Act: remove
    const removed = new Capture();
    await suppressRemove({
      stateDir: state,
      id: 'ci-scanner',
      reason: 'scanner retired',
      by: 'alice',
      stdout: removed,
    });
    // Assess: gone from the list, shown with --all as removed, and both changes in the history.
    expect(removed.text).toBe('Removed suppression ci-scanner.\n');
    expect(await list(state)).toBe('No suppressions in force.\n');
    const all = await list(state, { all: true });
    expect(all).toMatch(/ci-scanner\s+table\s+removed\s/);
    expect(all).toMatch(/\n {4}removed \d{4}-\d\d-\d\d \d\d:\d\d by alice: scanner retired\n/);
    const json = await list(state, { all: true, format: 'json' });
    expect(JSON.parse(json)).toMatchObject({
      rule: { id: 'ci-scanner', owner: 'platform-team', reason: 'nightly CI port scan', expires: inDays(30) },
      source: 'table',
      createdBy: 'bob',
      removedBy: 'alice',
      removedReason: 'scanner retired',
      expired: false,
      muted: 0,
    });
    const history = new Capture();
    await suppressHistory({ stateDir: state, format: 'table', stdout: history });
    expect(history.text).toMatch(
      / add {5}ci-scanner {2}by bob: nightly CI port scan\n[^\n]*\n.* remove {2}ci-scanner {2}by alice: scanner retired\n/,
    );
  });

  it('refuses bad flags with one line saying what to fix', async () => {
    const state = stateDir();
    expect(await refusal(add(state, { expires: undefined }))).toBe(
      'suppress add needs --expires DATE, an ISO-8601 date such as 2027-01-31; suppressions always end',
    );
    expect(await refusal(add(state, { expires: inDays(100) }))).toBe(
      `expires ${inDays(100)} is more than 90 days away (maxSuppressionDays); choose an earlier date`,
    );
    expect(await refusal(add(state, { match: ['dstAddr=10.0.0.0/33'] }))).toBe(
      'dstAddr=10.0.0.0/33 is not a CIDR (10.0.0.0/16), an address (10.0.0.5) or a glob (10.0.*)',
    );
    expect(await refusal(add(state, { match: ['namespace'] }))).toContain('--match namespace is not KEY=GLOB');
    expect(await refusal(add(state, { rule: 'net.new-prot' }))).toContain('--rule net.new-prot matches no detector id');
    expect(await refusal(add(state, { rule: undefined, match: [] }))).toContain('say what to mute');
    expect(await refusal(add(state, { expires: 'next friday' }))).toContain('expires: must be an ISO-8601 date');
    expect(await refusal(add(state, { stateDir: undefined }))).toContain('needs the store: --state DIR');
    expect(await refusal(add(state, { tableName: 'driftwatch-state' }))).toBe('give --state or --table, not both');
    expect(await refusal(suppressRemove({ stateDir: state, id: 'x', stdout: new Capture() }))).toContain(
      'needs --reason TEXT',
    );
    expect(await refusal(suppressRemove({ stateDir: state, id: 'x', reason: 'gone now', stdout: new Capture() }))).toBe(
      'no suppression x in the table; see driftwatch suppress list',
    );
    // Nothing was saved.
    expect(await list(state, { all: true })).toBe('No suppressions.\n');
  });

  it('lists the config file’s suppressions and applies its maxSuppressionDays', async () => {
    // Prepare
    const state = stateDir();
    const configPath = join(state, 'driftwatch.config.json');
    const configured = {
      id: 'known-scanner',
      ruleId: 'net.internet-scan',
      entities: { srcAddr: '198.51.100.0/24' },
      reason: 'our external scanner',
      owner: 'secops',
      expires: inDays(5),
    };
    writeFileSync(configPath, JSON.stringify({ maxSuppressionDays: 7, suppressions: [configured] }));
    // Act, Assess
    expect(await refusal(add(state, { configPath, expires: inDays(10) }))).toContain('more than 7 days away');
    expect(await refusal(add(state, { configPath, id: 'known-scanner', expires: inDays(6) }))).toContain(
      'suppression of the config file',
    );
    await add(state, { configPath, expires: inDays(6), by: undefined });
    const rows = JSON.parse(`[${(await list(state, { configPath, format: 'json' })).trim().split('\n').join(',')}]`);
    expect(rows).toMatchObject([
      { rule: configured, source: 'config', createdBy: 'config', muted: 0 },
      { rule: { id: 'ci-scanner' }, source: 'table', createdBy: userInfo().username },
    ]);
    expect(await list(state, { configPath })).toContain('reason: our external scanner; from the config file');
  });

  it('is a subcommand of the CLI that exits 1 with one line on bad usage', async () => {
    const state = stateDir();
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['bin/driftwatch.mjs', 'suppress', ...args], { encoding: 'utf8' });
    const base = ['--id', 'ci', '--rule', 'net.*', '--reason', 'CI scans', '--owner', 'platform', '--state', state];
    const missing = cli('add', ...base);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(
      'driftwatch: suppress add needs --expires DATE, an ISO-8601 date such as 2027-01-31; suppressions always end\n',
    );
    const unknown = cli('add', '--expire', inDays(3), ...base);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe("error: unknown option '--expire' (see driftwatch suppress add --help)\n");
    const ok = cli(
      'add',
      '--expires',
      inDays(3),
      '--match',
      'namespace=ci',
      'user=system:serviceaccount:ci:*',
      ...base,
    );
    expect(ok.status).toBe(0);
    expect(await list(state)).toContain('rule=net.* namespace=ci user=system:serviceaccount:ci:*');
  });
});
