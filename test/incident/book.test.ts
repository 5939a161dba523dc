import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config';
import { IncidentBook, keysOf } from '../../shared/incident';
import { MemoryTable } from '../../shared/store';
import { egress, finding, messageLog } from './fixtures';

function book(over: Parameters<typeof defaultConfig>[0] = {}) {
  const table = new MemoryTable();
  return { table, book: new IncidentBook(table, defaultConfig(over), () => Date.parse('2026-12-01T00:00:00Z')) };
}

const exec = (id: string, time: string, user = 'bob') =>
  finding(id, time, { entities: { user, namespace: 'shop', resource: 'pods', name: 'web-7d4b9c6f5-abcde' } });

describe('joining', () => {
  it('joins findings of one identity within the window, and no longer after it', async () => {
    const { book: b } = book();
    const log = messageLog();
    const first = await b.record([{ finding: exec('f1', '2026-11-10T10:00:00Z') }], log.write);
    const second = await b.record([{ finding: exec('f2', '2026-11-11T09:59:00Z', 'bob') }], log.write);
    expect(second.incidentOf.get('f2')).toBe(first.incidentOf.get('f1'));
    // 24 h after the incident's last finding (f2), not after its first.
    const third = await b.record([{ finding: exec('f3', '2026-11-12T10:00:00Z') }], log.write);
    expect(third.incidentOf.get('f3')).not.toBe(first.incidentOf.get('f1'));
    const incidents = await b.list();
    expect(incidents.map((i) => i.findings.length).sort()).toEqual([1, 2]);
  });

  it('honours incidents.windowHours', async () => {
    const { book: b } = book({ incidents: { windowHours: 1 } });
    const log = messageLog();
    await b.record([{ finding: exec('f1', '2026-11-10T10:00:00Z') }], log.write);
    await b.record([{ finding: exec('f2', '2026-11-10T11:30:00Z') }], log.write);
    expect(await b.list()).toHaveLength(2);
  });

  it('joins a chain: an identity creates a workload, and its pods then reach a threat-listed address', async () => {
    const { book: b } = book();
    const log = messageLog();
    const created = finding('d1', '2026-11-11T02:17:33Z', {
      ruleId: 'audit.out-of-band-workload',
      mitre: ['T1610'],
      entities: {
        user: 'system:serviceaccount:payments:api',
        namespace: 'payments',
        resource: 'deployments',
        name: 'miner',
        image: 'ghcr.io/x/xmrig:6',
      },
    });
    await b.record([{ finding: created }], log.write);
    const net = await b.record(
      [{ finding: egress('n1', '2026-11-11T02:18:05Z', 'payments/miner', '198.51.100.77') }],
      log.write,
    );
    const [incident] = await b.list();
    expect(net.incidentOf.get('n1')).toBe(incident?.id);
    expect(incident?.findings).toEqual(['d1', 'n1']);
    expect(incident?.joins.map((j) => j.key)).toContain('workload:payments/miner');
    expect(incident?.joins.find((j) => j.key === 'workload:payments/miner')?.because).toMatch(/same workload/);
    // One open, then one update for the new kind that also escalated it.
    expect(log.messages.map((m) => [m.kind, m.reason])).toEqual([
      ['incident', 'opened'],
      ['update', 'escalated from high to critical; new kind of finding: net.threat-intel-match'],
    ]);
  });

  it('merges two incidents into the older when a finding shares a key with both', async () => {
    const { book: b } = book();
    const log = messageLog();
    const older = await b.record([{ finding: exec('a1', '2026-11-10T10:00:00Z', 'alice') }], log.write);
    const younger = await b.record(
      [
        {
          finding: egress('b1', '2026-11-10T11:00:00Z', 'shop/api', '192.0.2.9', {
            severity: 'medium',
            ruleId: 'net.new-external-destination',
            mitre: ['T1041'],
          }),
        },
      ],
      log.write,
    );
    expect(younger.incidentOf.get('b1')).not.toBe(older.incidentOf.get('a1'));
    // alice (the older incident's key) creates shop/api (the younger's): both are one incident now.
    const bridge = finding('c1', '2026-11-10T12:00:00Z', {
      ruleId: 'audit.out-of-band-workload',
      mitre: ['T1610'],
      entities: { user: 'alice', namespace: 'shop', resource: 'deployments', name: 'api' },
    });
    const merged = await b.record([{ finding: bridge }], log.write);
    const olderId = older.incidentOf.get('a1') as string;
    expect(merged.incidentOf.get('c1')).toBe(olderId);
    const incident = await b.get(olderId);
    expect(incident?.findings).toEqual(['a1', 'b1', 'c1']);
    expect(incident?.merged).toEqual([younger.incidentOf.get('b1')]);
    const gone = await b.get(younger.incidentOf.get('b1') as string);
    expect(gone).toMatchObject({ status: 'merged', mergedInto: olderId });
    expect((await b.findings(olderId)).map((f) => f.id)).toEqual(['a1', 'b1', 'c1']);
    expect(await b.list()).toHaveLength(1);
  });

  it('continues a full incident in a new one linked to it', async () => {
    const { book: b } = book({ incidents: { maxFindings: 2 } });
    const log = messageLog();
    const r = await b.record(
      ['10:00', '10:01', '10:02'].map((t, i) => ({ finding: exec(`f${i}`, `2026-11-10T${t}:00Z`) })),
      log.write,
    );
    const first = r.incidentOf.get('f0');
    const next = r.incidentOf.get('f2');
    expect(r.incidentOf.get('f1')).toBe(first);
    expect(next).not.toBe(first);
    expect((await b.get(next as string))?.linkedTo).toBe(first);
  });

  it('records a finding once when the same owner retries', async () => {
    const { book: b } = book();
    const log = messageLog();
    await b.record([{ finding: exec('f1', '2026-11-10T10:00:00Z') }], log.write);
    const again = await b.record([{ finding: exec('f1', '2026-11-10T10:00:00Z') }], log.write);
    expect(again.added).toBe(0);
    const [incident] = await b.list();
    expect(incident?.findings).toEqual(['f1']);
    expect(log.messages).toHaveLength(1);
  });
});

