import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../cli/analyze';
import { UsageError } from '../../cli/errors';
import {
  acknowledgeIncident,
  describeIncident,
  type IncidentsOptions,
  listIncidents,
  resolveIncident,
  showIncidents,
} from '../../cli/incidents';
import type { Finding } from '../../shared/alert';
import { DynamoTable } from '../../shared/aws/dynamo-table';
import { defaultConfig } from '../../shared/config';
import { type Incident, IncidentBook, IncidentNotFoundError } from '../../shared/incident';
import { loadStateDir } from '../../shared/store';
import { Capture } from '../support/capture';
import { type LocalDynamo, startDynalite } from '../support/dynalite';

const CORPUS = 'events/fixtures/k8s-audit-falco';
/** An exec and an attach into the same pod by the same user, minutes apart: one incident of two findings. */
const EXEC_AND_ATTACH = [join(CORPUS, 'exec_pod.json'), join(CORPUS, 'attach_pod.json')];
const NOW = Date.parse('2026-06-01T12:00:00Z');

/** A state folder that `analyze --state` wrote the exec-and-attach incident into, and that incident. */
async function analyzedState(): Promise<{ stateDir: string; incident: Incident }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'dw-incidents-'));
  const { incidents } = await analyze({
    paths: EXEC_AND_ATTACH,
    stateDir,
    format: 'json',
    stdout: new Capture(),
    stderr: new Capture(),
  });
  expect(incidents).toHaveLength(1);
  return { stateDir, incident: incidents[0] as Incident };
}

function on(stateDir: string, extra: Partial<IncidentsOptions> = {}): IncidentsOptions & { stdout: Capture } {
  return { stateDir, format: 'table', clock: () => NOW, ...extra, stdout: new Capture() };
}

