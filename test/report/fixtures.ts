import type { Finding } from '../../shared/alert/finding';
import { exampleEdge } from '../../shared/detect/net/lib/example-edges';
import type { Incident } from '../../shared/incident/types';
import type { NetworkEntity } from '../../shared/network/entity';
import type { FlowEdge } from '../../shared/network/flow-edge';
import type { RunFacts } from '../../shared/report/report-data';
import { RunEdgeRecorder } from '../../shared/report/run-edge-recorder';
import { MemoryTable } from '../../shared/store/memory-table';
import { anIncident } from '../support/incidents';

export { exampleEdge };

/** Shows edges to a recorder as the engine does, one session per object, flushed at the end. */
export async function record(recorder: RunEdgeRecorder, objectId: string, edges: FlowEdge[]): Promise<void> {
  const session = recorder.begin({ id: objectId, uri: `s3://bucket/${objectId}` });
  for (const edge of edges) session.see(edge);
  await session.flush(new MemoryTable());
}

export function workload(namespace: string, name: string): NetworkEntity {
  return {
    id: `workload:${namespace}/${name}`,
    label: `${namespace}/${name}`,
    group: namespace,
    kind: 'workload',
    namespace,
  };
}

/** A finding with the contract's fields; entities and the rest as given. */
export function finding(input: Partial<Finding> & { ruleId: string }): Finding {
  return {
    id: `id-${input.ruleId}-${input.time ?? ''}`,
    kind: 'rule',
    severity: 'high',
    source: 'vpc-flow',
    time: '2026-11-10T10:00:00.000Z',
    title: input.ruleId,
    summary: `${input.ruleId} fired`,
    description: 'Why it matters.',
    entities: {},
    evidence: 'evidence',
    origin: { uri: 's3://bucket/flow/object.log.gz', line: 7 },
    mitre: [],
    count: 1,
    runbook: 'Look into it.',
    ...input,
  };
}

/** An incident with the contract's fields: open, high, nothing joined yet; the rest as given. */
export function incident(input: Partial<Incident> & { id: string }): Incident {
  return anIncident(input.id, { findingSeverity: input.severity ?? 'high', ...input });
}

/** The facts of a small run: one object, one finding. */
export function smallRun(): RunFacts {
  return {
    durationMs: 1,
    objects: { read: 1, audit: 1, flow: 0, unrecognized: 0, alreadyProcessed: 0 },
    eventsParsed: 1,
    findings: {
      total: 1,
      bySeverity: { info: 0, low: 0, medium: 0, high: 1, critical: 0 },
      byDay: {},
      suppressedByDedupe: 0,
      belowAlertThreshold: 0,
    },
  };
}

/** A title a log could have put in an incident: markup, script, and a bidirectional override. */
export const HOSTILE_TITLE = '<img src=x onerror=alert(1)></script><script>alert(2)</script>\u202e c2 from shop/worker';

/**
 * Four incidents over six findings and four links: `inc-a` (two flow findings on two links, an
 * exec, and what it took from the merged `inc-m`), `inc-b` (critical, raised for three tactics,
 * one flow finding, a hostile title), `inc-c` (acknowledged, continues `inc-a`, none of its
 * findings in this run), and one finding in no incident.
 */