describe('severity', () => {
  it('is the highest finding, raised one step when the findings span three tactics', async () => {
    const { book: b } = book();
    const log = messageLog();
    const base = { user: 'mallory', namespace: 'kube-system', resource: 'daemonsets', name: 'helper' };
    await b.record(
      [
        {
          finding: finding('t1', '2026-11-12T03:41:26Z', {
            ruleId: 'audit.out-of-band-workload',
            mitre: ['T1610'],
            entities: base,
          }),
        },
        {
          finding: finding('t2', '2026-11-12T03:41:26Z', {
            ruleId: 'audit.privileged-workload',
            mitre: ['T1611', 'T1610'],
            entities: base,
          }),
        },
      ],
      log.write,
    );
    expect((await b.list())[0]).toMatchObject({
      severity: 'high',
      findingSeverity: 'high',
      tactics: ['Execution', 'Privilege Escalation'],
    });
    await b.record(
      [
        {
          finding: finding('t3', '2026-11-12T03:42:00Z', {
            ruleId: 'audit.pod-in-system-namespace',
            mitre: ['T1036.005'],
            entities: base,
          }),
        },
      ],
      log.write,
    );
    expect((await b.list())[0]).toMatchObject({ severity: 'critical', findingSeverity: 'high' });
    expect(log.messages.at(-1)?.reason).toMatch(/^escalated from high to critical/);
  });
});

describe('conditions', () => {
  const path = (id: string, time: string, entry = 'alb-shop-web') =>
    finding(id, time, {
      ruleId: 'net.exposure-path',
      source: 'vpc-flow',
      mitre: ['T1190'],
      entities: { workload: 'shop/web', dstAddr: '10.0.200.10', dstPort: 5432 },
      roles: {
        path: [
          { entity: '203.0.113.0/24' },
          { entity: `entry:${entry}`, name: entry },
          { entity: 'workload:shop/web' },
          { entity: 'cidr:rds-subnets' },
        ],
      },
    });

  it('is one incident told once while it persists; a new element is told; resolved, it reopens', async () => {
    const { book: b } = book();
    const log = messageLog();
    expect(keysOf(path('p', '2026-11-10T09:12:30Z')).condition?.key).toBe(
      'condition:net.exposure-path:shop/web→rds-subnets:5432',
    );
    await b.record([{ finding: path('p', '2026-11-10T09:12:30Z') }], log.write);
    // The same finding, days later (its dedupe window passed): observed, not told.
    for (const day of ['11', '12', '13'])
      await b.record([{ finding: path('p', `2026-11-${day}T10:00:00Z`) }], log.write);
    let [incident] = await b.list();
    expect(log.messages.map((m) => m.kind)).toEqual(['incident']);
    expect(incident).toMatchObject({ lastSeen: '2026-11-13T10:00:00Z', quiet: 3 });
    // A second entry point to the same database: the condition changed.
    await b.record([{ finding: path('p2', '2026-11-13T11:00:00Z', 'nlb-shop') }], log.write);
    expect(log.messages.at(-1)).toMatchObject({ kind: 'update', reason: 'the condition changed: nlb-shop' });
    [incident] = await b.list();
    await b.resolve(incident?.id as string, { by: 'sam', reason: 'security group fixed' });
    await b.record([{ finding: path('p', '2026-11-20T10:00:00Z') }], log.write);
    expect(log.messages.at(-1)).toMatchObject({ kind: 'update', reason: 'reopened' });
    [incident] = await b.list();
    expect(incident?.status).toBe('open');
    expect(incident?.history.map((h) => h.action)).toEqual(['opened', 'resolved', 'reopened']);
  });
});