/** The CLI in a child process (asynchronous, so that servers of this process keep answering it). */
function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['bin/driftwatch.mjs', 'incidents', ...args],
      { encoding: 'utf8', env },
      (error, stdout, stderr) => resolve({ status: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}

describe('driftwatch incidents', () => {
  it('lists the incident analyze --state opened, as a table and as JSON Lines', async () => {
    // Prepare
    const { stateDir, incident } = await analyzedState();
    const table = on(stateDir);
    const json = on(stateDir, { format: 'json' });
    // Act
    expect(await listIncidents(table)).toBe(0);
    await listIncidents(json);
    // Assess
    const [header, row, ...rest] = table.stdout.text.trimEnd().split('\n');
    expect(header).toMatch(
      /^ID\s+SEVERITY\s+STATUS\s+FIRST SEEN \(UTC\)\s+LAST SEEN \(UTC\)\s+FINDINGS\s+MESSAGES\s+TITLE$/,
    );
    expect(row).toMatch(
      new RegExp(
        `^${incident.id}\\s+HIGH\\s+open\\s+2018-10-26 13:38:34\\s+2018-10-26 13:42:46\\s+2\\s+1\\s+minikube-user → default/nginx-deployment: kubectl exec into a pod$`,
      ),
    );
    expect(rest).toEqual([]);
    const lines = json.stdout.text.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual(incident);
  });

  it('shows the incident in words: severity, entities, why its findings joined, the timeline and the history', async () => {
    // Prepare
    const { stateDir, incident } = await analyzedState();
    const out = on(stateDir);
    // Act
    await showIncidents([incident.id], out);
    // Assess
    const text = out.stdout.text;
    expect(text.split('\n')[0]).toBe(
      `${incident.id}  minikube-user → default/nginx-deployment: kubectl exec into a pod`,
    );
    expect(text).toContain('  Severity    high (its most severe finding)\n');
    expect(text).toContain('  Status      open\n');
    expect(text).toContain('  First seen  2018-10-26 13:38:34 UTC\n');
    expect(text).toMatch(/identities\s+minikube-user\n/);
    expect(text).toMatch(/workloads\s+default\/nginx-deployment\n/);
    expect(text).toContain('  Tactics     Execution\n');
    expect(text).toContain('  Why joined\n    the same identity (minikube-user): 2 of 2 findings\n');
    expect(text).toContain('    the same workload (default/nginx-deployment), or pods of it: 2 of 2 findings\n');
    expect(text).toMatch(
      /Timeline \(2 findings\)\n {4}2018-10-26 13:38:34 {2}HIGH\s+audit\.exec-into-pod\s+minikube-user ran exec "bash" in pod .*\n {4}2018-10-26 13:42:46 {2}HIGH\s+audit\.exec-into-pod\s+minikube-user ran attach in pod /,
    );
    expect(text).toContain('  History\n    2018-10-26 13:38:34  opened by driftwatch\n');
  });

  it('shows the incident with its whole findings as JSON, and refuses an unknown id before printing any', async () => {
    // Prepare
    const { stateDir, incident } = await analyzedState();
    const out = on(stateDir, { format: 'json' });
    // Act
    await showIncidents([incident.id], out);
    // Assess
    const shown = JSON.parse(out.stdout.text) as { incident: Incident; findings: Finding[] };
    expect(shown.incident).toEqual(incident);
    expect(shown.findings.map((f) => f.id)).toEqual(incident.findings);
    expect(shown.findings[0]).toMatchObject({ ruleId: 'audit.exec-into-pod', entities: { user: 'minikube-user' } });
    const both = on(stateDir);
    await expect(showIncidents([incident.id, 'inc-nope'], both)).rejects.toThrow(IncidentNotFoundError);
    expect(both.stdout.text).toBe('');
  });

  it('acknowledges until a date: the store keeps it, list --status acknowledged shows it, show tells who, why and until when', async () => {
    // Prepare
    const { stateDir, incident } = await analyzedState();
    const ack = on(stateDir);
    // Act
    await acknowledgeIncident(incident.id, { reason: 'red team exercise RT-7', until: '2026-07-01', by: 'alice' }, ack);
    // Assess
    expect(ack.stdout.text).toContain(`Acknowledged ${incident.id} until 2026-07-01 00:00:00 UTC`);
    const stored = await new IncidentBook(await loadStateDir(stateDir), defaultConfig(), () => NOW).get(incident.id);
    expect(stored?.acknowledged).toEqual({
      reason: 'red team exercise RT-7',
      by: 'alice',
      at: '2026-06-01T12:00:00.000Z',
      until: '2026-07-01T00:00:00.000Z',
    });
    const acknowledged = on(stateDir);
    await listIncidents({ ...acknowledged, status: 'acknowledged' });
    expect(acknowledged.stdout.text).toMatch(new RegExp(`\\n${incident.id}\\s+HIGH\\s+acknowledged\\s`));
    const open = on(stateDir);
    await listIncidents({ ...open, status: 'open' });
    expect(open.stdout.text).toBe('No open incidents.\n');
    const show = on(stateDir);
    await showIncidents([incident.id], show);
    expect(show.stdout.text).toContain(
      '  Status      acknowledged by alice at 2026-06-01 12:00:00 UTC until 2026-07-01 00:00:00 UTC: red team exercise RT-7\n',
    );
    expect(show.stdout.text).toContain('    2026-06-01 12:00:00  acknowledged by alice: red team exercise RT-7\n');
  });

  it('resolves, by the OS user when --by is absent, and list --status resolved shows it', async () => {
    // Prepare
    const { stateDir, incident } = await analyzedState();
    // Act
    await resolveIncident(incident.id, { reason: 'pod rebuilt' }, on(stateDir));
    // Assess
    const resolved = on(stateDir);
    await listIncidents({ ...resolved, status: 'resolved' });
    expect(resolved.stdout.text).toMatch(new RegExp(`\\n${incident.id}\\s+HIGH\\s+resolved\\s`));
    const all = on(stateDir);
    await listIncidents(all);
    expect(all.stdout.text).toContain(incident.id);
    const show = on(stateDir);
    await showIncidents([incident.id], show);
    expect(show.stdout.text).toContain('  Status      resolved at 2026-06-01 12:00:00 UTC;');
    expect(show.stdout.text).toContain(`    2026-06-01 12:00:00  resolved by ${userInfo().username}: pod rebuilt\n`);
  });

  it('refuses wrong flags with a UsageError that says how to fix them', async () => {
    const { stateDir, incident } = await analyzedState();
    const usage = (p: Promise<unknown>, message: RegExp) => expect(p).rejects.toThrow(message);
    await usage(listIncidents({ stdout: new Capture() }), /--state DIR .* or --table NAME/);
    await usage(
      listIncidents({ stateDir, tableName: 't', stdout: new Capture() }),
      /give --state or --table, not both/,
    );
    await usage(
      listIncidents(on(join(stateDir, 'missing'))),
      /is not a folder; give the folder given to driftwatch analyze --state/,
    );
    await usage(acknowledgeIncident(incident.id, { reason: '  ' }, on(stateDir)), /ack needs --reason TEXT/);
    await usage(
      acknowledgeIncident(incident.id, { reason: 'x', until: 'soon' }, on(stateDir)),
      /--until soon is not a date/,
    );
    await usage(
      acknowledgeIncident(incident.id, { reason: 'x', until: '2026-05-31' }, on(stateDir)),
      /--until 2026-05-31 is not in the future \(now is 2026-06-01 12:00:00 UTC\)/,
    );
    await usage(acknowledgeIncident(incident.id, { reason: 'x', by: '' }, on(stateDir)), /--by is empty/);
    await expect(showIncidents([], on(stateDir))).rejects.toThrow(UsageError);
    // Nothing was changed by the refused commands.
    const list = on(stateDir);
    await listIncidents({ ...list, status: 'open' });
    expect(list.stdout.text).toContain(incident.id);
  });

  it('is a subcommand of the CLI: an unknown id or a bad --until exits 1 with one line', async () => {
    // Prepare
    const { stateDir, incident } = await analyzedState();
    // Act
    const [unknown, badUntil, badStatus, listed] = await Promise.all([
      cli(['show', 'inc-000000000000', '--state', stateDir]),
      cli(['ack', incident.id, '--reason', 'x', '--until', 'next week', '--state', stateDir]),
      cli(['--status', 'closed', '--state', stateDir]),
      cli(['--state', stateDir]),
    ]);
    // Assess
    for (const failed of [unknown, badUntil, badStatus]) {
      expect(failed.status).toBe(1);
      expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(unknown.stderr).toBe('driftwatch: no incident inc-000000000000; list them with: driftwatch incidents\n');
    expect(badUntil.stderr).toMatch(/^driftwatch: --until next week is not a date; give one such as 2026-12-01/);
    expect(badStatus.stderr).toContain('Allowed choices are open, acknowledged, resolved, merged');
    expect(badStatus.stderr).toContain('(see driftwatch incidents --help)');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(incident.id);
  });
});

describe('describeIncident', () => {
  const incident: Incident = {
    id: 'inc-000000000001',
    cluster: 'prod',
    title: 'bob → payments/api: Exposure path\u001b[2J',
    severity: 'critical',
    findingSeverity: 'high',
    status: 'acknowledged',
    firstSeen: '2026-05-01T10:00:00.000Z',
    lastSeen: '2026-05-02T10:00:00.000Z',
    findings: ['f1', 'f2'],
    rules: ['net.exposure-path', 'audit.exec-into-pod'],
    keys: ['workload:payments/api'],
    joins: [{ key: 'workload:payments/api', findings: 2, because: 'the same workload (payments/api), or pods of it' }],
    tactics: ['Initial Access', 'Execution', 'Exfiltration'],
    entities: {
      identities: ['bob'],
      workloads: ['payments/api'],
      sources: [],
      destinations: ['203.0.113.9'],
      images: [],
      namespaces: ['payments'],
    },
    timeline: [
      {
        findingId: 'f1',
        ruleId: 'net.exposure-path',
        severity: 'high',
        time: '2026-05-01T10:00:00.000Z',
        title: 'Exposure path',
        summary: 'internet reaches payments/api on 443',
        keys: ['workload:payments/api'],
        mutedBy: 'sup-known-lb',
        repeats: { count: 3, last: '2026-05-02T09:00:00.000Z' },
      },
      {
        findingId: 'f2',
        ruleId: 'audit.exec-into-pod',
        severity: 'high',
        time: '2026-05-02T10:00:00.000Z',
        title: 'kubectl exec into a pod',
        summary: 'bob ran exec "sh" in pod payments/api-1',
        keys: ['workload:payments/api'],
      },
    ],
    conditions: [{ key: 'condition:net.exposure-path:payments/api→db:5432', elements: ['lb', 'payments/api', 'db'] }],
    messages: 2,
    quiet: 1,
    acknowledged: { reason: 'known', by: 'carol', at: '2026-05-02T11:00:00.000Z', until: '2026-05-10T00:00:00.000Z' },
    linkedTo: 'inc-000000000000',
    merged: ['inc-000000000002'],
    history: [
      { at: '2026-05-01T10:00:00.000Z', action: 'opened', by: 'driftwatch' },
      { at: '2026-05-02T11:00:00.000Z', action: 'acknowledged', by: 'carol', reason: 'known' },
    ],
  };

  it('says why the severity was raised, what muted a finding, how often it repeated, and what it continues', () => {
    const text = describeIncident(incident, Date.parse('2026-05-03T00:00:00Z'));
    expect(text).toContain('  Severity    critical (raised from high: its findings span 3 ATT&CK tactics');
    expect(text).toContain('until 2026-05-10 00:00:00 UTC: known\n');
    expect(text).toContain('(muted by sup-known-lb; seen 3 more times, last 2026-05-02 09:00:00)\n');
    expect(text).toContain(
      '  Conditions\n    condition:net.exposure-path:payments/api→db:5432: lb → payments/api → db\n',
    );
    expect(text).toContain('  Continues   inc-000000000000 (it was full)\n');
    expect(text).toContain('  Merged      inc-000000000002\n');
    expect(text).toContain('  Messages    2 sent; 1 later findings brought nothing new to send\n');
  });

  it('marks a finding below the alert threshold that joined as context', () => {
    const context = {
      findingId: 'c1',
      ruleId: 'audit.config-object-change',
      severity: 'info' as const,
      time: '2026-05-02T10:30:00.000Z',
      title: 'Secret, ConfigMap or Service changed',
      summary: 'bob updated ConfigMap payments/api-config',
      keys: ['identity:bob'],
      context: true as const,
    };
    const text = describeIncident(
      { ...incident, timeline: [...incident.timeline, context] },
      Date.parse('2026-05-03T00:00:00Z'),
    );
    expect(text).toContain(
      'bob updated ConfigMap payments/api-config (context: below alerts.minSeverity, not notified)\n',
    );
    expect(text.match(/context: below/g)).toHaveLength(1);
  });

  it('says when an acknowledgement has ended, and escapes control characters from the logs', () => {
    const text = describeIncident(incident, Date.parse('2026-05-11T00:00:00Z'));
    expect(text).toContain('; ended 2026-05-10 00:00:00 UTC, so the next finding that joins it is sent: known\n');
    expect(text).not.toContain('\u001b');
    expect(text.split('\n')[0]).toBe('inc-000000000001  bob → payments/api: Exposure path\\u001b[2J');
  });
});

describe('driftwatch incidents --table', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startDynalite('driftwatch-incidents-cli');
  });
  afterAll(async () => {
    await dynamo?.close();
  });

  /** The CLI as a user runs it, with credentials and an endpoint from the environment (the SDK's own chain). */
  const run = async (...args: string[]) => {
    const result = await cli([...args, '--table', dynamo.tableName], {
      PATH: process.env.PATH,
      HOME: mkdtempSync(join(tmpdir(), 'dw-home-')),
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    expect(result.status, result.stderr).toBe(0);
    return result;
  };

  it('lists and acknowledges the incidents of the deployed table', async () => {
    // Prepare: the analyzed incident, in the DynamoDB table.
    const { stateDir, incident } = await analyzedState();
    const table = new DynamoTable({ tableName: dynamo.tableName, client: dynamo.client });
    await table.batchPut([...(await loadStateDir(stateDir)).items()]);
    // Act
    const listed = await run();
    const acked = await run('ack', incident.id, '--reason', 'change window CHG-12', '--by', 'dave');
    const acknowledged = await run('--status', 'acknowledged', '--format', 'json');
    // Assess
    expect(listed.stdout).toMatch(new RegExp(`\\n${incident.id}\\s+HIGH\\s+open\\s`));
    expect(acked.stdout).toContain(`Acknowledged ${incident.id}:`);
    const stored = await new IncidentBook(table, defaultConfig(), Date.now).get(incident.id);
    expect(stored?.status).toBe('acknowledged');
    expect(stored?.acknowledged).toMatchObject({ reason: 'change window CHG-12', by: 'dave' });
    expect(JSON.parse(acknowledged.stdout).id).toBe(incident.id);
  });
});