export async function incidentScenario(): Promise<{
  recorder: RunEdgeRecorder;
  findings: Finding[];
  incidents: Incident[];
}> {
  const recorder = new RunEdgeRecorder();
  await record(recorder, 'o1', [
    exampleEdge({ client: '10.0.1.20', server: '198.51.100.7', serverPort: 443 }),
    exampleEdge({ client: '10.0.1.20', server: '10.0.200.10', serverPort: 5432 }),
    exampleEdge({ client: '10.0.2.30', server: '203.0.113.9', serverPort: 4444 }),
    exampleEdge({ client: '10.0.2.31', server: '10.0.200.10', serverPort: 5432 }),
  ]);
  const traffic = (client: string, server: string, port: number) => ({
    roles: { client: { address: client }, server: { address: server }, port },
    entities: { srcAddr: client, dstAddr: server, dstPort: port },
  });
  const findings = [
    finding({ id: 'f-exec', ruleId: 'audit.exec-into-pod', source: 'eks-audit', incidentId: 'inc-a' }),
    finding({
      id: 'f-exfil',
      ruleId: 'net.new-destination',
      time: '2026-11-10T10:10:00.000Z',
      incidentId: 'inc-a',
      ...traffic('10.0.1.20', '198.51.100.7', 443),
    }),
    finding({
      id: 'f-db',
      ruleId: 'net.new-port',
      time: '2026-11-10T10:20:00.000Z',
      incidentId: 'inc-a',
      ...traffic('10.0.1.20', '10.0.200.10', 5432),
    }),
    finding({
      id: 'f-c2',
      ruleId: 'net.c2-port',
      severity: 'high',
      time: '2026-11-10T09:00:00.000Z',
      ...traffic('10.0.2.30', '203.0.113.9', 4444),
    }),
    finding({
      id: 'f-secret',
      ruleId: 'audit.secret-read',
      source: 'eks-audit',
      time: '2026-11-10T10:25:00.000Z',
      incidentId: 'inc-m',
    }),
    finding({ id: 'f-alone', ruleId: 'audit.anonymous', source: 'eks-audit', severity: 'low' }),
  ];
  const entry = (f: Finding, extra: Partial<Incident['timeline'][number]> = {}) => ({
    findingId: f.id,
    ruleId: f.ruleId,
    severity: f.severity,
    time: f.time,
    title: f.title,
    summary: f.summary,
    keys: [],
    ...extra,
  });
  const [exec, exfil, db, c2, secret] = findings as [Finding, Finding, Finding, Finding, Finding];
  const incidents = [
    incident({
      id: 'inc-m',
      severity: 'medium',
      status: 'merged',
      mergedInto: 'inc-a',
      lastSeen: '2026-11-10T10:25:00.000Z',
      findings: [secret.id],
      timeline: [entry(secret)],
    }),
    incident({
      id: 'inc-a',
      title: 'shop/web talked to 198.51.100.7 and the database after an exec',
      findings: ['f-earlier', exec.id, exfil.id, db.id, secret.id],
      merged: ['inc-m'],
      joins: [{ key: 'workload:shop/web', findings: 5, because: 'the same workload (shop/web)' }],
      tactics: ['Execution', 'Exfiltration'],
      entities: {
        identities: ['alice@example.com'],
        workloads: ['shop/web'],
        sources: [],
        destinations: ['198.51.100.7', '10.0.200.10'],
        images: [],
        namespaces: ['shop'],
      },
      timeline: [
        { ...entry(exec), findingId: 'f-earlier', summary: 'an earlier run saw this' },
        entry(exec, { tactic: 'Execution' }),
        entry(exfil, { tactic: 'Exfiltration' }),
        entry(db, { mutedBy: 'sup-db-maintenance' }),
        entry(secret),
      ],
      messages: 2,
      quiet: 1,
    }),
    incident({
      id: 'inc-b',
      title: HOSTILE_TITLE,
      severity: 'critical',
      findingSeverity: 'high',
      lastSeen: '2026-11-10T09:00:00.000Z',
      findings: [c2.id],
      tactics: ['Execution', 'Command and Control', 'Exfiltration'],
      timeline: [entry(c2)],
    }),
    incident({
      id: 'inc-c',
      status: 'acknowledged',
      lastSeen: '2026-11-10T11:00:00.000Z',
      findings: ['f-old-1', 'f-old-2'],
      linkedTo: 'inc-a',
      acknowledged: { reason: 'maintenance window', by: 'bob', at: '2026-11-10T11:05:00.000Z' },
    }),
  ];
  return { recorder, findings, incidents };
}