describe('lifecycle and muting', () => {
  it('tells nothing while acknowledged, and again once the acknowledgement ends', async () => {
    const { book: b } = book();
    const log = messageLog();
    const r = await b.record([{ finding: exec('f1', '2026-11-10T10:00:00Z') }], log.write);
    const id = r.incidentOf.get('f1') as string;
    await b.acknowledge(id, { by: 'sam', reason: 'known test', until: '2026-11-10T12:00:00Z' });
    await b.record(
      [
        {
          finding: finding('f2', '2026-11-10T11:00:00Z', { ruleId: 'audit.manual-delete', entities: { user: 'bob' } }),
        },
      ],
      log.write,
    );
    expect(log.messages).toHaveLength(1);
    expect((await b.get(id))?.status).toBe('acknowledged');
    await b.record(
      [{ finding: finding('f3', '2026-11-10T13:00:00Z', { ruleId: 'audit.rbac-change', entities: { user: 'bob' } }) }],
      log.write,
    );
    expect(log.messages.at(-1)?.reason).toMatch(
      /^acknowledgement expired, still observed; new kind of finding: audit.manual-delete, audit.rbac-change/,
    );
    expect((await b.get(id))?.status).toBe('open');
  });

  it('joins muted findings but tells no one about them', async () => {
    const { book: b } = book();
    const log = messageLog();
    const r = await b.record([{ finding: exec('f1', '2026-11-10T10:00:00Z'), mutedBy: 'bob-debugging' }], log.write);
    expect(log.messages).toEqual([]);
    const [incident] = await b.list();
    expect(incident?.timeline[0]?.mutedBy).toBe('bob-debugging');
    // A loud finding joining the same incident is told, with the muted one on its timeline.
    await b.record(
      [
        {
          finding: finding('f2', '2026-11-10T10:05:00Z', { ruleId: 'audit.manual-delete', entities: { user: 'bob' } }),
        },
      ],
      log.write,
    );
    expect(log.messages).toHaveLength(1);
    expect(log.messages[0]?.incident?.findings).toEqual(['f1', 'f2']);
    expect(r.incidentOf.get('f1')).toBe(log.messages[0]?.incident?.id);
  });

  it('refuses to change an unknown or merged incident', async () => {
    const { book: b } = book();
    await expect(b.resolve('inc-nope', { by: 'sam' })).rejects.toThrow(/no incident inc-nope/);
  });
});

describe('context (findings below alerts.minSeverity)', () => {
  /** An info change of a ConfigMap by `user`: it leads to that identity's incident, and brings a tactic of its own. */
  const change = (id: string, time: string, user = 'bob') =>
    finding(id, time, {
      ruleId: 'audit.config-object-change',
      severity: 'info',
      mitre: ['T1565'],
      entities: { user, namespace: 'shop', resource: 'configmaps', name: 'api-config' },
    });

  it('joins the incident of its identity as a marked timeline entry, and changes nothing else about it', async () => {
    const { book: b } = book();
    const log = messageLog();
    const opened = await b.record([{ finding: exec('f1', '2026-11-10T10:00:00Z') }], log.write);
    const before = await b.get(opened.incidentOf.get('f1') as string);
    // Six hours after the incident's last finding: inside the window, outside its time span.
    const joined = await b.record([{ finding: change('c1', '2026-11-10T16:00:00Z'), context: true }], log.write);
    const after = await b.get(opened.incidentOf.get('f1') as string);
    expect(joined.incidentOf.get('c1')).toBe(before?.id);
    expect(after?.findings).toEqual(['f1', 'c1']);
    expect(after?.timeline.map((t) => [t.findingId, t.context])).toEqual([
      ['f1', undefined],
      ['c1', true],
    ]);
    // The incident is what it was: severity, rules, keys, tactics, span, joins, title, and what was told.
    const { timeline: _t, findings: _f, ...rest } = after as NonNullable<typeof after>;
    const { timeline: _bt, findings: _bf, ...restBefore } = before as NonNullable<typeof before>;
    expect(rest).toEqual(restBefore);
    expect((await b.findings(before?.id as string)).map((f) => f.id)).toEqual(['f1', 'c1']);
    expect(log.messages.map((m) => m.kind)).toEqual(['incident']);
  });

  it('opens no incident, joins no resolved one, and joins none after the window', async () => {
    const { book: b } = book();
    const log = messageLog();
    const alone = await b.record([{ finding: change('c0', '2026-11-10T09:00:00Z', 'dave'), context: true }], log.write);
    expect(alone.incidentOf.has('c0')).toBe(false);
    expect(await b.list()).toEqual([]);
    const opened = await b.record([{ finding: exec('f1', '2026-11-10T10:00:00Z') }], log.write);
    const id = opened.incidentOf.get('f1') as string;
    const late = await b.record([{ finding: change('c1', '2026-11-11T10:00:01Z'), context: true }], log.write);
    expect(late.incidentOf.has('c1')).toBe(false);
    await b.resolve(id, { by: 'ops' });
    const resolved = await b.record([{ finding: change('c2', '2026-11-10T11:00:00Z'), context: true }], log.write);
    expect(resolved.incidentOf.has('c2')).toBe(false);
    expect(await b.get(id)).toMatchObject({ status: 'resolved', findings: ['f1'] });
    expect(log.messages).toHaveLength(1);
  });

  it('neither raises severity through a third tactic nor tells a new kind of finding', async () => {
    const { book: b } = book();
    const log = messageLog();
    const base = { user: 'mallory', namespace: 'kube-system', resource: 'daemonsets', name: 'helper' };
    const t1 = finding('t1', '2026-11-12T03:41:26Z', {
      ruleId: 'audit.out-of-band-workload',
      mitre: ['T1610'],
      entities: base,
    });
    const t2 = finding('t2', '2026-11-12T03:41:26Z', {
      ruleId: 'audit.privileged-workload',
      mitre: ['T1611', 'T1610'],
      entities: base,
    });
    await b.record([{ finding: t1 }, { finding: t2 }], log.write);
    // T1565 is Impact: a third tactic, which a told finding would turn into an escalation to critical.
    await b.record([{ finding: change('c1', '2026-11-12T03:42:00Z', 'mallory'), context: true }], log.write);
    const [incident] = await b.list();
    expect(incident).toMatchObject({ severity: 'high', tactics: ['Execution', 'Privilege Escalation'] });
    expect(incident?.rules).not.toContain('audit.config-object-change');
    // A told finding of a kind the incident has: no news, though context of a new rule sits on the timeline.
    await b.record([{ finding: exec('t4', '2026-11-12T03:43:00Z', 'mallory') }], log.write);
    expect(log.messages.map((m) => m.reason)).toEqual(['opened', 'new kind of finding: audit.exec-into-pod']);
    expect(log.messages.at(-1)?.findings.map((f) => f.id)).toEqual(['t1', 't2', 't4']);
    expect(log.messages.at(-1)?.incident?.timeline.find((t) => t.findingId === 'c1')?.context).toBe(true);
  });

  it('does not lead later findings: its keys do not point at the incident', async () => {
    const { book: b } = book();
    const log = messageLog();
    // bob's incident, and bob changing the Deployment shop/api: context that joins through bob.
    const first = await b.record([{ finding: exec('f1', '2026-11-10T10:00:00Z') }], log.write);
    const ctx = finding('c1', '2026-11-10T10:05:00Z', {
      ruleId: 'audit.config-object-change',
      severity: 'info',
      entities: { user: 'bob', namespace: 'shop', resource: 'deployments', name: 'api' },
    });
    // Its workload key (shop/api) is followed, not written: a later finding of shop/api alone opens its own incident.
    await b.record([{ finding: ctx, context: true }], log.write);
    const later = await b.record(
      [{ finding: egress('n1', '2026-11-10T10:10:00Z', 'shop/api', '198.51.100.7') }],
      log.write,
    );
    expect(later.incidentOf.get('n1')).not.toBe(first.incidentOf.get('f1'));
  });

  it('is recorded once when the same owner retries, and a later sighting counts on its entry', async () => {
    const { book: b } = book();
    const log = messageLog();
    await b.record([{ finding: exec('f1', '2026-11-10T10:00:00Z') }], log.write);
    await b.record([{ finding: change('c1', '2026-11-10T10:30:00Z'), context: true }], log.write);
    const again = await b.record([{ finding: change('c1', '2026-11-10T10:30:00Z'), context: true }], log.write);
    expect(again.added).toBe(0);
    await b.record([{ finding: change('c1', '2026-11-10T12:00:00Z'), context: true }], log.write);
    const [incident] = await b.list();
    expect(incident?.findings).toEqual(['f1', 'c1']);
    expect(incident?.timeline[1]?.repeats).toEqual({ count: 1, last: '2026-11-10T12:00:00Z' });
    expect(incident?.lastSeen).toBe('2026-11-10T10:00:00Z');
    expect(log.messages).toHaveLength(1);
  });
});
